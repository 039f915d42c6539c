import { describe, expect, it } from 'vitest';
import { TandemError } from '../../errors.js';
import { githubPush, gitlabPush, SHA_A, SHA_B, ZERO } from './fixtures.js';
import { parsePush, readPush } from './push.js';

function payloadError(fn: () => unknown): TandemError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TandemError);
    expect((err as TandemError).code).toBe('TANDEM_WEBHOOK_PAYLOAD_INVALID');
    return err as TandemError;
  }
  throw new Error('expected a TANDEM_WEBHOOK_PAYLOAD_INVALID error');
}

describe('parsePush', () => {
  it('reads a GitHub branch push', () => {
    expect(parsePush('github', githubPush())).toEqual({
      provider: 'github',
      ref: 'refs/heads/main',
      branch: 'main',
      before: SHA_A,
      after: SHA_B,
      created: false,
      deleted: false,
      repository: {
        name: 'acme/shop',
        url: 'https://github.com/acme/shop',
        cloneUrl: 'https://github.com/acme/shop.git',
        sshUrl: 'git@github.com:acme/shop.git',
      },
    });
  });

  it('reads a GitLab branch push', () => {
    expect(parsePush('gitlab', gitlabPush())).toEqual({
      provider: 'gitlab',
      ref: 'refs/heads/main',
      branch: 'main',
      before: SHA_A,
      after: SHA_B,
      created: false,
      deleted: false,
      repository: {
        name: 'acme/shop',
        url: 'https://gitlab.example.com/acme/shop',
        cloneUrl: 'https://gitlab.example.com/acme/shop.git',
        sshUrl: 'git@gitlab.example.com:acme/shop.git',
      },
    });
  });

  it('keeps slashes in branch names', () => {
    expect(parsePush('github', githubPush({ ref: 'refs/heads/feature/checkout-v2' })).branch).toBe(
      'feature/checkout-v2',
    );
  });

  it('a tag push has a tag and no branch', () => {
    const gh = parsePush('github', githubPush({ ref: 'refs/tags/v1.2.0' }));
    expect(gh.branch).toBeUndefined();
    expect(gh.tag).toBe('v1.2.0');
    const gl = parsePush('gitlab', gitlabPush({ object_kind: 'tag_push', ref: 'refs/tags/v1.2.0' }));
    expect(gl).toMatchObject({ tag: 'v1.2.0', deleted: false });
    expect(gl.branch).toBeUndefined();
  });

  it('other refs have neither branch nor tag', () => {
    const p = parsePush('github', githubPush({ ref: 'refs/pull/12/head' }));
    expect(p.branch).toBeUndefined();
    expect(p.tag).toBeUndefined();
  });

  it('flags a branch deletion (after is all zeros) and a creation (before is all zeros)', () => {
    expect(parsePush('github', githubPush({ after: ZERO, deleted: true }))).toMatchObject({
      branch: 'main',
      after: ZERO,
      deleted: true,
    });
    // From the zero sha alone, as GitLab says it.
    expect(parsePush('gitlab', gitlabPush({ after: ZERO, checkout_sha: null }))).toMatchObject({
      deleted: true,
    });
    expect(parsePush('gitlab', gitlabPush({ before: ZERO }))).toMatchObject({
      created: true,
      deleted: false,
    });
  });

  it('accepts SHA-256 repositories and lower-cases shas', () => {
    const long = 'AB'.repeat(32);
    expect(parsePush('github', githubPush({ after: long })).after).toBe(long.toLowerCase());
  });

  it('ignores unknown and odd optional fields, and works without a repository', () => {
    const p = parsePush('github', githubPush({ repository: 'not an object', extra: { x: 1 } }));
    expect(p.repository).toBeUndefined();
    const gl = gitlabPush();
    delete gl.project;
    expect(parsePush('gitlab', gl).repository).toBeUndefined();
  });

  it('says what is wrong and where for a malformed payload', () => {
    const noRef = githubPush();
    delete noRef.ref;
    expect(payloadError(() => parsePush('github', noRef)).message).toMatch(
      /GitHub push payload is invalid: ref: /,
    );
    expect(payloadError(() => parsePush('github', githubPush({ after: 'HEAD' }))).message).toMatch(
      /after: expected a commit sha \(40 or 64 hex digits\)/,
    );
    expect(payloadError(() => parsePush('gitlab', gitlabPush({ ref: 'main' }))).message).toMatch(
      /ref: expected a ref such as "refs\/heads\/main"/,
    );
    expect(
      payloadError(() => parsePush('gitlab', gitlabPush({ object_kind: 'merge_request' }))).message,
    ).toMatch(/object_kind/);
    expect(payloadError(() => parsePush('github', [1, 2])).message).toMatch(/expected a JSON object/);
    expect(payloadError(() => parsePush('github', null)).message).toMatch(/expected a JSON object/);
  });
});

describe('readPush', () => {
  it('reads a JSON body', () => {
    expect(readPush('github', Buffer.from(JSON.stringify(githubPush())), 'application/json').branch).toBe(
      'main',
    );
  });

  it("reads GitHub's form-encoded body", () => {
    const body = Buffer.from(new URLSearchParams({ payload: JSON.stringify(githubPush()) }).toString());
    expect(readPush('github', body, 'application/x-www-form-urlencoded').after).toBe(SHA_B);
  });

  it('refuses a body that is not JSON with a hint', () => {
    expect(payloadError(() => readPush('gitlab', Buffer.from('{"ref":'))).message).toMatch(/not JSON/);
    expect(
      payloadError(() => readPush('github', Buffer.from('a=b'), 'application/x-www-form-urlencoded')).message,
    ).toMatch(/no "payload" field/);
  });
});
