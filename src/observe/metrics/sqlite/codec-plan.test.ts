import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION } from '../types.js';
import { AppReadAcc, AppRollupBuilder } from './app-fold.js';
import { ByteReader, ByteWriter, readAppEntries, writeAppEntry } from './codec.js';
import { HOUR_MS, MINUTE_MS, planRead } from './plan.js';

describe('codec', () => {
  it('round-trips varints up to 2^53 and tagged values, integers in few bytes', () => {
    const w = new ByteWriter();
    const uints = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER];
    for (const v of uints) w.uint(v);
    const values = [
      0,
      -1,
      1,
      63,
      -64,
      1e6,
      -123456789,
      2 ** 51,
      0.5,
      -1e-9,
      2 ** 52,
      1.7e308,
      Infinity,
      -Infinity,
    ];
    for (const v of values) w.value(v);
    const r = new ByteReader(w.toBuffer());
    expect(uints.map(() => r.uint())).toEqual(uints);
    expect(values.map(() => r.value())).toEqual(values);
    expect(r.done).toBe(true);

    const small = new ByteWriter();
    small.value(100_000);
    expect(small.length).toBe(3);
    small.reset();
    small.value(0.1);
    expect(small.length).toBe(9);
  });

  it('grows past its first buffer', () => {
    const w = new ByteWriter();
    for (let i = 0; i < 1000; i++) w.value(i + 0.5);
    const r = new ByteReader(w.toBuffer());
    for (let i = 0; i < 1000; i++) expect(r.value()).toBe(i + 0.5);
  });

  it('throws on a truncated buffer (a corrupt row is a reader bug, never silent)', () => {
    expect(() => new ByteReader(Uint8Array.of(0x80)).uint()).toThrow(RangeError);
    expect(() => new ByteReader(Uint8Array.of(1, 0, 0)).value()).toThrow(RangeError);
  });

  it('packs app entries with an optional increase', () => {
    const w = new ByteWriter();
    writeAppEntry(w, 7, 123.25);
    writeAppEntry(w, 300, 5_000_000, 42);
    const seen: unknown[] = [];
    readAppEntries(w.toBuffer(), (id, v, inc) => seen.push([id, v, inc]));
    expect(seen).toEqual([
      [7, 123.25, undefined],
      [300, 5_000_000, 42],
    ]);
  });
});

describe('app folding', () => {
  const row = (entries: [number, number][]) => {
    const w = new ByteWriter();
    for (const [id, v] of entries) writeAppEntry(w, id, v);
    return w.toBuffer();
  };

  it('rolls counter increases per bucket with the previous bucket as baseline, and keeps gauges last', () => {
    const isCounter = (id: number) => id === 1;
    const b = new AppRollupBuilder(isCounter, new Map([[1, 90]]));
    b.addRaw(
      row([
        [1, 100],
        [2, 5],
      ]),
    );
    b.addRaw(
      row([
        [1, 3],
        [2, 6],
      ]),
    ); // reset
    const first = b.flush(new ByteWriter())!;
    b.addRaw(row([[1, 10]]));
    const second = b.flush(new ByteWriter())!;
    expect(b.flush(new ByteWriter())).toBeUndefined();

    const read = new AppReadAcc('counter', new Set([1]));
    read.addRollup(first.n, first.data);
    read.addRollup(second.n, second.data);
    expect([read.value(), read.samples]).toEqual([10 + 3 + 7, 3]);

    const gauge = new AppReadAcc('gauge', new Set([2]));
    gauge.addRollup(first.n, first.data);
    gauge.addRollup(second.n, second.data);
    expect([gauge.value(), gauge.samples]).toEqual([6, 2]);
  });
});

describe('planRead', () => {
  const T = Date.UTC(2025, 0, 6, 12);
  const wm = { minute: T - 2 * MINUTE_MS, hour: T - HOUR_MS };
  const r = DEFAULT_RETENTION;
  const plan = (from: number, to: number, step?: number) =>
    planRead(from, to, T, r, wm, step).segments.map((s) => [s.table, s.from - T, s.to - T]);

  it('reads raw edges and rolled-up whole minutes from m1 at raw resolution', () => {
    expect(planRead(T - 30 * MINUTE_MS, T, T, r, wm).resolution).toBe('raw');
    expect(plan(T - 30 * MINUTE_MS - 10_000, T - 5_000)).toEqual([
      ['raw', -30 * MINUTE_MS - 10_000, -30 * MINUTE_MS],
      ['m1', -30 * MINUTE_MS, -2 * MINUTE_MS],
      ['raw', -2 * MINUTE_MS, -5_000],
    ]);
    // Inside one minute: raw only.
    expect(plan(T - 50_000, T - 20_000)).toEqual([['raw', -50_000, -20_000]]);
    // A step that splits minutes: raw only; an aligned one may use m1.
    expect(plan(T - 10 * MINUTE_MS, T, 90_000)).toEqual([['raw', -10 * MINUTE_MS, 0]]);
    expect(plan(T - 10 * MINUTE_MS, T, 2 * MINUTE_MS)).toEqual([
      ['m1', -10 * MINUTE_MS, -2 * MINUTE_MS],
      ['raw', -2 * MINUTE_MS, 0],
    ]);
  });

  it('continues a rollup read from finer tables after each watermark, without overlap', () => {
    expect(planRead(T - 2 * HOUR_MS, T, T, r, wm).resolution).toBe('1m');
    // The whole rolled-up hour inside comes from h1.
    expect(plan(T - 2 * HOUR_MS - 30_000, T)).toEqual([
      ['m1', -2 * HOUR_MS - 30_000, -2 * HOUR_MS],
      ['h1', -2 * HOUR_MS, -HOUR_MS],
      ['m1', -HOUR_MS, -2 * MINUTE_MS],
      ['raw', -2 * MINUTE_MS, 0],
    ]);
    // Not when a step would split the hour.
    expect(plan(T - 2 * HOUR_MS, T, 5 * MINUTE_MS)).toEqual([
      ['m1', -2 * HOUR_MS, -2 * MINUTE_MS],
      ['raw', -2 * MINUTE_MS, 0],
    ]);
    expect(planRead(T - 30 * 24 * HOUR_MS, T, T, r, wm).resolution).toBe('1h');
    expect(plan(T - 30 * 24 * HOUR_MS, T)).toEqual([
      ['h1', -30 * 24 * HOUR_MS, -HOUR_MS],
      ['m1', -HOUR_MS, -2 * MINUTE_MS],
      ['raw', -2 * MINUTE_MS, 0],
    ]);
    expect(plan(T, T)).toEqual([]);
  });

  it('tiles a long raw-resolution read with h1, m1 and raw', () => {
    const long = { ...r, rawMs: 6 * HOUR_MS };
    const at = T - 3 * HOUR_MS - 90_000;
    expect(planRead(at, T - 5_000, T, long, wm).segments.map((s) => [s.table, s.from - T, s.to - T])).toEqual(
      [
        ['raw', -3 * HOUR_MS - 90_000, -3 * HOUR_MS - MINUTE_MS],
        ['m1', -3 * HOUR_MS - MINUTE_MS, -3 * HOUR_MS],
        ['h1', -3 * HOUR_MS, -HOUR_MS],
        ['m1', -HOUR_MS, -2 * MINUTE_MS],
        ['raw', -2 * MINUTE_MS, -5_000],
      ],
    );
  });
});
