/**
 * The local runtime's process supervisor (issue 3): it starts service instances as processes of
 * their own (own process group, stdout/stderr straight to a per-instance log file, so they do not
 * depend on the process that started them), health-checks them continuously, restarts them with
 * exponential backoff and reports crash loops. It lives in the agent process (src/agent/), which
 * also hosts the data planes; the control plane drives both through the agent's API.
 */

export type HealthCheck =
  | {
      kind: 'http';
      path: string;
      intervalMs: number;
      timeoutMs: number;
      healthyThreshold: number;
      unhealthyThreshold: number;
    }
  | {
      kind: 'tcp';
      intervalMs: number;
      timeoutMs: number;
      healthyThreshold: number;
      unhealthyThreshold: number;
    };

export interface InstanceSpec {
  /** Unique among all instances of the agent, e.g. `production-web-r3-4f2a`. [a-z0-9-] only. */
  id: string;
  environment: string;
  service: string;
  /** The release the instance runs. */
  revision: string;
  /** bash script, run as `bash -c` in `cwd`. */
  command: string;
  /** Absolute directory (inside the release). */
  cwd: string;
  /** Complete environment of the process, except PORT which the supervisor adds. */
  env: Record<string, string>;
  /** The instance's own port on 127.0.0.1, passed as PORT; 0 lets the supervisor pick a free one. */
  port: number;
  health: HealthCheck;
  stop: { signal: NodeJS.Signals; graceMs: number };
}

/**
 * starting: launched, not yet healthy (or restarting after a crash); running: passed its health
 * check at least once since the last (re)start; stopping: asked to stop; exited: stopped for good
 * (after stop()); crashlooping: exited again and again soon after starting, waiting out a backoff.
 */
export type InstanceState = 'starting' | 'running' | 'stopping' | 'exited' | 'crashlooping';

export interface InstanceStatus {
  id: string;
  environment: string;
  service: string;
  revision: string;
  state: InstanceState;
  /** Passing its health check now (after the healthy/unhealthy thresholds). */
  healthy: boolean;
  pid: number | null;
  port: number;
  /** Restarts after unplanned exits since the instance was created. */
  restarts: number;
  /** ms since epoch of the instance's creation (not of its last restart). */
  createdAt: number;
  /** ms since epoch of the current process's start. */
  startedAt: number;
  lastExit: { code: number | null; signal: string | null; at: number } | null;
  /** Absolute path of the current log file. */
  logFile: string;
}

export interface SupervisorOptions {
  /** Directory of the per-instance log files (`<logDir>/<id>.log`, rotated to `.log.1`...). */
  logDir: string;
  /** Rotate when a log file passes this size (default 10 MiB); keep `logFiles` old files (default 3). */
  logMaxBytes?: number;
  logFiles?: number;
  /** Injected for tests: ms since epoch. */
  now?: () => number;
  /**
   * Restart delays after unplanned exits: `initialMs` (default 500) doubling up to `maxMs` (default
   * 30 s); back to `initialMs` once a process stayed up `resetAfterMs` (default 10 s). Tests shorten them.
   */
  restartBackoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
  /** How often log file sizes are checked for rotation (default 1000 ms). */
  logCheckIntervalMs?: number;
}

export interface Supervisor {
  /**
   * Starts a new instance; throws (code TANDEM_INSTANCE_EXISTS) when the id is taken. With `port: 0`
   * the returned status still shows port 0 and no pid: the port is picked asynchronously and the
   * first onChange after it carries the port and the pid.
   */
  start(spec: InstanceSpec): InstanceStatus;
  /**
   * Stops an instance: its signal to the whole process group, SIGKILL after the grace, then the
   * instance is forgotten (list() no longer shows it). Resolves when the process group is gone.
   */
  stop(id: string): Promise<void>;
  /** Kills the instance's current process (as a crash would): it is restarted like after a crash. */
  restartNow(id: string): void;
  list(): InstanceStatus[];
  get(id: string): InstanceStatus | undefined;
  /** The last `lines` lines of the instance's log (across a rotation). */
  tail(id: string, lines: number): Promise<string[]>;
  /** Called after every state or health change of an instance. Returns an unsubscribe function. */
  onChange(listener: (status: InstanceStatus) => void): () => void;
  /** Stops every instance (as stop()), then stops checking. */
  close(): Promise<void>;
}

/** The status of an instance just created from its spec: starting, not healthy, no process yet. */
export function newInstanceStatus(spec: InstanceSpec, at: number, logFile: string): InstanceStatus {
  return {
    id: spec.id,
    environment: spec.environment,
    service: spec.service,
    revision: spec.revision,
    state: 'starting',
    healthy: false,
    pid: null,
    port: spec.port,
    restarts: 0,
    createdAt: at,
    startedAt: at,
    lastExit: null,
    logFile,
  };
}
