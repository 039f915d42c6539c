/**
 * The local runtime's process supervisor (see types.ts). Each instance is `bash -c <command>` as
 * the leader of its own process group, writing straight to its log file, so it outlives a crash of
 * this process. Per instance it keeps one current process (a `generation`: callbacks of an older
 * process are ignored), checks its health on a timer, restarts it with backoff after an unplanned
 * exit, and on stop() signals the whole group.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Probe period of a process that has not passed a health check yet. */
const STARTUP_PROBE_MS = 200;

import { TandemError } from '../../errors.js';
import { logger } from '../../log/logger.js';
import { isGroupAlive, signalGroup } from '../../pipeline/executors/local/process-group.js';
import { afterExit, type BackoffPolicy, backoffPolicy, NO_RESTARTS, type RestartHistory } from './backoff.js';
import { pickFreePort } from './free-port.js';
import { probe } from './health-check.js';
import { type HealthState, NEW_PROCESS, recordCheck } from './health-state.js';
import { appendLine, rotateIfLarger, tailLines } from './log-files.js';
import {
  type InstanceSpec,
  type InstanceStatus,
  newInstanceStatus,
  type Supervisor,
  type SupervisorOptions,
} from './types.js';

const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_LOG_FILES = 3;
const DEFAULT_LOG_CHECK_MS = 1_000;
/** After the SIGKILL, how long stop() waits for the group before giving up on it (and saying so). */
const KILL_WAIT_MS = 5_000;
const GROUP_POLL_MS = 50;
const MAX_TAIL_LINES = 10_000;
const ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

interface Instance {
  spec: InstanceSpec;
  status: InstanceStatus;
  /** Bumped at every spawn: events of an older process are stale. */
  generation: number;
  child: ChildProcess | undefined;
  /** Resolves when the current process has exited (or failed to start). */
  exited: Promise<void>;
  health: HealthState;
  history: RestartHistory;
  healthTimer: NodeJS.Timeout | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  stopRequested: boolean;
  stopping: Promise<void> | undefined;
  rotating: Promise<void>;
}

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  return new ProcessSupervisor(opts);
}

