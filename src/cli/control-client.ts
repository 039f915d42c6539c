/**
 * How a verb reaches the control plane: TANDEM_URL, else the project's `.tandem/server.json`
 * (next to the --config file, or found walking up from the working directory), else the only
 * control plane in the per-user registry. Exit 3 when none can be reached. It authenticates with
 * TANDEM_TOKEN, else the project's `.tandem/run/token` (written by `tandem up`) when present.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../agent/agent-process.js';
import { type ApiClient, createApiClient } from '../client/api-client.js';
import { CONFIG_FILE_NAMES } from '../config/load.js';
import { TandemError } from '../errors.js';
import {
  readServerFileAt,
  registeredServers,
  type ServerFile,
  serverFilePath,
} from '../server/server-file.js';

/** The control plane's API for the verbs: `api` is the typed client; get/post take full paths. */
export class ControlClient {
  readonly api: ApiClient;

  constructor(
    readonly url: string,
    opts: { token?: string } = {},
  ) {
    this.api = createApiClient({
      baseUrl: url,
      ...(opts.token !== undefined ? { token: opts.token } : {}),
      // Unreachable says what to do in the CLI's words (and whileReachable retries on it).
      fetch: (input, init) =>
        fetch(input, init).catch((err: unknown) => {
          throw unreachable(url, err);
        }),
    });
  }

  get<T>(route: string): Promise<T> {
    return this.request<T>('GET', route);
  }

  post<T>(route: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', route, body);
  }

  /** `route` is the whole path, e.g. `/api/v1/status`. */
  request<T>(method: string, route: string, body?: unknown): Promise<T> {
    return this.api.requestPath<T>(method, route, body);
  }
}

/** TANDEM_TOKEN, else the token `tandem up` keeps next to the project's server.json. */
export function tokenFor(
  found: { file?: ServerFile | undefined },
  env: Record<string, string | undefined>,
): string | undefined {
  if (env.TANDEM_TOKEN) return env.TANDEM_TOKEN.trim();
  if (found.file === undefined) return undefined;
  try {
    const token = readFileSync(
      path.join(path.dirname(serverFilePath(found.file.root)), 'run', 'token'),
      'utf8',
    ).trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

export function unreachable(url: string, cause?: unknown): TandemError {
  return new TandemError(
    'TANDEM_UNREACHABLE',
    `cannot reach the control plane at ${url}; start it with \`tandem up\` (or set TANDEM_URL)`,
    { exitCode: 3, cause },
  );
}

/** Where the control plane should be, without contacting it. */
export function findServer(opts: { config?: string; cwd: string; env: Record<string, string | undefined> }): {
  url: string;
  file?: ServerFile;
} {
  if (opts.env.TANDEM_URL) return { url: opts.env.TANDEM_URL };
  const candidates: string[] = [];
  if (opts.config !== undefined) {
    const given = path.resolve(opts.cwd, opts.config);
    candidates.push(
      existsSync(given) && !given.endsWith('.yaml') && !given.endsWith('.yml') ? given : path.dirname(given),
    );
  } else {
    for (let dir = path.resolve(opts.cwd); ; dir = path.dirname(dir)) {
      candidates.push(dir);
      if (path.dirname(dir) === dir) break;
    }
  }
  let ownProject = false;
  for (const dir of candidates) {
    const file = readServerFileAt(serverFilePath(dir));
    if (file !== undefined) return { url: file.url, file };
    // Inside a project that is not up: never fall back to another project's control plane.
    if (CONFIG_FILE_NAMES.some((name) => existsSync(path.join(dir, name)))) {
      ownProject = true;
      break;
    }
  }
  if (opts.config === undefined && !ownProject) {
    const live = registeredServers(opts.env).filter((s) => isAlive(s.pid));
    if (live.length === 1 && live[0] !== undefined) return { url: live[0].url, file: live[0] };
    if (live.length > 1) {
      throw new TandemError(
        'TANDEM_WHICH_CONTROL_PLANE',
        `${live.length} control planes are running (${live.map((s) => `${s.project} at ${s.root}`).join('; ')}); run the command in a project directory or pass --config`,
        { exitCode: 2 },
      );
    }
  }
  throw new TandemError(
    'TANDEM_UNREACHABLE',
    `no control plane is running for ${opts.config ?? opts.cwd} (no .tandem/server.json found); start one with \`tandem up\``,
    { exitCode: 3 },
  );
}

export function connect(opts: {
  config?: string;
  cwd: string;
  env: Record<string, string | undefined>;
}): ControlClient {
  const found = findServer(opts);
  const token = tokenFor(found, opts.env);
  return new ControlClient(found.url, token === undefined ? {} : { token });
}

/** Retries `fn` while the control plane is unreachable (it may be restarting), up to `ms`. */
export async function whileReachable<T>(ms: number, fn: () => Promise<T>, onWait?: () => void): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof TandemError) || err.code !== 'TANDEM_UNREACHABLE' || Date.now() > deadline)
        throw err;
      onWait?.();
      await sleep(500);
    }
  }
}
