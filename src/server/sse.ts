/**
 * Live updates as Server-Sent Events (GET /api/v1/stream): the event log, an instance's log
 * lines and a pipeline job's log, for the dashboard's live views. Each message is
 * `event: <topic>` (`events`, `logs` or `joblog`) with a JSON `data:` line; event-log messages
 * carry `id: <event id>`, so a browser that reconnects sends `Last-Event-ID` and resumes exactly
 * after the last one it saw (log messages carry no id and leave it as it was). The store is
 * polled (every 250–500 ms in production, in bounded batches); a comment line every 15 s keeps
 * proxies from closing an idle stream. The stream ends when the client goes away.
 */
import { ApiError } from '../agent/http-io.js';
import { type RunJobState, readJobLog, runJobState } from '../control/job-log.js';
import type { AgentApi } from '../control/ports.js';
import { kindOf, titleOf } from '../control/timeline.js';
import { logger } from '../log/logger.js';
import type { StoredJobStatus } from '../store/database.js';
import type { ScopedEvent } from '../store/repositories/events.js';
import type { Store } from '../store/store.js';
import type { RouteContext } from './routes/types.js';

export const STREAM_TOPICS = ['events', 'logs', 'joblog'] as const;
export type StreamTopic = (typeof STREAM_TOPICS)[number];

export interface StreamOptions {
  store: Pick<Store, 'events' | 'runs'>;
  /** Where `logs` lines come from (the agent client); required for that topic. */
  agent?: Pick<AgentApi, 'logs'>;
  topics: readonly StreamTopic[];
  /** Replay the events after this id; a `Last-Event-ID` header wins. Default: only new events. */
  afterId?: number;
  /** Events about this environment only. */
  environment?: string;
  /** Events about this service only (and those about its whole environment that concern it). */
  service?: string;
  /** Events whose type starts with one of these (`rollout.`, `pipeline.`…). */
  types?: readonly string[];
  /** The instance whose log lines `logs` follows. */
  instance?: string;
  /** The pipeline run and job whose log `joblog` follows. */
  run?: string;
  job?: string;
  /** The byte offset `joblog` starts at (a previous message's `offset`); default: the log's tail. */
  offset?: number;
  /** The project directory holding `.tandem/runs` (ControlPlane.root); required for `joblog`. */
  root?: string;
  /** Lines of the log sent when the stream opens, and the window compared on each poll (default 200). */
  logLines?: number;
  /** How often the store and the agent are read (default 400 ms). */
  pollMs?: number;
  /** A comment line this often (default 15 s). */
  heartbeatMs?: number;
  /** Events read per query (default 200); at most 5 queries per poll, the rest on the next one. */
  batch?: number;
}

export const DEFAULT_POLL_MS = 400;
export const DEFAULT_HEARTBEAT_MS = 15_000;
const MAX_BATCHES_PER_POLL = 5;

/** The JSON of one `events` message. */
export interface StreamedEvent {
  id: number;
  at: string;
  type: string;
  kind: string;
  title: string;
  environment: string | null;
  service: string | null;
  subjectKind: string;
  subjectId: string;
  data: Record<string, unknown>;
}

/** The JSON of one `logs` message. */
export interface StreamedLogs {
  instance: string;
  lines: string[];
  /** True when lines may have been missed (more were written between two reads than the window). */
  gap?: boolean;
  /** Why the log cannot be read now (the instance is gone…); sent once per change. */
  error?: string;
}

/** The JSON of one `joblog` message. */
export interface StreamedJobLog {
  run: string;
  job: string;
  lines: string[];
  /** The byte offset after these lines: `?offset=` of a stream or route call that continues. */
  offset: number;
  /** The job is final and its whole log was sent: the last joblog message of the stream. */
  done?: true;
  /** The job's stored status, on the `done` message. */
  status?: StoredJobStatus;
}

/**
 * Writes the stream to `ctx.res` until the client disconnects; resolves then. Refuses bad
 * options (ApiError 400) before writing anything.
 */
