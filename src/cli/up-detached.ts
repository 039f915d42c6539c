/** `tandem up --detach`: the same control plane in a background process of its own. */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../config/load.js';
import { planEnvironments } from '../delivery/environment-plan.js';
import { TandemError } from '../errors.js';
import { readServerFileAt, serverFilePath } from '../server/server-file.js';
import { stateDir } from '../store/open.js';

const START_TIMEOUT_MS = 60_000;

export async function upDetached(opts: {
  port: number;
  host: string;
  deploy: boolean;
  config?: string;
  json?: boolean;
}): Promise<number> {
  // Refuse an invalid config here, with its exit code, rather than in a log file.
  const loaded = await loadConfig({ config: opts.config, cwd: process.cwd() });
  planEnvironments(loaded, { env: process.env, secrets: undefined });
  const logFile = path.join(stateDir(loaded.dir), 'logs', 'control-plane.log');
  mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o700 });
  const start = readFileSize(logFile);
  const fd = openSync(logFile, 'a', 0o600);
  const args = [
    process.argv[1] as string,
    'up',
    '--config',
    loaded.file,
    '--port',
    String(opts.port),
    '--host',
    opts.host,
  ];
  if (!opts.deploy) args.push('--no-deploy');
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, args, {
      cwd: loaded.dir,
      env: process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      const tail = readFileSync(logFile, 'utf8').slice(start).trim().split('\n').slice(-10).join('\n  ');
      throw new TandemError('TANDEM_UP_FAILED', `the control plane exited (code ${exited}):\n  ${tail}`, {
        exitCode: exited === 2 ? 2 : 1,
      });
    }
    const file = readServerFileAt(serverFilePath(loaded.dir));
    if (file !== undefined && file.pid === child.pid) {
      if (opts.json)
        process.stdout.write(`${JSON.stringify({ url: file.url, pid: file.pid, log: logFile })}\n`);
      else
        process.stdout.write(
          `Tandem control plane on ${file.url} (pid ${file.pid}); log: ${logFile}\n  dashboard: ${file.url}/ (log in with the token in ${path.join(stateDir(loaded.dir), 'run', 'token')})\n`,
        );
      return 0;
    }
    await sleep(100);
  }
  throw new TandemError(
    'TANDEM_UP_FAILED',
    `the control plane did not answer within ${START_TIMEOUT_MS / 1000}s; see ${logFile}`,
  );
}

function readFileSize(file: string): number {
  try {
    return readFileSync(file).length;
  } catch {
    return 0;
  }
}
