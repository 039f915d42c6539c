import { createHmac } from 'node:crypto';

/**
 * Trimmed real-shaped payloads for tests (the fields Tandem reads, plus a few it ignores) and
 * a signer, so tests sign exactly what they send.
 */

export const SHA_A = 'a10867b14bb761a232cd80139fbd4c0d33264240';
export const SHA_B = 'ab12cd3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c';
export const ZERO = '0000000000000000000000000000000000000000';

export function githubPush(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ref: 'refs/heads/main',
    before: SHA_A,
    after: SHA_B,
    created: false,
    deleted: false,
    forced: false,
    compare: 'https://github.com/acme/shop/compare/a10867b14bb7...ab12cd3e4f5a',
    head_commit: { id: SHA_B, message: 'Fix checkout', timestamp: '2025-03-01T12:00:00Z' },
    repository: {
      id: 1296269,
      name: 'shop',
      full_name: 'acme/shop',
      html_url: 'https://github.com/acme/shop',
      clone_url: 'https://github.com/acme/shop.git',
      ssh_url: 'git@github.com:acme/shop.git',
    },
    pusher: { name: 'octocat', email: 'octocat@github.com' },
    ...overrides,
  };
}

export function gitlabPush(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    object_kind: 'push',
    event_name: 'push',
    before: SHA_A,
    after: SHA_B,
    ref: 'refs/heads/main',
    checkout_sha: SHA_B,
    user_username: 'jsmith',
    project_id: 15,
    project: {
      id: 15,
      name: 'Shop',
      web_url: 'https://gitlab.example.com/acme/shop',
      git_ssh_url: 'git@gitlab.example.com:acme/shop.git',
      git_http_url: 'https://gitlab.example.com/acme/shop.git',
      path_with_namespace: 'acme/shop',
    },
    repository: { name: 'Shop', homepage: 'https://gitlab.example.com/acme/shop' },
    commits: [],
    total_commits_count: 1,
    ...overrides,
  };
}

export function sign(body: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
