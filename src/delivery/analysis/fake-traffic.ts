/**
 * For tests: one revision's cumulative counters as the data plane would report them, fed with
 * requests by hand. Deterministic, no clock.
 */
import { LATENCY_BUCKETS_MS } from '../../proxy/types.js';
import type { RevisionCounters } from './types.js';

export class FakeRevisionTraffic {
  private current: RevisionCounters = emptyCounters();

  /** `count` requests answered with `status` after `latencyMs` each. */
  answer(count: number, latencyMs: number, status: '2xx' | '5xx' = '2xx'): this {
    const { latency } = this.current;
    this.current.requests += count;
    if (status === '5xx') this.current.errors5xx += count;
    const bucket = LATENCY_BUCKETS_MS.findIndex((bound) => latencyMs <= bound);
    const index = bucket === -1 ? LATENCY_BUCKETS_MS.length : bucket;
    latency.counts[index] = (latency.counts[index] ?? 0) + count;
    latency.count += count;
    latency.sumMs += count * latencyMs;
    return this;
  }

  /** `count` requests whose upstream connection failed: no response, no latency. */
  failToConnect(count: number): this {
    this.current.requests += count;
    this.current.connectionFailures += count;
    return this;
  }

  /** The data plane restarted: every counter starts again from zero. */
  restart(): this {
    this.current = emptyCounters();
    return this;
  }

  /** A copy of the counters now. */
  counters(): RevisionCounters {
    return {
      ...this.current,
      latency: { ...this.current.latency, counts: [...this.current.latency.counts] },
    };
  }
}

export function emptyCounters(): RevisionCounters {
  return {
    requests: 0,
    errors5xx: 0,
    connectionFailures: 0,
    latency: {
      bucketsMs: LATENCY_BUCKETS_MS,
      counts: LATENCY_BUCKETS_MS.map(() => 0).concat(0),
      count: 0,
      sumMs: 0,
    },
  };
}
