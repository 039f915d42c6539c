/**
 * `tandem up` for integration tests: a temporary git project with a small HTTP service, free ports
 * for the API and the listener, the control plane started with `tandem up --detach` (a background
 * process of its own, like a user's; the `up` command returns once it answers), helpers to run
 * verbs and read `status`, and a cleanup that leaves no process behind.
 *
 * Processes are found by pid only: the control plane from `.tandem/server.json`, the agent from
 * `.tandem/run/agent.json`, the instances from `status`. Every pid seen is remembered with its
 * start time (field 22 of /proc/<pid>/stat), so a pid recycled by another process is never killed.
 * As a last net, processes whose working directory is inside the project's temporary directory
 * (the control plane, the agent, the instances and the release's pipeline jobs all run there) are
 * found through /proc/<pid>/cwd; nothing is ever matched by name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Status, StatusEnvironment, StatusService } from '../../src/control/status.js';
import { type CliResult, isAlive, makeProject, removeProject, runCli } from './cli.js';

export type { Status, StatusEnvironment, StatusService };

/** The test service: /healthz, PORT from the environment, SIGTERM → server.close(). */
export const SERVER_JS = `import { createServer } from 'node:http';

const release = process.env.TANDEM_RELEASE ?? 'dev';
const instance = process.env.TANDEM_INSTANCE ?? String(process.pid);
const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' }).end(\`\${release} \${instance}\\n\`);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(\`listening on \${process.env.PORT}\`));
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
`;

/**
 * SERVER_JS answering 500 to every `every`-th request (not counting /healthz), deterministically,
 * with the same body as a 200 (`<release> <instance>`), so the load can tell who failed.
 */
export function serverFailingEvery(every: number): string {
  const out = SERVER_JS.replace(
    'const server = createServer((req, res) => {',
    `let served = 0;
const server = createServer((req, res) => {
  if (req.url !== '/healthz' && ++served % ${every} === 0) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(\`\${release} \${instance} failed\\n\`);
    return;
  }`,
  );
  if (out === SERVER_JS) throw new Error('serverFailingEvery: SERVER_JS changed shape');
  return out;
}

/** The keys of a canary environment (`strategy: canary`), as raw YAML values for ProjectOptions.environment. */
export function canaryEnvironment(opts: {
  /** YAML flow sequence of `steps:`, e.g. `[{ weight: 20, pause: 30s }]`. */
  steps: string;
  /** YAML flow mapping of `analysis:`; omitted: no analysis. */
  analysis?: string;
  progressDeadline?: string;
}): Record<string, string> {
  return {
    strategy: 'canary',
    steps: opts.steps,
    ...(opts.analysis === undefined ? {} : { analysis: opts.analysis }),
    ...(opts.progressDeadline === undefined ? {} : { progressDeadline: opts.progressDeadline }),
  };
}

export interface ProjectOptions {
  replicas?: number;
  strategy?: 'rolling' | 'blue-green' | 'canary';
  /** YAML flow mapping of `health:`. */
  health?: string;
  /** More keys of the service (`key: value`, raw YAML values). */
  service?: Record<string, string>;
  /** More keys of the environment (raw YAML values). */
  environment?: Record<string, string>;
  /** The app's source (server.js). */
  serverJs?: string;
}

/** tandem.yaml of the test project: a one-job pipeline (releases build fast) and service `web`. */
export function projectYaml(listen: number, opts: ProjectOptions = {}): string {
  const service = {
    run: 'node server.js',
    health: opts.health ?? '{ path: /healthz, interval: 200ms }',
    replicas: String(opts.replicas ?? 2),
    drain: '5s',
    ...opts.service,
  };
  const environment = { listen: String(listen), strategy: opts.strategy ?? 'rolling', ...opts.environment };
  const lines = ['project: uptest', 'pipeline:', '  jobs:', '    build:', '      run: node -e 0'];
  lines.push('services:', '  web:', ...Object.entries(service).map(([k, v]) => `    ${k}: ${v}`));
  lines.push(
    'environments:',
    '  production:',
    ...Object.entries(environment).map(([k, v]) => `    ${k}: ${v}`),
  );
  return `${lines.join('\n')}\n`;
}

/** Free TCP ports on 127.0.0.1, all held at once so they differ. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            resolve(typeof address === 'object' && address !== null ? address.port : 0);
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** Start time of a process (clock ticks since boot), or undefined when it is gone. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export interface StartOptions {
  /** Extra arguments of `tandem up`. */
  args?: string[];
  timeoutMs?: number;
}