export async function streamEvents(
  ctx: Pick<RouteContext, 'req' | 'res'>,
  opts: StreamOptions,
): Promise<void> {
  const { req, res } = ctx;
  const wantsEvents = opts.topics.includes('events');
  const wantsLogs = opts.topics.includes('logs');
  const wantsJobLog = opts.topics.includes('joblog');
  if (!wantsEvents && !wantsLogs && !wantsJobLog) {
    throw new ApiError(400, 'TANDEM_BAD_QUERY', `?topics= needs one of ${STREAM_TOPICS.join(', ')}`);
  }
  if (wantsLogs && (opts.instance === undefined || opts.instance === '')) {
    throw new ApiError(
      400,
      'TANDEM_BAD_QUERY',
      'the logs topic needs ?instance=<instance id> (see GET /services/:service/instances)',
    );
  }
  if (wantsLogs && opts.agent === undefined) {
    throw new ApiError(
      503,
      'TANDEM_NO_AGENT',
      'logs cannot be streamed: the control plane has no agent connection',
    );
  }
  if (wantsJobLog && (!opts.run || !opts.job)) {
    throw new ApiError(
      400,
      'TANDEM_BAD_QUERY',
      'the joblog topic needs ?run=<run id>&job=<job name> (see GET /runs/:id)',
    );
  }
  if (wantsJobLog && opts.root === undefined) {
    throw new ApiError(
      503,
      'TANDEM_NO_PROJECT',
      'job logs cannot be streamed: no project directory is known',
    );
  }
  // Listened for before anything is awaited: a client gone by then must not leave timers behind.
  let closed = false;
  let onClose: (() => void) | undefined;
  const ended = new Promise<void>((resolve) => {
    res.once('close', () => {
      closed = true;
      onClose?.();
      resolve();
    });
  });
  const resumeFrom = lastEventId(req.headers['last-event-id']);
  let after = resumeFrom ?? opts.afterId;
  if (wantsEvents && after === undefined) {
    const [latest] = await opts.store.events.list({ order: 'desc', limit: 1 });
    after = latest?.id ?? 0;
  }
  // An unknown run or job (404) or a bad offset (400) is answered before the stream starts.
  const jobLog = wantsJobLog ? await JobLogFollower.open(opts) : undefined;
  if (closed || req.socket.destroyed) return;

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');

  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const batch = opts.batch ?? 200;
  const logLines = opts.logLines ?? 200;
  const logs = wantsLogs ? new LogFollower(opts.instance as string, resumeFrom === undefined) : undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const heartbeat = setInterval(() => {
    if (!closed) res.write(': heartbeat\n\n');
  }, opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  onClose = () => {
    clearInterval(heartbeat);
    clearTimeout(pollTimer);
    wake?.();
  };

  /** Waits for the socket to take more when a write was refused, so a slow client is not buffered without bound. */
  const send = async (text: string) => {
    if (closed) return;
    if (res.write(text)) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
      res.once('drain', resolve);
    });
    wake = undefined;
  };

  const pollEvents = async () => {
    for (let i = 0; i < MAX_BATCHES_PER_POLL && !closed; i++) {
      const events = await opts.store.events.listScoped({
        afterId: after as number,
        limit: batch,
        order: 'asc',
      });
      for (const e of events) {
        after = e.id;
        if (matches(e, opts)) await send(eventMessage(e));
      }
      if (events.length < batch) return;
    }
  };

  const pollLogs = async (follower: LogFollower) => {
    const agent = opts.agent as Pick<AgentApi, 'logs'>;
    let out: StreamedLogs | undefined;
    try {
      out = follower.next(await agent.logs(follower.instance, logLines), logLines);
    } catch (err) {
      out = follower.failed(err instanceof Error ? err.message : String(err));
    }
    if (out !== undefined) await send(`event: logs\ndata: ${JSON.stringify(out)}\n\n`);
  };

  const pollJobLog = async (follower: JobLogFollower) => {
    for (const message of await follower.next())
      await send(`event: joblog\ndata: ${JSON.stringify(message)}\n\n`);
  };

  const tick = async () => {
    try {
      if (wantsEvents) await pollEvents();
      if (logs !== undefined && !closed) await pollLogs(logs);
      if (jobLog !== undefined && !closed) await pollJobLog(jobLog);
    } catch (err) {
      if (!closed) logger().warn({ err }, 'event stream: a poll failed; retrying');
    }
    if (!closed) pollTimer = setTimeout(() => void tick(), pollMs);
  };
  void tick();
  await ended;
}

/** Whether an event passes the stream's filters. */
export function matches(
  e: ScopedEvent,
  f: Pick<StreamOptions, 'environment' | 'service' | 'types'>,
): boolean {
  if (f.environment !== undefined && e.environment !== f.environment) return false;
  if (f.service !== undefined && e.service !== f.service) {
    // About the whole environment: in, unless it names its services and not this one.
    if (e.service !== null || e.environment === null) return false;
    const services = e.data.services;
    if (Array.isArray(services) && services.length > 0 && !services.includes(f.service)) return false;
  }
  if (f.types !== undefined && f.types.length > 0 && !f.types.some((t) => e.type.startsWith(t))) return false;
  return true;
}

