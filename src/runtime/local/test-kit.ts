/**
 * Helpers for the supervisor's real-process tests (not shipped: only *.test.ts import this): a temp
 * directory with a tiny HTTP server app, waits on conditions, and a last-resort cleanup.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalGroup } from '../../pipeline/executors/local/process-group.js';
import { createSupervisor } from './supervisor.js';
import type { HealthCheck, InstanceSpec, InstanceStatus, Supervisor, SupervisorOptions } from './types.js';

/** Serves "hello" on PORT; /healthz answers 200 until /fail is requested, 500 after. */
const SERVER = `
const http = require('node:http');
let failing = false;
http.createServer((req, res) => {
  if (req.url === '/healthz') return res.writeHead(failing ? 500 : 200).end(failing ? 'failing' : 'ok');
  if (req.url === '/fail') { failing = true; return res.end('failing from now on'); }
  res.end('hello from ' + process.env.PORT);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
`;

export interface Kit {
  dir: string;
  sup: Supervisor;
  events: InstanceStatus[];
  spec(overrides: Partial<InstanceSpec>): InstanceSpec;
  /** The test's last-resort cleanup: close, then SIGKILL every group ever seen, then rm the dir. */
  dispose(): Promise<void>;
}

export const fastHttpCheck: HealthCheck = {
  kind: 'http',
  path: '/healthz',
  intervalMs: 100,
  timeoutMs: 1_000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
};

export function createKit(options: Partial<SupervisorOptions> = {}): Kit {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-supervisor-'));
  writeFileSync(path.join(dir, 'server.cjs'), SERVER);
  const sup = createSupervisor({
    logDir: path.join(dir, 'logs'),
    restartBackoff: { initialMs: 50, maxMs: 400, resetAfterMs: 3_000 },
    ...options,
  });
  const events: InstanceStatus[] = [];
  sup.onChange((status) => events.push(status));
  let n = 0;
  return {
    dir,
    sup,
    events,
    spec: (overrides) => ({
      id: `test-web-${++n}`,
      environment: 'test',
      service: 'web',
      revision: 'r1',
      command: `"${process.execPath}" server.cjs`,
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      port: 0,
      health: fastHttpCheck,
      stop: { signal: 'SIGTERM', graceMs: 2_000 },
      ...overrides,
    }),
    dispose: async () => {
      try {
        await sup.close();
      } finally {
        for (const pid of new Set(events.map((e) => e.pid))) if (pid !== null) signalGroup(pid, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Polls until `condition` holds; fails with `what` (and the last value seen) after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  condition: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (condition(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await sleep(25);
  }
}

export async function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`);
  return { status: res.status, body: await res.text() };
}
