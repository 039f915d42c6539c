/**
 * The write path's input checks. A collector bug or a strange /proc reading must never throw
 * out of `write()` or poison a window: non-finite numbers and negative counters become 0 (or
 * "unknown" for the nullable readings), a sample without a usable time or subject is dropped.
 * Durations are kept as integer microseconds (latency sums, CPU time): varints on disk, and sums
 * that stay exact through rollups.
 */
import type { AppPoint, Sample } from '../types.js';
import { LATENCY_COUNTS } from '../window-math.js';

export interface CleanSample {
  environment: string;
  service: string;
  instance: string;
  at: number;
  intervalMs: number;
  revision: string;
  requests: number;
  errors: number;
  latency: number[];
  latencySumUs: number;
  inflight: number;
  cpuUs: number | null;
  rss: number | null;
  healthy: number;
  instances: number;
}

const nonNegative = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
const isText = (v: unknown): v is string => typeof v === 'string';

/** Whether the subject fields are usable (the instance may be '' for the aggregate). */
export function validSubject(s: { environment?: unknown; service?: unknown; instance?: unknown }): boolean {
  return (
    isText(s.environment) &&
    s.environment !== '' &&
    isText(s.service) &&
    s.service !== '' &&
    isText(s.instance)
  );
}

/** The sample made safe to store, or undefined when it cannot be placed (no subject or time). */
export function cleanSample(s: Sample): CleanSample | undefined {
  if (s === null || typeof s !== 'object' || !validSubject(s)) return undefined;
  if (typeof s.at !== 'number' || !Number.isFinite(s.at) || s.at < 0) return undefined;
  const latency = new Array<number>(LATENCY_COUNTS).fill(0);
  if (Array.isArray(s.latency)) {
    for (let i = 0; i < LATENCY_COUNTS; i++) latency[i] = Math.round(nonNegative(s.latency[i]));
  }
  const cpu = s.cpuSeconds;
  const rss = s.rssBytes;
  return {
    environment: s.environment,
    service: s.service,
    instance: s.instance,
    at: Math.round(s.at),
    intervalMs: Math.round(nonNegative(s.intervalMs)),
    revision: isText(s.revision) ? s.revision : '',
    requests: nonNegative(s.requests),
    errors: nonNegative(s.errors),
    latency,
    latencySumUs: Math.round(nonNegative(s.latencySumMs) * 1000),
    inflight: nonNegative(s.inflight),
    cpuUs: typeof cpu === 'number' && !Number.isNaN(cpu) ? Math.round(nonNegative(cpu) * 1e6) : null,
    rss: typeof rss === 'number' && Number.isFinite(rss) && rss >= 0 ? Math.round(rss) : null,
    healthy: nonNegative(s.healthy),
    instances: nonNegative(s.instances),
  };
}

export interface CleanPoint {
  name: string;
  /** Canonical JSON of the labels (keys sorted), the series' identity with name and kind. */
  labels: string;
  kind: 'counter' | 'gauge';
  value: number;
}

/** The point made safe to store, or undefined: no name, a non-finite value, a negative counter. */
export function cleanPoint(p: AppPoint): CleanPoint | undefined {
  if (p === null || typeof p !== 'object' || !isText(p.name) || p.name === '') return undefined;
  if (typeof p.value !== 'number' || !Number.isFinite(p.value)) return undefined;
  const kind = p.kind === 'counter' ? 'counter' : 'gauge';
  if (kind === 'counter' && p.value < 0) return undefined;
  return { name: p.name, labels: canonicalLabels(p.labels), kind, value: p.value };
}

/** JSON of the labels with sorted keys (what JSON.stringify of a sorted copy gives, built directly: hot path). */
export function canonicalLabels(labels: Record<string, string> | undefined): string {
  if (labels === null || typeof labels !== 'object') return '{}';
  const keys = Object.keys(labels);
  if (keys.length === 0) return '{}';
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += `${i > 0 ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(String(labels[k]))}`;
  }
  return `${out}}`;
}