/** What the tests read of `.tandem/server.json` and `.tandem/run/agent.json`. */
export interface PidFile {
  url: string;
  pid: number;
}

export class TandemUp {
  /** pid → start time, of every control plane, agent and instance this test saw. */
  private readonly seen = new Map<number, string>();
  private readonly roots: string[];

  private constructor(
    readonly dir: string,
    readonly apiPort: number,
    readonly listenPort: number,
    /** Environment of every CLI run: a private XDG_STATE_HOME, so no other test's control plane is found. */
    readonly env: Record<string, string>,
    stateHome: string,
  ) {
    this.roots = [dir, stateHome];
  }

  /** A temporary git project (one commit) with free ports picked for the API and the listener. */
  static async create(opts: ProjectOptions = {}): Promise<TandemUp> {
    const [apiPort, listenPort] = (await freePorts(2)) as [number, number];
    const dir = realpathSync(
      makeProject(
        {
          'tandem.yaml': projectYaml(listenPort, opts),
          'server.js': opts.serverJs ?? SERVER_JS,
          'package.json': '{ "type": "module" }\n',
          '.gitignore': '.tandem/\n',
        },
        { git: true },
      ),
    );
    const stateHome = mkdtempSync(path.join(os.tmpdir(), 'tandem-test-state-'));
    return new TandemUp(dir, apiPort, listenPort, { XDG_STATE_HOME: stateHome }, stateHome);
  }

  /** Runs a verb in the project. */
  cli(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
    return runCli(args, { cwd: this.dir, env: { ...this.env, ...opts.env }, timeoutMs: opts.timeoutMs });
  }

