/** The control plane's side of the agent's admin API (protocol.ts), on Node's global fetch. */
import { TandemError } from '../errors.js';
import type { InstanceSpec, InstanceStatus } from '../runtime/local/types.js';
import type { AgentState, ListenerSpec, ListenerStatus, StatsResponse, UsageResponse } from './protocol.js';

export interface AgentClientOptions {
  url: string;
  token: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export class AgentClient {
  readonly url: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(opts: AgentClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  state(timeoutMs?: number): Promise<AgentState> {
    return this.call('GET', '/v1/state', undefined, timeoutMs);
  }

  startInstance(spec: InstanceSpec): Promise<InstanceStatus> {
    return this.call('PUT', `/v1/instances/${enc(spec.id)}`, spec);
  }

  /** Returns once the agent accepted; the drain and the stop go on in the agent. */
  async stopInstance(id: string, drainMs: number): Promise<void> {
    await this.call('POST', `/v1/instances/${enc(id)}/stop`, { drainMs });
  }

  async restartInstance(id: string): Promise<void> {
    await this.call('POST', `/v1/instances/${enc(id)}/restart`);
  }

  async logs(id: string, lines: number): Promise<string[]> {
    const body = await this.call<{ lines: string[] }>('GET', `/v1/instances/${enc(id)}/logs?lines=${lines}`);
    return body.lines;
  }

  putListener(spec: ListenerSpec): Promise<ListenerStatus> {
    return this.call('PUT', `/v1/listeners/${enc(spec.key)}`, spec);
  }

  async deleteListener(key: string): Promise<void> {
    await this.call('DELETE', `/v1/listeners/${enc(key)}`);
  }

  stats(): Promise<StatsResponse> {
    return this.call('GET', '/v1/stats');
  }

  /** CPU (cumulative seconds) and RSS per instance; null for an instance without a process now. */
  usage(): Promise<UsageResponse> {
    return this.call('GET', '/v1/usage');
  }

  /** Returns once the agent accepted; it then stops every instance and listener, and exits. */
  async shutdown(): Promise<void> {
    await this.call('POST', '/v1/shutdown');
  }

  private async call<T>(method: string, route: string, body?: unknown, timeoutMs?: number): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const ms = timeoutMs ?? this.timeoutMs;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.url}${route}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(ms),
      });
      text = await res.text();
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new TandemError(
        timedOut ? 'TANDEM_AGENT_TIMEOUT' : 'TANDEM_AGENT_UNREACHABLE',
        timedOut
          ? `the agent at ${this.url} did not answer ${method} ${route} within ${ms} ms`
          : `cannot reach the agent at ${this.url}: ${causeOf(err)}`,
        { cause: err },
      );
    }
    const json = parse(text);
    if (!res.ok) {
      const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const code = typeof error?.code === 'string' ? error.code : 'TANDEM_AGENT_ERROR';
      const message =
        typeof error?.message === 'string'
          ? error.message
          : `agent answered ${res.status} to ${method} ${route}`;
      throw new TandemError(code, message);
    }
    return json as T;
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function parse(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED, ...) in `cause`. */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
