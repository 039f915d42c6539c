/**
 * Traffic counters of the builtin data plane (total, per revision, per instance): response classes,
 * connection failures, requests in flight and a latency histogram over LATENCY_BUCKETS_MS.
 */
import { LATENCY_BUCKETS_MS, type TrafficStats } from '../types.js';

const BUCKETS = LATENCY_BUCKETS_MS;
const NBUCKETS = BUCKETS.length;

export class Counters {
  requests = 0;
  r2xx = 0;
  r3xx = 0;
  r4xx = 0;
  r5xx = 0;
  connectionFailures = 0;
  inFlight = 0;
  buckets: number[] = new Array<number>(NBUCKETS + 1).fill(0);
  count = 0;
  sumMs = 0;

  response(status: number): void {
    if (status < 300) {
      if (status >= 200) this.r2xx++;
    } else if (status < 400) this.r3xx++;
    else if (status < 500) this.r4xx++;
    else this.r5xx++;
  }

  latency(ms: number): void {
    let i = 0;
    while (i < NBUCKETS && ms > BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.count++;
    this.sumMs += ms;
  }

  snapshot(): TrafficStats {
    return {
      requests: this.requests,
      responses: { '2xx': this.r2xx, '3xx': this.r3xx, '4xx': this.r4xx, '5xx': this.r5xx },
      connectionFailures: this.connectionFailures,
      inFlight: this.inFlight,
      latency: { bucketsMs: BUCKETS, counts: this.buckets.slice(), count: this.count, sumMs: this.sumMs },
    };
  }
}