class ProcessSupervisor implements Supervisor {
  private readonly instances = new Map<string, Instance>();
  private readonly listeners = new Set<(status: InstanceStatus) => void>();
  private readonly now: () => number;
  private readonly backoff: BackoffPolicy;
  private readonly logMaxBytes: number;
  private readonly logFiles: number;
  private readonly logTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: SupervisorOptions) {
    this.now = opts.now ?? Date.now;
    this.backoff = backoffPolicy(opts.restartBackoff);
    this.logMaxBytes = opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES;
    this.logFiles = Math.max(0, opts.logFiles ?? DEFAULT_LOG_FILES);
    mkdirSync(opts.logDir, { recursive: true });
    this.logTimer = setInterval(() => this.checkLogSizes(), opts.logCheckIntervalMs ?? DEFAULT_LOG_CHECK_MS);
    this.logTimer.unref();
  }

  start(spec: InstanceSpec): InstanceStatus {
    if (this.closed) {
      throw new TandemError(
        'TANDEM_SUPERVISOR_CLOSED',
        'the supervisor is shutting down; start the instance again later',
      );
    }
    if (!ID_PATTERN.test(spec.id)) {
      throw new TandemError(
        'TANDEM_INSTANCE_ID_INVALID',
        `invalid instance id "${spec.id}": use lowercase letters, digits and "-"`,
      );
    }
    if (this.instances.has(spec.id)) {
      throw new TandemError('TANDEM_INSTANCE_EXISTS', `instance "${spec.id}" already exists on this agent`);
    }
    const at = this.now();
    const inst: Instance = {
      spec,
      status: newInstanceStatus(spec, at, path.join(this.opts.logDir, `${spec.id}.log`)),
      generation: 0,
      child: undefined,
      exited: Promise.resolve(),
      health: NEW_PROCESS,
      history: NO_RESTARTS,
      healthTimer: undefined,
      restartTimer: undefined,
      stopRequested: false,
      stopping: undefined,
      rotating: Promise.resolve(),
    };
    this.instances.set(spec.id, inst);
    if (spec.port > 0) {
      this.spawnProcess(inst, false);
    } else {
      this.emit(inst);
      void this.launch(inst, false);
    }
    return { ...inst.status };
  }

  stop(id: string): Promise<void> {
    const inst = this.instances.get(id);
    if (inst === undefined) return Promise.resolve();
    inst.stopping ??= this.stopInstance(inst);
    return inst.stopping;
  }

  restartNow(id: string): void {
    const inst = this.known(id);
    if (inst.stopRequested) return;
    const pid = inst.status.pid;
    if (pid !== null) {
      logger().info(
        { instance: id, instancePid: pid },
        'supervisor: restart requested, killing the process group',
      );
      this.note(inst, `restart requested: SIGKILL to the process group of pid=${pid}`);
      signalGroup(pid, 'SIGKILL');
      return;
    }
    // Waiting out a backoff: restart at once instead.
    if (inst.restartTimer !== undefined) {
      clearTimeout(inst.restartTimer);
      inst.restartTimer = undefined;
      void this.launch(inst, true);
    }
  }

  list(): InstanceStatus[] {
    return [...this.instances.values()].map((inst) => ({ ...inst.status }));
  }

  get(id: string): InstanceStatus | undefined {
    const inst = this.instances.get(id);
    return inst === undefined ? undefined : { ...inst.status };
  }

  async tail(id: string, lines: number): Promise<string[]> {
    // Also for an instance already stopped: its log stays (a crashed release's last words).
    if (!ID_PATTERN.test(id)) {
      throw new TandemError('TANDEM_INSTANCE_ID_INVALID', `invalid instance id "${id}"`);
    }
    const logFile = this.instances.get(id)?.status.logFile ?? path.join(this.opts.logDir, `${id}.log`);
    if (!Number.isFinite(lines)) return [];
    return tailLines(logFile, Math.min(Math.floor(lines), MAX_TAIL_LINES));
  }

  onChange(listener: (status: InstanceStatus) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.instances.keys()].map((id) => this.stop(id)));
    clearInterval(this.logTimer);
  }

  /** Picks the port if needed, rotates the log if it is due, then spawns (unless stopped meanwhile). */
  private async launch(inst: Instance, isRestart: boolean): Promise<void> {
    try {
      if (inst.status.port === 0) {
        const port = await pickFreePort(this.portsInUse());
        if (inst.stopRequested) return;
        inst.status.port = port;
      }
      if (isRestart) await this.rotateLog(inst);
    } catch (err) {
      if (inst.stopRequested) return;
      logger().error({ err, instance: inst.spec.id }, 'supervisor: cannot prepare the instance start');
      this.processGone(
        inst,
        inst.generation,
        { code: null, signal: null },
        `cannot start: ${errorText(err)}`,
      );
      return;
    }
    if (inst.stopRequested) return;
    this.spawnProcess(inst, isRestart);
  }

  private spawnProcess(inst: Instance, isRestart: boolean): void {
    const { spec, status } = inst;
    const generation = ++inst.generation;
    status.startedAt = this.now();
    status.state = 'starting';
    status.healthy = false;
    inst.health = NEW_PROCESS;
    if (isRestart) status.restarts++;

    let resolveExited = (): void => undefined;
    inst.exited = new Promise((resolve) => {
      resolveExited = resolve;
    });
    const failed = (reason: string): void => {
      resolveExited();
      this.processGone(inst, generation, { code: null, signal: null }, reason);
    };

    const cwdProblem = checkDirectory(spec.cwd);
    if (cwdProblem !== undefined) {
      failed(cwdProblem);
      return;
    }
    let child: ChildProcess;
    let fd: number;
    try {
      fd = openSync(status.logFile, 'a');
    } catch (err) {
      failed(`cannot open the log file ${status.logFile}: ${errorText(err)}`);
      return;
    }
    try {
      child = spawn('bash', ['-c', spec.command], {
        cwd: spec.cwd,
        env: { ...spec.env, PORT: String(status.port) },
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } catch (err) {
      failed(`cannot start bash: ${errorText(err)}`);
      return;
    } finally {
      closeSync(fd); // the child has its own copy
    }
    const pid = child.pid;
    if (pid === undefined) {
      // Spawning failed asynchronously: 'error' follows, 'exit' does not.
      child.once('error', (err) => failed(`cannot start bash: ${err.message}`));
      return;
    }
    // This process must not wait for its instances: they are meant to outlive it.
    child.unref();
    child.once('error', (err) =>
      logger().warn({ err, instance: spec.id, instancePid: pid }, 'supervisor: child process error'),
    );
    child.once('exit', (code, signal) => {
      resolveExited();
      this.processGone(inst, generation, { code, signal });
    });
    inst.child = child;
    status.pid = pid;
    const what = isRestart ? `instance restarted (restart ${status.restarts})` : 'instance started';
    this.note(inst, `${what} pid=${pid} port=${status.port} revision=${spec.revision}`);
    logger().info(
      { instance: spec.id, instancePid: pid, port: status.port, restarts: status.restarts },
      `supervisor: ${what}`,
    );
    this.emit(inst);
    this.scheduleHealthCheck(inst, generation);
  }

  /** The current process exited (or never started): restart it after a backoff unless stopping. */
  private processGone(
    inst: Instance,
    generation: number,
    exit: { code: number | null; signal: NodeJS.Signals | null },
    reason?: string,
  ): void {
    if (generation !== inst.generation) return;
    const { status } = inst;
    const pid = status.pid;
    const at = this.now();
    inst.child = undefined;
    clearTimeout(inst.healthTimer);
    inst.healthTimer = undefined;
    status.pid = null;
    status.healthy = false;
    status.lastExit = { code: exit.code, signal: exit.signal, at };
    const how =
      reason ??
      `instance exited code=${exit.code} signal=${exit.signal} after ${seconds(at - status.startedAt)}`;
    if (inst.stopRequested) {
      this.note(inst, how);
      return; // stopInstance() finishes the job
    }
    // Whatever the leader left in its group (`server &`) must not hold the port of the next process.
    if (pid !== null) signalGroup(pid, 'SIGKILL');
    const decision = afterExit(inst.history, status.startedAt, at, this.backoff);
    inst.history = decision.history;
    status.state = decision.crashlooping ? 'crashlooping' : 'starting';
    const loop = decision.crashlooping
      ? ` (crash loop: ${decision.history.quickExits} quick exits in a row)`
      : '';
    this.note(inst, `${how}; restarting in ${seconds(decision.delayMs)}${loop}`);
    logger().warn(
      {
        instance: inst.spec.id,
        instancePid: pid,
        ...status.lastExit,
        delayMs: decision.delayMs,
        state: status.state,
        reason,
      },
      'supervisor: instance exited, restarting',
    );
    this.emit(inst);
    inst.restartTimer = setTimeout(() => {
      inst.restartTimer = undefined;
      void this.launch(inst, true);
    }, decision.delayMs);
    inst.restartTimer.unref();
  }

  private async stopInstance(inst: Instance): Promise<void> {
    const { status, spec } = inst;
    inst.stopRequested = true;
    clearTimeout(inst.restartTimer);
    clearTimeout(inst.healthTimer);
    inst.restartTimer = undefined;
    inst.healthTimer = undefined;
    status.state = 'stopping';
    status.healthy = false;
    this.emit(inst);

    const pid = status.pid;
    if (pid !== null) {
      const { signal, graceMs } = spec.stop;
      this.note(
        inst,
        `instance stopping: ${signal} to the process group of pid=${pid} (SIGKILL after ${graceMs}ms)`,
      );
      signalGroup(pid, signal);
      if (!(await groupGone(pid, inst.exited, graceMs))) {
        this.note(inst, `instance still running after ${graceMs}ms: SIGKILL to the process group`);
        signalGroup(pid, 'SIGKILL');
        if (!(await groupGone(pid, inst.exited, KILL_WAIT_MS))) {
          logger().error(
            { instance: spec.id, instancePid: pid },
            'supervisor: the process group survived SIGKILL',
          );
        }
      }
    }
    status.state = 'exited';
    status.pid = null;
    this.note(inst, 'instance stopped');
    logger().info({ instance: spec.id, instancePid: pid }, 'supervisor: instance stopped');
    this.instances.delete(spec.id);
    this.emit(inst);
  }

  private scheduleHealthCheck(inst: Instance, generation: number): void {
    const check = inst.spec.health;
    // Until a new process first passes, probe often: a rollout should not wait a whole interval
    // for an instance that is already up. Thresholds still count checks at the interval after that.
    const starting = !inst.health.healthy && inst.health.passes === 0;
    const delay = starting ? Math.min(check.intervalMs, STARTUP_PROBE_MS) : check.intervalMs;
    inst.healthTimer = setTimeout(async () => {
      if (generation !== inst.generation || inst.stopRequested) return;
      const result = await probe(check, inst.status.port);
      if (generation !== inst.generation || inst.stopRequested || inst.status.pid === null) return;
      const before = inst.health;
      inst.health = recordCheck(before, result.ok, check);
      const { status } = inst;
      if (inst.health.healthy !== before.healthy) {
        status.healthy = inst.health.healthy;
        if (status.healthy) status.state = 'running';
        const verdict = status.healthy
          ? `instance healthy (${inst.health.passes} passing checks in a row)`
          : `instance unhealthy (${inst.health.failures} failing checks in a row, last: ${result.detail})`;
        this.note(inst, verdict);
        logger().info(
          { instance: inst.spec.id, healthy: status.healthy, detail: result.detail },
          'supervisor: health changed',
        );
        this.emit(inst);
      }
      this.scheduleHealthCheck(inst, generation);
    }, delay);
    inst.healthTimer.unref();
  }

  private checkLogSizes(): void {
    for (const inst of this.instances.values()) void this.rotateLog(inst);
  }

  /** One rotation at a time per instance; failures are logged, never thrown. */
  private rotateLog(inst: Instance): Promise<void> {
    inst.rotating = inst.rotating.then(async () => {
      try {
        if (await rotateIfLarger(inst.status.logFile, this.logMaxBytes, this.logFiles)) {
          logger().debug({ instance: inst.spec.id }, 'supervisor: log rotated');
        }
      } catch (err) {
        logger().warn({ err, instance: inst.spec.id }, 'supervisor: log rotation failed');
      }
    });
    return inst.rotating;
  }

  /** Ports of current instances: one between two processes must not see its port handed out. */
  private portsInUse(): Set<number> {
    return new Set([...this.instances.values()].map((inst) => inst.status.port).filter((p) => p > 0));
  }

  private known(id: string): Instance {
    const inst = this.instances.get(id);
    if (inst === undefined) {
      throw new TandemError('TANDEM_INSTANCE_NOT_FOUND', `no instance "${id}" on this agent`);
    }
    return inst;
  }

  /** A `[tandem] ...` line in the instance's own log, where its user looks. */
  private note(inst: Instance, text: string): void {
    try {
      appendLine(inst.status.logFile, text);
    } catch (err) {
      logger().warn({ err, instance: inst.spec.id }, 'supervisor: cannot write to the instance log');
    }
  }

  private emit(inst: Instance): void {
    for (const listener of this.listeners) {
      try {
        listener({ ...inst.status });
      } catch (err) {
        logger().error({ err, instance: inst.spec.id }, 'supervisor: onChange listener failed');
      }
    }
  }
}

/**
 * Waits until the group has no live member, at most `timeoutMs`: first for the leader's exit (an
 * event, no polling), then polls /proc for what it left behind.
 */
async function groupGone(pgid: number, leaderExited: Promise<void>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const ac = new AbortController();
  await Promise.race([
    leaderExited,
    sleep(timeoutMs, undefined, { signal: ac.signal }).catch(() => undefined),
  ]);
  ac.abort();
  while (isGroupAlive(pgid)) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(GROUP_POLL_MS, left));
  }
  return true;
}

function checkDirectory(dir: string): string | undefined {
  try {
    return statSync(dir).isDirectory() ? undefined : `cannot start: ${dir} is not a directory`;
  } catch (err) {
    return `cannot start: working directory ${dir} is missing (${errorText(err)})`;
  }
}

function seconds(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)}ms` : `${(ms / 1_000).toFixed(1)}s`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
