/**
 * How a verb reaches the control plane: TANDEM_URL, else the project's `.tandem/server.json`
 * (next to the --config file, or found walking up from the working directory), else the only
 * control plane in the per-user registry. Exit 3 when none can be reached.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../agent/agent-process.js';
import { CONFIG_FILE_NAMES } from '../config/load.js';
import { TandemError } from '../errors.js';
import {
  readServerFileAt,
  registeredServers,
  type ServerFile,
  serverFilePath,
} from '../server/server-file.js';

export class ControlClient {
  constructor(readonly url: string) {}

  get<T>(route: string): Promise<T> {
    return this.request<T>('GET', route);
  }

  post<T>(route: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', route, body);
  }

  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(route, this.url), {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw unreachable(this.url, err);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new TandemError(
        'TANDEM_BAD_RESPONSE',
        `the control plane at ${this.url} answered ${res.status} with non-JSON`,
      );
    }
    if (!res.ok) {
      const e = (
        parsed as { error?: { code?: string; message?: string; exitCode?: number; issues?: unknown } }
      )?.error;
      const error = new TandemError(e?.code ?? 'TANDEM_API_ERROR', e?.message ?? `HTTP ${res.status}`, {
        exitCode: e?.exitCode === 2 ? 2 : e?.exitCode === 3 ? 3 : 1,
      });
      if (e?.issues !== undefined) Object.assign(error, { issues: e.issues });
      throw error;
    }
    return parsed as T;
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
  return new ControlClient(findServer(opts).url);
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
