/**
 * The data plane's cumulative counters (the agent's GET /v1/stats) as Prometheus samples, per
 * environment, service and revision. Pure.
 *
 * Cardinality: a revision appears only while the data plane's stats list it, so the series are
 * bounded by what the agent keeps (the revisions its listeners served since it started); an
 * instance id is never a label here. Responses the listener gave without any revision (a 503
 * while no instance is routable) are the difference between the listener's total and its
 * revisions, labelled `revision="none"`, so summing over revisions gives the listener's total.
 */
import type { StatsResponse } from '../../agent/protocol.js';
import { LATENCY_BUCKETS_MS, type TrafficStats } from '../../proxy/types.js';
import { type FamilySample, histogramSamples } from './snapshot-family.js';

/** The revision label of responses no revision answered. */
export const NO_REVISION = 'none';

export const CODE_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;

/** The proxy's latency buckets (ms), in seconds: the bounds of tandem_http_request_duration_seconds. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze(
  LATENCY_BUCKETS_MS.map((ms) => ms / 1000),
);

export interface TrafficSamples {
  requests: FamilySample[];
  duration: FamilySample[];
  connectionFailures: FamilySample[];
  inFlight: FamilySample[];
}

/** `<environment>.<service>`: names are [a-z0-9-], so the first dot splits them. */
export function splitListenerKey(key: string): { environment: string; service: string } {
  const dot = key.indexOf('.');
  return dot < 0
    ? { environment: key, service: '' }
    : { environment: key.slice(0, dot), service: key.slice(dot + 1) };
}

export function trafficSamples(stats: StatsResponse): TrafficSamples {
  const out: TrafficSamples = { requests: [], duration: [], connectionFailures: [], inFlight: [] };
  for (const key of Object.keys(stats).sort()) {
    const listener = stats[key]!;
    const base = splitListenerKey(key);
    const revisions = Object.keys(listener.revisions).sort();
    for (const revision of revisions) {
      addRevision(out, { ...base, revision }, listener.revisions[revision]!);
    }
    const rest = remainder(
      listener.total,
      revisions.map((r) => listener.revisions[r]!),
    );
    if (rest !== null) addRevision(out, { ...base, revision: NO_REVISION }, rest);
    out.inFlight.push({ labels: base, value: listener.total.inFlight });
  }
  return out;
}

function addRevision(out: TrafficSamples, labels: Record<string, string>, t: TrafficStats): void {
  for (const code_class of CODE_CLASSES) {
    out.requests.push({ labels: { ...labels, code_class }, value: t.responses[code_class] });
  }
  out.connectionFailures.push({ labels, value: t.connectionFailures });
  out.duration.push(
    ...histogramSamples(labels, LATENCY_BUCKETS_SECONDS, t.latency.counts, t.latency.sumMs / 1000),
  );
}

/** What the listener answered beyond its revisions; null when nothing. Clamped at 0 per count. */
function remainder(total: TrafficStats, parts: TrafficStats[]): TrafficStats | null {
  const minus = (pick: (t: TrafficStats) => number) =>
    Math.max(0, pick(total) - parts.reduce((sum, p) => sum + pick(p), 0));
  const responses = {
    '2xx': minus((t) => t.responses['2xx']),
    '3xx': minus((t) => t.responses['3xx']),
    '4xx': minus((t) => t.responses['4xx']),
    '5xx': minus((t) => t.responses['5xx']),
  };
  const counts = total.latency.counts.map((_, i) => minus((t) => t.latency.counts[i] ?? 0));
  const answered = responses['2xx'] + responses['3xx'] + responses['4xx'] + responses['5xx'];
  if (answered === 0 && counts.every((c) => c === 0)) return null;
  return {
    requests: 0,
    responses,
    connectionFailures: 0,
    inFlight: 0,
    latency: {
      bucketsMs: total.latency.bucketsMs,
      counts,
      count: counts.reduce((a, b) => a + b, 0),
      sumMs: minus((t) => t.latency.sumMs),
    },
  };
}
