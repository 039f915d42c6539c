import { z } from 'zod';
import { TandemError } from '../../errors.js';
import type { WebhookProvider } from './result.js';

/**
 * The push a verified delivery describes, from a GitHub- or GitLab-shaped payload. Only the
 * fields Tandem uses are read (unknown ones are ignored: providers add fields over time); the
 * ones it needs are checked, so a malformed body is refused with what is wrong and where.
 */

export interface PushEvent {
  provider: WebhookProvider;
  /** The full ref, e.g. `refs/heads/main`, `refs/tags/v1.2.0`. */
  ref: string;
  /** Set for `refs/heads/…` (may contain slashes: `feature/x`); undefined for tags and other refs. */
  branch?: string;
  /** Set for `refs/tags/…`. */
  tag?: string;
  /** The commit the ref pointed at before; all zeros when the ref was created. */
  before: string;
  /** The commit the ref points at now; all zeros when the ref was deleted. */
  after: string;
  /** The ref was created by this push. */
  created: boolean;
  /** The ref was deleted: there is nothing to build. */
  deleted: boolean;
  repository?: PushRepository;
}

export interface PushRepository {
  /** `owner/name` (GitHub full_name, GitLab path_with_namespace), or the bare name. */
  name: string;
  /** The web page. */
  url?: string;
  cloneUrl?: string;
  sshUrl?: string;
}

const SHA_PATTERN = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const ZERO_SHA = /^0+$/;

const sha = z
  .string('expected a commit sha')
  .regex(SHA_PATTERN, 'expected a commit sha (40 or 64 hex digits)')
  .transform((s) => s.toLowerCase());
const REF_EXPECTED = 'expected a ref such as "refs/heads/main"';
const ref = z.string(REF_EXPECTED).regex(/^refs\/\S+$/, REF_EXPECTED);
const optionalText = z.string().optional().catch(undefined);

const githubPush = z.object({
  ref,
  before: sha,
  after: sha,
  created: z.boolean().optional().catch(undefined),
  deleted: z.boolean().optional().catch(undefined),
  repository: z
    .object({
      full_name: optionalText,
      name: optionalText,
      html_url: optionalText,
      clone_url: optionalText,
      ssh_url: optionalText,
    })
    .optional()
    .catch(undefined),
});

const gitlabPush = z.object({
  object_kind: z
    .enum(['push', 'tag_push'], 'expected a push payload (object_kind "push" or "tag_push")')
    .optional(),
  ref,
  before: sha,
  after: sha,
  project: z
    .object({
      path_with_namespace: optionalText,
      name: optionalText,
      web_url: optionalText,
      git_http_url: optionalText,
      git_ssh_url: optionalText,
    })
    .optional()
    .catch(undefined),
});

/** Reads the push from a parsed JSON payload; throws TANDEM_WEBHOOK_PAYLOAD_INVALID when malformed. */
export function parsePush(provider: WebhookProvider, json: unknown): PushEvent {
  if (provider === 'github') {
    const p = parseWith(githubPush, json, provider);
    const repo = p.repository;
    const name = repo?.full_name ?? repo?.name;
    return pushEvent(provider, p.ref, p.before, p.after, {
      created: p.created,
      deleted: p.deleted,
      repository:
        name === undefined
          ? undefined
          : { name, url: repo?.html_url, cloneUrl: repo?.clone_url, sshUrl: repo?.ssh_url },
    });
  }
  const p = parseWith(gitlabPush, json, provider);
  const project = p.project;
  const name = project?.path_with_namespace ?? project?.name;
  return pushEvent(provider, p.ref, p.before, p.after, {
    repository:
      name === undefined
        ? undefined
        : { name, url: project?.web_url, cloneUrl: project?.git_http_url, sshUrl: project?.git_ssh_url },
  });
}

/**
 * The push in a raw body: JSON, or GitHub's form encoding (`payload=<json>`) when the hook's
 * content type is application/x-www-form-urlencoded.
 */
export function readPush(provider: WebhookProvider, body: Buffer, contentType?: string): PushEvent {
  let text = body.toString('utf8');
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded') === true) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw invalid(provider, 'the form-encoded body has no "payload" field');
    text = payload;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(provider, 'the body is not JSON; set the webhook’s content type to application/json');
  }
  return parsePush(provider, json);
}

function pushEvent(
  provider: WebhookProvider,
  fullRef: string,
  before: string,
  after: string,
  extra: {
    created?: boolean | undefined;
    deleted?: boolean | undefined;
    repository?: PushRepository | undefined;
  },
): PushEvent {
  const branch = stripPrefix(fullRef, 'refs/heads/');
  const tag = stripPrefix(fullRef, 'refs/tags/');
  return {
    provider,
    ref: fullRef,
    ...(branch === undefined ? {} : { branch }),
    ...(tag === undefined ? {} : { tag }),
    before,
    after,
    created: extra.created === true || ZERO_SHA.test(before),
    deleted: extra.deleted === true || ZERO_SHA.test(after),
    ...(extra.repository === undefined ? {} : { repository: withoutUndefined(extra.repository) }),
  };
}

function stripPrefix(value: string, prefix: string): string | undefined {
  return value.startsWith(prefix) && value.length > prefix.length ? value.slice(prefix.length) : undefined;
}

function withoutUndefined(repo: PushRepository): PushRepository {
  return Object.fromEntries(
    Object.entries(repo).filter(([, v]) => v !== undefined),
  ) as unknown as PushRepository;
}

function parseWith<T extends z.ZodType>(schema: T, json: unknown, provider: WebhookProvider): z.output<T> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid(provider, 'expected a JSON object');
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length === 0 ? '(body)' : issue.path.join('.')}: ${issue.message}`);
  throw invalid(provider, problems.join('; '));
}

function invalid(provider: WebhookProvider, detail: string): TandemError {
  const name = provider === 'github' ? 'GitHub' : 'GitLab';
  return new TandemError('TANDEM_WEBHOOK_PAYLOAD_INVALID', `the ${name} push payload is invalid: ${detail}`, {
    exitCode: 2,
  });
}