function eventMessage(e: ScopedEvent): string {
  const payload: StreamedEvent = {
    id: e.id,
    at: e.at,
    type: e.type,
    kind: kindOf(e),
    title: titleOf(e, e.data),
    environment: e.environment,
    service: e.service,
    subjectKind: e.subjectKind,
    subjectId: e.subjectId,
    data: e.data,
  };
  // JSON has no raw newlines, so one data line is the whole message.
  return `id: ${e.id}\nevent: events\ndata: ${JSON.stringify(payload)}\n\n`;
}

function lastEventId(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/**
 * The new lines of an instance's log. The agent answers the last N lines, so each read is
 * compared with the previous one: the longest tail of the previous read that starts the new
 * read is what was already sent.
 */
export class LogFollower {
  private previous: string[] | undefined;
  private lastError: string | undefined;

  /** `sendInitial`: the first read is sent (a fresh stream) or only remembered (a resumed one). */
  constructor(
    readonly instance: string,
    private readonly sendInitial = true,
  ) {}

  /** The message for a read, or undefined when nothing is new. */
  next(lines: string[], window: number): StreamedLogs | undefined {
    this.lastError = undefined;
    const previous = this.previous;
    this.previous = lines;
    if (previous === undefined) {
      return this.sendInitial && lines.length > 0 ? { instance: this.instance, lines } : undefined;
    }
    const overlap = overlapOf(previous, lines);
    const fresh = lines.slice(overlap);
    if (fresh.length === 0) return undefined;
    // Nothing in common while the window was full: lines were written faster than read.
    const gap = overlap === 0 && previous.length > 0 && lines.length >= window;
    return gap ? { instance: this.instance, lines: fresh, gap } : { instance: this.instance, lines: fresh };
  }

  failed(message: string): StreamedLogs | undefined {
    if (message === this.lastError) return undefined;
    this.lastError = message;
    return { instance: this.instance, lines: [], error: message };
  }
}

/** The largest k such that the last k lines of `before` are the first k lines of `after`. */
export function overlapOf(before: readonly string[], after: readonly string[]): number {
  const max = Math.min(before.length, after.length);
  for (let k = max; k > 0; k--) {
    let same = true;
    const offset = before.length - k;
    for (let i = 0; i < k; i++) {
      if (before[offset + i] !== after[i]) {
        same = false;
        break;
      }
    }
    if (same) return k;
  }
  return 0;
}

/**
 * The new lines of a pipeline job's log file, read from the last offset sent. The job's status is
 * read before the file: once it is final, everything the job wrote is in the file, so a read that
 * reaches the end is the last (`done`).
 */
export class JobLogFollower {
  private done = false;

  private constructor(
    private readonly opts: Required<Pick<StreamOptions, 'store' | 'run' | 'job' | 'root'>>,
    private offset: number,
    private pending: StreamedJobLog[],
  ) {}

  /** Checks the run and job (404) and reads the start: the tail, or from `opts.offset` (400 beyond the end). */
  static async open(opts: StreamOptions): Promise<JobLogFollower> {
    const o = { store: opts.store, run: opts.run ?? '', job: opts.job ?? '', root: opts.root ?? '' };
    const state = await runJobState(o.store, o.run, o.job);
    const first = await readJobLog(o.root, o.run, o.job, {
      ...(opts.offset === undefined ? {} : { offset: opts.offset }),
      final: state.final,
    });
    const follower = new JobLogFollower(o, first.offset, []);
    follower.pending = follower.messages(first, state.status);
    return follower;
  }

  /** The messages to send now (none once `done` was sent). */
  async next(): Promise<StreamedJobLog[]> {
    // Messages wait in `pending` until returned, so a failed read loses none of the earlier ones.
    // A few reads per poll, so a job that writes fast is caught up with in bounded steps.
    for (let i = 0; i < 4 && !this.done; i++) {
      let state: RunJobState;
      try {
        state = await runJobState(this.opts.store, this.opts.run, this.opts.job);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
        // The run was removed while followed: there is nothing more to send.
        logger().debug({ run: this.opts.run, job: this.opts.job }, 'joblog: the run is gone');
        this.done = true;
        break;
      }
      const read = await readJobLog(this.opts.root, this.opts.run, this.opts.job, {
        offset: this.offset,
        final: state.final,
      });
      const progressed = read.offset > this.offset;
      this.offset = read.offset;
      this.pending.push(...this.messages(read, state.status));
      if (!progressed) break;
    }
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private messages(
    read: { lines: string[]; offset: number; complete: boolean },
    status: StoredJobStatus,
  ): StreamedJobLog[] {
    if (this.done) return [];
    const { run, job } = this.opts;
    const out: StreamedJobLog[] = [];
    if (read.lines.length > 0) out.push({ run, job, lines: read.lines, offset: read.offset });
    if (read.complete) {
      this.done = true;
      out.push({ run, job, lines: [], offset: read.offset, done: true, status });
    }
    return out;
  }
}