  /** `tandem up --detach` on the API port; throws (with its output) unless it exits 0. */
  async up(opts: StartOptions = {}): Promise<CliResult> {
    const result = await this.cli(['up', '--detach', '--port', String(this.apiPort), ...(opts.args ?? [])], {
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
    this.rememberFiles();
    if (result.code !== 0)
      throw new Error(`tandem up exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    return result;
  }

  /** Writes files (relative to the project) and commits them. */
  commit(files: Record<string, string>, message = 'change'): void {
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(this.dir, name), content);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: this.dir, stdio: 'ignore' });
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', message);
  }

  get url(): string {
    return this.serverFile()?.url ?? `http://127.0.0.1:${this.apiPort}`;
  }

  serverFile(): PidFile | undefined {
    return readJson(path.join(this.dir, '.tandem', 'server.json')) as PidFile | undefined;
  }

  agentFile(): PidFile | undefined {
    return readJson(path.join(this.dir, '.tandem', 'run', 'agent.json')) as PidFile | undefined;
  }

  controlPlanePid(): number {
    const pid = this.serverFile()?.pid;
    if (pid === undefined) throw new Error('no .tandem/server.json');
    return pid;
  }

  agentPid(): number {
    const pid = this.agentFile()?.pid;
    if (pid === undefined) throw new Error('no .tandem/run/agent.json');
    return pid;
  }

  /** GET on the control plane's API (faster than a CLI run, for polling). */
  async api<T>(route: string): Promise<T> {
    // The local admin token `tandem up` wrote (the API needs a token since issue 6).
    const token = readFileSync(path.join(this.dir, '.tandem', 'run', 'token'), 'utf8').trim();
    const res = await fetch(new URL(route, this.url), {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`GET ${route}: HTTP ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** The status through the API; remembers the instances' pids. */
  async status(): Promise<Status> {
    const status = await this.api<Status>('/v1/status');
    this.rememberStatus(status);
    return status;
  }

  /** `tandem status --json` through the CLI (the contract); remembers the instances' pids. */
  async statusCli(): Promise<Status> {
    const result = await this.cli(['status', '--json']);
    if (result.code !== 0)
      throw new Error(`tandem status exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    const status = JSON.parse(result.stdout) as Status;
    this.rememberStatus(status);
    return status;
  }

  /** production / web of a status. */
  static web(status: Status): { env: StatusEnvironment; web: StatusService } {
    const env = status.environments.find((e) => e.name === 'production');
    const web = env?.services.find((s) => s.name === 'web');
    if (env === undefined || web === undefined)
      throw new Error(`no production.web in ${JSON.stringify(status)}`);
    return { env, web };
  }

  /** Polls `check` until it returns a value (not undefined); the last status is in the error. */
  async waitFor<T>(what: string, check: (s: Status) => T | undefined, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: Status | undefined;
    let lastError: unknown;
    for (;;) {
      try {
        last = await this.status();
        const value = check(last);
        if (value !== undefined) return value;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; last status: ${JSON.stringify(last)}${lastError ? `; last error: ${String(lastError)}` : ''}`,
        );
      }
      await sleep(150);
    }
  }

  /**
   * Waits until production.web is steady: no rollout pending or progressing, `replicas` desired and
   * ready, and exactly that many instances, all running, healthy, in traffic, on the service's
   * release (and on `release` when given).
   */
  waitSteady(replicas: number, opts: { release?: string; timeoutMs?: number } = {}): Promise<Status> {
    return this.waitFor(
      `${replicas} steady instances${opts.release ? ` of ${opts.release}` : ''}`,
      (s) => {
        const { env, web } = TandemUp.web(s);
        if (env.rollout === null || ['pending', 'progressing'].includes(env.rollout.state)) return undefined;
        if (web.replicas.desired !== replicas || web.replicas.ready !== replicas) return undefined;
        if (opts.release !== undefined && web.release !== opts.release) return undefined;
        if (web.instances.length !== replicas) return undefined;
        const allGood = web.instances.every(
          (i) => i.state === 'running' && i.healthy && i.inTraffic && i.release === web.release,
        );
        return allGood ? s : undefined;
      },
      opts.timeoutMs,
    );
  }

  /** Every pid this test saw (control planes, agents, instances). */
  knownPids(): number[] {
    return [...this.seen.keys()];
  }

  remember(pid: number | null | undefined): void {
    if (pid === null || pid === undefined || this.seen.has(pid)) return;
    const start = startTimeOf(pid);
    if (start !== undefined) this.seen.set(pid, start);
  }

  /** SIGKILL to a pid this test saw, unless it is gone or is another process now. */
  kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.remember(pid);
    if (!this.isOurs(pid)) return;
    try {
      process.kill(pid, signal);
    } catch {
      // Gone meanwhile.
    }
  }

  /** Live (non-zombie) processes of this test: those seen, and any running inside its directories. */
  alive(): number[] {
    this.rememberFiles();
    const pids = new Set([...this.seen.keys()].filter((pid) => this.isOurs(pid)));
    for (const pid of this.processesInside()) pids.add(pid);
    return [...pids].filter((pid) => isAlive(pid)).sort((a, b) => a - b);
  }

  /** `tandem down`, then waits (bounded) until no process of the test is left; returns those left. */
  async down(): Promise<{ result: CliResult; left: number[] }> {
    this.rememberFiles();
    try {
      await this.status();
    } catch {
      // No control plane: `down` stops the agent directly.
    }
    const result = await this.cli(['down'], { timeoutMs: 90_000 });
    const left = await this.waitGone(15_000);
    return { result, left };
  }

  /** Waits until every process of the test is gone; returns those still alive at the deadline. */
  async waitGone(timeoutMs: number): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = this.alive();
      if (left.length === 0 || Date.now() > deadline) return left;
      await sleep(100);
    }
  }

  /** Kills whatever of the test is still alive and removes its directories; returns what had to be killed. */
  async destroy(): Promise<number[]> {
    const killed = this.alive();
    for (const pid of killed) this.kill(pid);
    await this.waitGone(5_000);
    for (const root of this.roots) removeProject(root);
    return killed;
  }

  private isOurs(pid: number): boolean {
    const start = this.seen.get(pid);
    return start !== undefined ? startTimeOf(pid) === start : this.processesInside().includes(pid);
  }

  private rememberFiles(): void {
    this.remember(this.serverFile()?.pid);
    this.remember(this.agentFile()?.pid);
  }

  private rememberStatus(status: Status): void {
    for (const env of status.environments)
      for (const s of env.services) for (const i of s.instances) this.remember(i.pid);
  }

  /** Processes (not zombies) whose working directory is inside one of the test's directories. */
  private processesInside(): number[] {
    const found: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      if (pid === process.pid) continue;
      let cwd: string;
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        continue;
      }
      if (this.roots.some((root) => cwd === root || cwd.startsWith(`${root}/`)) && isAlive(pid)) {
        this.remember(pid);
        found.push(pid);
      }
    }
    return found;
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
