import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppSample, MetricsStore, Retention, Sample, Subject, WindowStats } from './types.js';
import { quantileMs, shareSlowerThan } from './window-math.js';

/**
 * The conformance suite every MetricsStore must pass, so alerts, SLOs, the autoscaler and
 * `tandem top` read the same numbers whatever keeps them. Call it from the implementation's test
 * file: `metricsStoreContract('sqlite', ({ now, retention }) => openSqliteMetricsStore({ ... }))`.
 *
 * Everything runs on a fake clock: the store must take "now" from `now` (reads pick their
 * resolution with it) and from the argument of `compact(now)`. Time advances the way the
 * collector's would: write a tick, then compact, then the next tick.
 */
export interface MakeMetricsStoreOptions {
  now: () => number;
  retention?: Partial<Retention>;
}

export type MakeMetricsStore = (opts: MakeMetricsStoreOptions) => MetricsStore & { dispose?: () => void };

/** Monday 2025-01-06 00:00 UTC: hour-aligned, so minute and hour buckets start on round numbers. */
export const T0 = Date.UTC(2025, 0, 6);
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const TICK = 5 * S;

const web1: Subject = { environment: 'production', service: 'web', instance: 'web-1' };
const web2: Subject = { environment: 'production', service: 'web', instance: 'web-2' };
const webAll: Subject = { environment: 'production', service: 'web', instance: '' };

/** A deterministic pseudo-random sequence (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function sample(subject: Subject, at: number, over: Partial<Sample> = {}): Sample {
  return {
    ...subject,
    at,
    intervalMs: TICK,
    revision: 'r1',
    requests: 10,
    errors: 1,
    latency: [0, 0, 0, 2, 5, 2, 1, 0, 0, 0, 0, 0, 0],
    latencySumMs: 123.5,
    inflight: 2,
    cpuSeconds: 0.25,
    rssBytes: 100_000_000,
    healthy: 1,
    instances: 1,
    ...over,
  };
}

/** A varied tick: every counter and gauge changes, sometimes unknown or unhealthy. */
function variedSample(subject: Subject, at: number, rnd: () => number): Sample {
  const latency = Array.from({ length: 13 }, () => (rnd() < 0.5 ? Math.floor(rnd() * 40) : 0));
  const requests = latency.reduce((a, b) => a + b, 0) + Math.floor(rnd() * 3);
  return sample(subject, at, {
    requests,
    errors: Math.floor(rnd() * 4),
    latency,
    latencySumMs: Math.round(rnd() * 1e6) / 1000,
    inflight: Math.floor(rnd() * 8),
    cpuSeconds: rnd() < 0.1 ? null : Math.round(rnd() * 5e5) / 1e6,
    rssBytes: rnd() < 0.1 ? null : 50_000_000 + Math.floor(rnd() * 1e7),
    healthy: rnd() < 0.1 ? 0 : 1,
    revision: at < T0 + 30 * M ? 'r1' : 'r2',
  });
}

/** What a window over the written samples must say, summed here independently of any store. */
function oracle(samples: Sample[], subject: Subject, from: number, to: number): WindowStats {
  const xs = samples.filter(
    (s) =>
      s.environment === subject.environment &&
      s.service === subject.service &&
      s.instance === subject.instance &&
      s.at >= from &&
      s.at < to,
  );
  const sum = (f: (s: Sample) => number) => xs.reduce((a, s) => a + f(s), 0);
  const cpu = xs.filter((s) => s.cpuSeconds !== null);
  const rss = xs.filter((s) => s.rssBytes !== null).map((s) => s.rssBytes!);
  const n = xs.length;
  return {
    from,
    to,
    ticks: n,
    upTicks: xs.filter((s) => s.healthy > 0).length,
    coveredMs: sum((s) => s.intervalMs),
    requests: sum((s) => s.requests),
    errors: sum((s) => s.errors),
    latency: Array.from({ length: 13 }, (_, i) => sum((s) => s.latency[i] ?? 0)),
    latencySumMs: sum((s) => s.latencySumMs),
    cpuSeconds: cpu.length > 0 ? cpu.reduce((a, s) => a + s.cpuSeconds!, 0) : null,
    inflightAvg: n > 0 ? sum((s) => s.inflight) / n : null,
    rssAvg: rss.length > 0 ? rss.reduce((a, b) => a + b, 0) / rss.length : null,
    rssMax: rss.length > 0 ? Math.max(...rss) : null,
    healthyAvg: n > 0 ? sum((s) => s.healthy) / n : null,
    healthyMin: n > 0 ? Math.min(...xs.map((s) => s.healthy)) : null,
    instancesAvg: n > 0 ? sum((s) => s.instances) / n : null,
  };
}

