import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TandemError } from '../../../errors.js';
import { T0 } from '../contract.js';
import type { Sample, Subject } from '../types.js';
import { MAX_SERIES_POINTS, openSqliteMetricsStore, type SqliteMetricsStore } from './store.js';

const web1: Subject = { environment: 'production', service: 'web', instance: 'web-1' };
const M = 60_000;
const H = 60 * M;

function sample(at: number, requests = 10): Sample {
  return {
    ...web1,
    at,
    intervalMs: 5000,
    revision: 'r1',
    requests,
    errors: 0,
    latency: [0, 0, 0, 0, requests, 0, 0, 0, 0, 0, 0, 0, 0],
    latencySumMs: 12.5,
    inflight: 1,
    cpuSeconds: 0.1,
    rssBytes: 1e8,
    healthy: 1,
    instances: 1,
  };
}

describe('sqlite metrics store', () => {
  let dir: string;
  let file: string;
  let clock: number;
  const opened: SqliteMetricsStore[] = [];
  const open = (extra: { retention?: { rawMs?: number; minuteMs?: number; hourMs?: number } } = {}) => {
    const store = openSqliteMetricsStore({ file, now: () => clock, ...extra });
    opened.push(store);
    return store;
  };
  /** Ticks every 5 s in (from, to] for `instances` instances, written and compacted a minute at a time. */
  const fill = (store: SqliteMetricsStore, from: number, to: number, instances = 1, compact = true) => {
    let batch: Sample[] = [];
    for (let at = from + 5000; at <= to; at += 5000) {
      clock = at;
      for (let i = 0; i < instances; i++)
        batch.push(i === 0 ? sample(at) : { ...sample(at), instance: `web-${i}` });
      if (at % M === 0 || at + 5000 > to) {
        store.write(batch);
        batch = [];
        if (compact && at % M === 0) store.compact(at);
      }
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-metrics-'));
    file = path.join(dir, 'nested', 'metrics.sqlite');
    clock = T0;
  });
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file (and its directory) in WAL mode with incremental auto-vacuum', () => {
    const store = open();
    store.write([sample(T0 + 5000)]);
    expect(statSync(file).size).toBeGreaterThan(0);
    expect(store.size().bytes).toBeGreaterThan(0);
    store.close();
    const db = new BetterSqlite3(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    } finally {
      db.close();
    }
  });

  it('keeps data, watermarks and ids across a reopen: compacting again adds nothing', () => {
    const first = open();
    fill(first, T0, T0 + 2 * H);
    const before = { rows: first.tableRows(), w: first.window(web1, T0 + 30 * M, T0 + 2 * H) };
    first.close();
    const second = open();
    expect(second.tableRows()).toEqual(before.rows);
    second.compact(clock);
    expect(second.tableRows()).toEqual(before.rows);
    expect(second.window(web1, T0 + 30 * M, T0 + 2 * H)).toEqual(before.w);
    // A late sample after the reopen is still counted once.
    second.write([sample(T0 + 2 * H - 2500, 1000)]);
    second.compact(clock);
    expect(second.window(web1, T0 + 30 * M, T0 + 2 * H).requests).toBe(before.w.requests + 1000);
    expect(second.subjects(T0)).toEqual([web1]);
  });

  it('reads right from a file that another process writes and compacts', () => {
    const writer = open();
    const reader = open();
    expect(reader.window(web1, T0, T0 + H).ticks).toBe(0);
    fill(writer, T0, T0 + 3 * H);
    // Raw rows before T0+2h are gone: a reader must go by the file's watermarks, not its own.
    expect(reader.window(web1, T0, T0 + 2 * H).requests).toBe(1439 * 10);
    expect(reader.window(web1, T0 + 2 * H, T0 + 3 * H + 1).ticks).toBe(721);
    expect(reader.window(web1, T0 + 2 * H, T0 + 3 * H + 1).revision).toBe('r1');
    expect(reader.subjects(T0 + 2 * H)).toEqual([web1]);
  });

  it('drops a sample too old to be rolled up again, without throwing', () => {
    const store = open();
    fill(store, T0, T0 + 3 * H);
    const before = store.tableRows();
    store.write([sample(T0 + 10 * M)]);
    expect(store.tableRows()).toEqual(before);
  });

  it('hands pages back to the file system once a large expiry frees them', () => {
    const store = open({ retention: { rawMs: H, minuteMs: H, hourMs: H } });
    fill(store, T0, T0 + 2 * H, 10, false);
    store.compact(clock);
    store.close(); // checkpoints the WAL into the file
    const big = statSync(file).size;
    const again = open({ retention: { rawMs: H, minuteMs: H, hourMs: H } });
    clock = T0 + 10 * H;
    again.compact(clock);
    expect(again.size().rows).toEqual({ raw: 0, '1m': 0, '1h': 0, app: 0 });
    again.close();
    expect(statSync(file).size).toBeLessThan(big / 2);
  });

  it('refuses a file of another schema version with an actionable error', () => {
    open().close();
    const db = new BetterSqlite3(file);
    db.prepare("UPDATE meta SET value = 99 WHERE key = 'schema_version'").run();
    db.close();
    let err: unknown;
    try {
      open();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TandemError);
    expect((err as TandemError).code).toBe('TANDEM_METRICS_SCHEMA');
    expect((err as TandemError).message).toContain('delete the file');
  });

  it('reports a file it cannot open as TANDEM_METRICS_UNAVAILABLE', () => {
    rmSync(dir, { recursive: true, force: true });
    // A directory where the file should be.
    file = path.join(os.tmpdir());
    expect(() => open()).toThrow(expect.objectContaining({ code: 'TANDEM_METRICS_UNAVAILABLE' }));
  });

  it('rejects a bad retention and a series too long', () => {
    expect(() => open({ retention: { rawMs: -1 } })).toThrow(
      expect.objectContaining({ code: 'TANDEM_METRICS_RETENTION' }),
    );
    const store = open();
    expect(() => store.series(web1, 0, MAX_SERIES_POINTS * 1000 + 1, 1000)).toThrow(
      expect.objectContaining({ code: 'TANDEM_METRICS_QUERY' }),
    );
    expect(() => store.series(web1, 0, 1000, 0)).toThrow(
      expect.objectContaining({ code: 'TANDEM_METRICS_QUERY' }),
    );
  });

  it('serves steps that split minutes from raw, exactly', () => {
    const store = open();
    fill(store, T0, T0 + 20 * M);
    const { points } = store.series(web1, T0, T0 + 18 * M, 90_000);
    expect(points.map((p) => p.ticks)).toEqual([17, ...new Array(11).fill(18)]);
    expect(points.reduce((a, p) => a + p.requests, 0)).toBe(store.window(web1, T0, T0 + 18 * M).requests);
  });

  it('ignores a write or compaction racing close()', () => {
    const store = open();
    store.close();
    expect(() => store.write([sample(T0 + 5000)])).not.toThrow();
    expect(() => store.compact(T0 + H)).not.toThrow();
    store.close();
  });

  it('works in memory', () => {
    file = ':memory:';
    const store = open();
    fill(store, T0, T0 + 2 * M);
    expect(store.window(web1, T0, T0 + 2 * M).ticks).toBe(23);
    expect(store.size().bytes).toBeGreaterThan(0);
  });
});