/** The fields a rollup must keep exactly (floats to 6 digits). */
function comparable(w: WindowStats) {
  const round = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e6);
  return {
    ticks: w.ticks,
    upTicks: w.upTicks,
    coveredMs: w.coveredMs,
    requests: w.requests,
    errors: w.errors,
    latency: w.latency,
    latencySumMs: round(w.latencySumMs),
    cpuSeconds: round(w.cpuSeconds),
    inflightAvg: round(w.inflightAvg),
    rssAvg: round(w.rssAvg),
    rssMax: w.rssMax,
    healthyAvg: round(w.healthyAvg),
    healthyMin: w.healthyMin,
    instancesAvg: round(w.instancesAvg),
  };
}

const bySubject = (a: Subject, b: Subject) =>
  `${a.environment}/${a.service}/${a.instance}`.localeCompare(`${b.environment}/${b.service}/${b.instance}`);

export function metricsStoreContract(name: string, make: MakeMetricsStore): void {
  describe(`metrics store contract: ${name}`, () => {
    let clock: number;
    const opened: Array<MetricsStore & { dispose?: () => void }> = [];
    const open = (retention?: Partial<Retention>) => {
      const store = make({ now: () => clock, ...(retention ? { retention } : {}) });
      opened.push(store);
      return store;
    };

    beforeEach(() => {
      clock = T0;
    });
    afterEach(() => {
      for (const s of opened.splice(0)) {
        s.close();
        s.dispose?.();
      }
    });

    /**
     * Writes one tick every 5 s in (from, to] for each subject, the clock following, compacting
     * at every minute boundary the way the running collector would (a minute of ticks goes in one
     * write call, to keep the suite fast). Returns the samples written.
     */
    function run(
      store: MetricsStore,
      from: number,
      to: number,
      subjects: Subject[],
      tick: (s: Subject, at: number) => Sample = (s, at) => sample(s, at),
      app?: (s: Subject, at: number) => AppSample | undefined,
    ): Sample[] {
      const all: Sample[] = [];
      let ticks: Sample[] = [];
      let scrapes: AppSample[] = [];
      for (let at = from + TICK; at <= to; at += TICK) {
        clock = at;
        const now = subjects.map((s) => tick(s, at));
        ticks.push(...now);
        all.push(...now);
        if (app) for (const s of subjects) scrapes.push(...[app(s, at)].filter((a) => a !== undefined));
        if (at % M === 0 || at + TICK > to) {
          store.write(ticks, scrapes);
          ticks = [];
          scrapes = [];
        }
        if (at % M === 0) store.compact(at);
      }
      return all;
    }

    it('reads back what it wrote: sums, averages, min/max, coverage, revision', () => {
      const store = open();
      run(store, T0, T0 + M, [web1], (s, at) =>
        sample(s, at, {
          requests: at / TICK - T0 / TICK,
          inflight: (at / TICK) % 3,
          rssBytes: at === T0 + 30 * S ? 200_000_000 : 100_000_000,
          healthy: at === T0 + 20 * S ? 0 : 1,
          revision: at <= T0 + 30 * S ? 'r1' : 'r2',
        }),
      );
      const w = store.window(web1, T0, T0 + M + 1);
      expect(w.from).toBe(T0);
      expect(w.to).toBe(T0 + M + 1);
      expect(w.ticks).toBe(12);
      expect(w.upTicks).toBe(11);
      expect(w.coveredMs).toBe(12 * TICK);
      expect(w.requests).toBe(78); // 1 + 2 + … + 12
      expect(w.errors).toBe(12);
      expect(w.latency).toEqual([0, 0, 0, 24, 60, 24, 12, 0, 0, 0, 0, 0, 0]);
      expect(w.latencySumMs).toBeCloseTo(12 * 123.5, 6);
      expect(w.cpuSeconds).toBeCloseTo(3, 6);
      expect(w.inflightAvg).toBeCloseTo(1, 6);
      expect(w.rssAvg).toBeCloseTo((11 * 100_000_000 + 200_000_000) / 12, 3);
      expect(w.rssMax).toBe(200_000_000);
      expect(w.healthyAvg).toBeCloseTo(11 / 12, 6);
      expect(w.healthyMin).toBe(0);
      expect(w.instancesAvg).toBe(1);
      expect(w.revision).toBe('r2');
      // [from, to): a tick at `from` counts, one at `to` does not.
      expect(store.window(web1, T0 + 5 * S, T0 + 10 * S).ticks).toBe(1);
      expect(store.window(web1, T0 + 5 * S, T0 + 10 * S).requests).toBe(1);
      expect(store.window(web1, T0 + 6 * S, T0 + 10 * S).ticks).toBe(0);
    });

    it('reports no data as ticks 0 and nulls, never as zeros', () => {
      const store = open();
      run(store, T0, T0 + M, [web1], (s, at) =>
        sample(s, at, { requests: 0, errors: 0, latency: [], cpuSeconds: null }),
      );
      const none = store.window(web2, T0, T0 + M + 1);
      expect(none.ticks).toBe(0);
      expect([none.cpuSeconds, none.inflightAvg, none.rssAvg, none.rssMax]).toEqual([null, null, null, null]);
      expect([none.healthyAvg, none.healthyMin, none.instancesAvg]).toEqual([null, null, null]);
      expect(none.requests).toBe(0);
      expect(none.latency).toEqual(new Array(13).fill(0));
      expect(store.window(web1, T0 - H, T0).ticks).toBe(0);
      expect(store.window(web1, T0 + M, T0).ticks).toBe(0);
      // Idle is data: ticks were collected and counted no request.
      const idle = store.window(web1, T0, T0 + M + 1);
      expect([idle.ticks, idle.requests, idle.inflightAvg, idle.cpuSeconds]).toEqual([12, 0, 2, null]);
      expect(store.app(web1, 'http_requests_total', {}, T0, T0 + M)).toBeUndefined();
      expect(store.app(web2, 'http_requests_total', {}, T0, T0 + M)).toBeUndefined();
      expect(store.subjects(T0 + 2 * M)).toEqual([]);
    });

    it('keeps instances and the service aggregate apart, and lists the subjects with data', () => {
      const store = open();
      run(store, T0, T0 + M, [web1, web2, webAll], (s, at) =>
        sample(s, at, s.instance === '' ? { requests: 30, instances: 2, healthy: 2, revision: 'r1,r2' } : {}),
      );
      expect(store.window(web1, T0, T0 + 2 * M).requests).toBe(120);
      expect(store.window(web2, T0, T0 + 2 * M).requests).toBe(120);
      const all = store.window(webAll, T0, T0 + 2 * M);
      expect([all.requests, all.instancesAvg, all.healthyMin, all.revision]).toEqual([360, 2, 2, 'r1,r2']);
      expect([...store.subjects(T0)].sort(bySubject)).toEqual([webAll, web1, web2].sort(bySubject));
      const other: Subject = { environment: 'staging', service: 'api', instance: 'api-1' };
      clock = T0 + 2 * M;
      store.write([sample(other, clock)]);
      expect(store.subjects(T0 + M + 30 * S)).toEqual([other]);
    });

    it('gives percentiles and slow shares from the stored latency histogram', () => {
      const store = open();
      // 90 requests in (10, 25] ms and 10 in (250, 500] ms per tick.
      const latency = [0, 0, 0, 0, 90, 0, 0, 0, 10, 0, 0, 0, 0];
      run(store, T0, T0 + M, [web1], (s, at) => sample(s, at, { requests: 100, latency }));
      const w = store.window(web1, T0, T0 + 2 * M);
      expect(quantileMs(w.latency, 0.5)).toBeCloseTo(10 + 15 * (50 / 90), 6);
      expect(quantileMs(w.latency, 0.95)).toBeCloseTo(250 + 250 * 0.5, 6);
      expect(shareSlowerThan(w.latency, 250)).toBeCloseTo(0.1, 6);
      expect(quantileMs(store.window(web2, T0, T0 + M).latency, 0.95)).toBeUndefined();
    });

    it('returns consecutive step windows, empty ones with ticks 0', () => {
      const store = open();
      run(store, T0, T0 + 3 * M, [web1], (s, at) =>
        at >= T0 + 2 * M && at < T0 + 3 * M ? sample(s, at, { instance: 'elsewhere' }) : sample(s, at),
      );
      const { resolution, points } = store.series(web1, T0, T0 + 3 * M + 30 * S, M);
      expect(resolution).toBe('raw');
      expect(points.map((p) => [p.from - T0, p.to - T0, p.ticks])).toEqual([
        [0, M, 11],
        [M, 2 * M, 12],
        [2 * M, 3 * M, 0],
        [3 * M, 3 * M + 30 * S, 1],
      ]);
      expect(points[2]!.inflightAvg).toBeNull();
    });

    it('counts a sample written twice once (the last write wins)', () => {
      const store = open();
      clock = T0 + TICK;
      store.write([sample(web1, clock, { requests: 5 })]);
      store.write([sample(web1, clock, { requests: 7 })]);
      const w = store.window(web1, T0, T0 + M);
      expect([w.ticks, w.requests]).toEqual([1, 7]);
    });

    it('reads what was written from raw samples, 1 m and 1 h rollups alike (counted independently here)', () => {
      const retention = { rawMs: H, minuteMs: 6 * H, hourMs: 3 * 24 * H };
      const store = open(retention);
      const rnd = random(42);
      const written = run(store, T0, T0 + 2 * H, [web1, webAll], (s, at) => variedSample(s, at, rnd));
      const span = [T0 + 70 * M, T0 + 100 * M] as const;
      const expectSpan = () => {
        expect(comparable(store.window(web1, ...span))).toEqual(comparable(oracle(written, web1, ...span)));
        const steps = store.series(web1, ...span, 5 * M).points.map(comparable);
        expect(steps).toEqual(
          steps.map((_, i) =>
            comparable(oracle(written, web1, span[0] + i * 5 * M, span[0] + (i + 1) * 5 * M)),
          ),
        );
      };
      expect(store.series(web1, ...span, 5 * M).resolution).toBe('raw');
      expectSpan();
      expect(store.window(web1, ...span).ticks).toBe(360);

      clock = T0 + 3 * H + 30 * S;
      store.compact(clock);
      expect(store.series(web1, ...span, 5 * M).resolution).toBe('1m');
      expectSpan();
      expect(store.window(web1, ...span).revision).toBe('r2');

      clock = T0 + 9 * H;
      store.compact(clock);
      expect(store.series(web1, T0, T0 + H, H).resolution).toBe('1h');
      for (const s of [web1, webAll]) {
        expect(comparable(store.window(s, T0, T0 + H))).toEqual(comparable(oracle(written, s, T0, T0 + H)));
      }
    });

    it('gives the same raw-resolution read before and after compaction (whole minutes and hours rolled up)', () => {
      const store = open({ rawMs: 4 * H });
      const rnd = random(11);
      let value = 0;
      for (let at = T0 + TICK; at <= T0 + 3 * H; at += TICK) {
        value += Math.floor(rnd() * 50);
        const app = at % (15 * S) === 0 ? [{ ...web1, at, points: [counterPoint(value)] }] : [];
        store.write([variedSample(web1, at, rnd)], app);
      }
      clock = T0 + 3 * H + 20 * S;
      const span = [T0 + 7 * M + 12_345, T0 + 3 * H - 7_000] as const;
      const before = { w: store.window(web1, ...span), app: store.app(web1, 'jobs_total', {}, ...span) };
      expect(store.series(web1, ...span, span[1] - span[0]).resolution).toBe('raw');
      store.compact(clock);
      expect(comparable(store.window(web1, ...span))).toEqual(comparable(before.w));
      expect(store.app(web1, 'jobs_total', {}, ...span)).toEqual(before.app);
      const steps = store.series(web1, T0 + 5 * M, T0 + 3 * H, H);
      expect(steps.points.reduce((a, p) => a + p.requests, 0)).toBe(
        store.window(web1, T0 + 5 * M, T0 + 3 * H).requests,
      );
    });

    it('never counts a sample twice in a read that spans resolutions', () => {
      const store = open({ rawMs: H, minuteMs: 2 * H, hourMs: 30 * 24 * H });
      const rnd = random(7);
      const written = run(store, T0, T0 + 3 * H + 30 * S, [web1], (s, at) => variedSample(s, at, rnd));
      // Not compacted yet: the last 30 s are in raw only.
      const requests = (from: number, to: number) => oracle(written, web1, from, to).requests;
      const minute = store.series(web1, T0 + 90 * M, clock + 1, clock + 1 - (T0 + 90 * M));
      expect(minute.resolution).toBe('1m');
      expect(minute.points[0]!.requests).toBe(requests(T0 + 90 * M, clock + 1));
      const hour = store.series(web1, T0, clock + 1, clock + 1 - T0);
      expect(hour.resolution).toBe('1h');
      expect(hour.points[0]!.requests).toBe(requests(T0, clock + 1));
      expect(hour.points[0]!.ticks).toBe(written.length);
      expect(store.window(web1, T0, clock + 1).ticks).toBe(written.length);
    });

    it('counts a late sample for an already rolled-up minute once, at every resolution', () => {
      const store = open();
      run(store, T0, T0 + 2 * H, [web1]);
      const span = [T0 + 30 * M, T0 + 2 * H] as const;
      const requests = () => store.series(web1, ...span, span[1] - span[0]);
      expect(requests().resolution).toBe('1m');
      expect(requests().points[0]!.requests).toBe(1080 * 10);
      // A tick of a minute compacted long ago (but still within raw retention) arrives late.
      store.write([sample(web1, T0 + 90 * M + 2500, { requests: 1000 })]);
      expect(requests().points[0]!.requests).toBe(1080 * 10 + 1000);
      expect(store.window(web1, T0 + 90 * M, T0 + 91 * M).ticks).toBe(13);
      store.compact(clock);
      expect(requests().points[0]!.requests).toBe(1080 * 10 + 1000);
      clock = T0 + 5 * H;
      store.compact(clock);
      expect(store.size().rows.raw).toBe(0);
      expect(requests().points[0]!.requests).toBe(1080 * 10 + 1000);
      clock = T0 + 8 * 24 * H;
      store.compact(clock);
      const hour = store.series(web1, T0 + H, T0 + 2 * H, H);
      expect(hour.resolution).toBe('1h');
      expect([hour.points[0]!.ticks, hour.points[0]!.requests]).toEqual([721, 720 * 10 + 1000]);
    });

    it('drops data past retention and forgets subjects without data', () => {
      const store = open({ rawMs: H, minuteMs: 3 * H, hourMs: 6 * H });
      run(store, T0, T0 + 2 * H - TICK, [web1]);
      const before = store.size();
      expect(before.rows.raw).toBeGreaterThan(0);
      expect(before.rows['1m']).toBeGreaterThan(0);
      clock = T0 + 3 * H;
      store.compact(clock);
      expect(store.size().rows.raw).toBe(0);
      expect(store.window(web1, T0, T0 + 2 * H).requests).toBe((2 * 12 * 60 - 1) * 10);
      clock = T0 + 5 * H;
      store.compact(clock);
      expect(store.size().rows['1m']).toBe(0);
      expect(store.window(web1, T0, T0 + 2 * H).ticks).toBe(2 * 12 * 60 - 1);
      clock = T0 + 9 * H;
      store.compact(clock);
      expect(store.size().rows).toEqual({ raw: 0, '1m': 0, '1h': 0, app: 0 });
      expect(store.window(web1, T0, T0 + 2 * H).ticks).toBe(0);
      expect(store.subjects(0)).toEqual([]);
    });

    it('compacts idempotently', () => {
      const store = open({ rawMs: H, minuteMs: 3 * H, hourMs: 6 * H });
      run(store, T0, T0 + 2 * H + 10 * S, [web1, webAll], undefined, (s, at) =>
        at % (15 * S) === 0
          ? { ...s, at, points: [{ name: 'jobs_total', labels: {}, kind: 'counter', value: at / S }] }
          : undefined,
      );
      const reads = () => ({
        size: store.size().rows,
        window: store.window(web1, T0 + 30 * M, clock),
        series: store.series(webAll, T0, clock, 10 * M),
        app: store.app(web1, 'jobs_total', {}, T0 + 30 * M, clock),
      });
      store.compact(clock);
      const once = reads();
      store.compact(clock);
      expect(reads()).toEqual(once);
      store.compact(clock - 30 * M);
      expect(reads()).toEqual(once);
      // Every 15 s from T0+30m to T0+2h, each step from the scrape before: 361 scrapes, +15 each.
      expect(once.app).toEqual({ kind: 'counter', value: 361 * 15, samples: 361 });
    });

    describe('application metrics', () => {
      const scrape = (s: Subject, at: number, points: AppSample['points']): AppSample => ({
        ...s,
        at,
        points,
      });
      const counter = (value: number, labels: Record<string, string> = {}) => ({
        name: 'http_requests_total',
        labels,
        kind: 'counter' as const,
        value,
      });

      it('sums a counter increase across a reset (a restart starts again from 0)', () => {
        const store = open();
        const values = [10, 20, 30, 5, 15];
        values.forEach((v, i) => {
          clock = T0 + (i + 1) * 15 * S;
          store.write([], [scrape(web1, clock, [counter(v)])]);
        });
        // The first sample has nothing before it: it is the baseline.
        expect(store.app(web1, 'http_requests_total', {}, T0, T0 + 2 * M)).toEqual({
          kind: 'counter',
          value: 35,
          samples: 5,
        });
        // A window's first step is from the sample before it.
        expect(store.app(web1, 'http_requests_total', {}, T0 + 30 * S, T0 + 2 * M)?.value).toBe(35);
        expect(store.app(web1, 'http_requests_total', {}, T0 + 45 * S, T0 + 75 * S)?.value).toBe(15);
        expect(store.app(web1, 'http_requests_total', {}, T0 + 61 * S, T0 + 2 * M)?.value).toBe(10);
        expect(store.app(web1, 'http_requests_total', {}, T0 + 76 * S, T0 + 2 * M)).toBeUndefined();
      });

      it('matches series by name and a subset of labels; averages the latest gauge values', () => {
        const store = open();
        for (let i = 1; i <= 4; i++) {
          clock = T0 + i * 15 * S;
          store.write(
            [],
            [
              scrape(web1, clock, [
                counter(100 * i, { code: '200', method: 'GET' }),
                counter(10 * i, { code: '500', method: 'GET' }),
                counter(1 * i, { code: '200', method: 'POST' }),
                { name: 'queue_depth', labels: { queue: 'a' }, kind: 'gauge', value: i },
                { name: 'queue_depth', labels: { queue: 'b' }, kind: 'gauge', value: 10 + i },
              ]),
            ],
          );
        }
        const read = (name: string, labels: Record<string, string>) =>
          store.app(web1, name, labels, T0, T0 + M + 1);
        expect(read('http_requests_total', {})?.value).toBe(333);
        expect(read('http_requests_total', { method: 'GET' })?.value).toBe(330);
        expect(read('http_requests_total', { method: 'GET', code: '500' })?.value).toBe(30);
        expect(read('http_requests_total', { method: 'PUT' })).toBeUndefined();
        expect(read('queue_depth', {})).toEqual({ kind: 'gauge', value: (4 + 14) / 2, samples: 4 });
        expect(read('queue_depth', { queue: 'a' })?.value).toBe(4);
        expect(store.app(web2, 'queue_depth', {}, T0, T0 + M + 1)).toBeUndefined();
      });

      it('reads counter increases and gauges from raw scrapes and rollups alike (counted independently here)', () => {
        const store = open({ rawMs: H, minuteMs: 6 * H, hourMs: 3 * 24 * H });
        const rnd = random(3);
        const scrapes: { at: number; counter: number; gauge: number }[] = [];
        let value = 0;
        const app = (s: Subject, at: number) => {
          if (at % (15 * S) !== 0) return undefined;
          // Restarts now and then: the counter drops back near 0.
          value = rnd() < 0.02 ? Math.floor(rnd() * 5) : value + Math.floor(rnd() * 100);
          const gauge = Math.round(rnd() * 1e6) / 1e4;
          scrapes.push({ at, counter: value, gauge });
          return scrape(s, at, [counter(value), { name: 'temp', labels: {}, kind: 'gauge', value: gauge }]);
        };
        /** The increase summed step by step from the scrape before `from`, and the latest gauge. */
        const expected = (from: number, to: number) => {
          let prev: number | undefined;
          let increase = 0;
          const inside = scrapes.filter((x) => x.at >= from && x.at < to);
          for (const x of scrapes.filter((x) => x.at < to)) {
            if (x.at >= from && prev !== undefined)
              increase += x.counter >= prev ? x.counter - prev : x.counter;
            prev = x.counter;
          }
          return {
            counter: { kind: 'counter', value: increase, samples: inside.length },
            gauge: { kind: 'gauge', value: inside.at(-1)!.gauge, samples: inside.length },
          };
        };
        const check = (from: number, to: number) => {
          const want = expected(from, to);
          expect(store.app(web1, 'http_requests_total', {}, from, to)).toEqual(want.counter);
          expect(store.app(web1, 'temp', {}, from, to)).toEqual(want.gauge);
        };
        run(store, T0, T0 + 2 * H, [web1], undefined, app);
        const span = [T0 + 70 * M, T0 + 100 * M] as const;
        check(...span);
        check(T0 + 70 * M + 7_000, T0 + 100 * M - 7_000);
        expect(store.app(web1, 'http_requests_total', {}, ...span)?.samples).toBe(120);
        clock = T0 + 3 * H + 30 * S;
        store.compact(clock);
        expect(store.series(web1, ...span, M).resolution).toBe('1m');
        check(...span);
        clock = T0 + 9 * H;
        store.compact(clock);
        expect(store.series(web1, T0, T0 + H, H).resolution).toBe('1h');
        check(T0, T0 + H);
        check(T0 + H, T0 + 2 * H);
      });
    });

    it('never throws on malformed input: clamps what it can, drops what it cannot place', () => {
      const store = open();
      clock = T0 + TICK;
      const bad = sample(web1, clock, {
        requests: Number.NaN,
        errors: -3,
        latency: [1, -1, Number.NaN, 2.4],
        latencySumMs: Number.POSITIVE_INFINITY,
        inflight: -1,
        cpuSeconds: Number.NaN,
        rssBytes: -5,
        healthy: Number.NaN,
        instances: 1,
        intervalMs: Number.NaN,
      });
      const unplaceable = [
        sample(web1, Number.NaN),
        sample({ ...web1, service: '' }, clock),
        { ...sample(web1, clock), environment: undefined } as unknown as Sample,
        null as unknown as Sample,
      ];
      expect(() =>
        store.write(
          [bad, ...unplaceable],
          [
            scrapeOf(web1, clock, [
              { name: 'ok_total', labels: {}, kind: 'counter', value: 5 },
              { name: 'nan', labels: {}, kind: 'gauge', value: Number.NaN },
              { name: 'neg_total', labels: {}, kind: 'counter', value: -1 },
              { name: '', labels: {}, kind: 'gauge', value: 1 },
            ]),
            { ...web1, at: Number.NaN, points: [] },
            { ...web1, at: clock, points: undefined } as unknown as AppSample,
          ],
        ),
      ).not.toThrow();
      const w = store.window(web1, T0, T0 + M);
      expect([w.ticks, w.requests, w.errors, w.inflightAvg, w.cpuSeconds, w.rssAvg, w.healthyMin]).toEqual([
        1,
        0,
        0,
        0,
        null,
        null,
        0,
      ]);
      expect(w.latency).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(Number.isFinite(w.latencySumMs)).toBe(true);
      expect(store.app(web1, 'ok_total', {}, T0, T0 + M)).toEqual({ kind: 'counter', value: 0, samples: 1 });
      expect(store.app(web1, 'nan', {}, T0, T0 + M)).toBeUndefined();
      expect(store.app(web1, 'neg_total', {}, T0, T0 + M)).toBeUndefined();
      expect(store.subjects(T0)).toEqual([web1]);
    });
  });
}

function counterPoint(value: number): AppSample['points'][number] {
  return { name: 'jobs_total', labels: {}, kind: 'counter', value };
}

function scrapeOf(s: Subject, at: number, points: AppSample['points']): AppSample {
  return { ...s, at, points };
}
