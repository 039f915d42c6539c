/**
 * Application metrics folded over time. Counters are stored cumulative, as exposed; an increase is
 * the sum of reset-aware steps between consecutive samples of a series (a drop means the process
 * restarted from 0), the first step taken from the last sample before the window (the
 * "baseline"), so adjacent windows add up. A rollup entry keeps the series' last value and, for a
 * counter, the increase over its bucket computed that same way, so reading rollups gives the same
 * increase as reading the raw samples they replaced.
 */
import { counterIncrease } from '../window-math.js';
import { type ByteWriter, readAppEntries, writeAppEntry } from './codec.js';

/** Reads one application metric (one or more matching series of one kind) over a window. */
export class AppReadAcc {
  readonly kind: 'counter' | 'gauge';
  readonly #ids: ReadonlySet<number>;
  /** Counters: the previous value per series. Gauges: the latest value in the window. */
  readonly #last = new Map<number, number>();
  #increase = 0;
  samples = 0;

  constructor(kind: 'counter' | 'gauge', ids: ReadonlySet<number>) {
    this.kind = kind;
    this.#ids = ids;
  }

  /** The values before a raw range, for the first step of each counter (ignored for gauges). */
  setBaseline(values: ReadonlyMap<number, number>): void {
    if (this.kind !== 'counter') return;
    for (const id of this.#ids) {
      const v = values.get(id);
      if (v !== undefined) this.#last.set(id, v);
    }
  }

  addRaw(data: Uint8Array): void {
    let hit = false;
    readAppEntries(data, (id, v) => {
      if (!this.#ids.has(id)) return;
      hit = true;
      if (this.kind === 'counter') {
        const prev = this.#last.get(id);
        if (prev !== undefined) this.#increase += counterIncrease(prev, v);
      }
      this.#last.set(id, v);
    });
    if (hit) this.samples += 1;
  }

  addRollup(n: number, data: Uint8Array): void {
    let hit = false;
    readAppEntries(data, (id, v, increase) => {
      if (!this.#ids.has(id)) return;
      hit = true;
      if (this.kind === 'counter') this.#increase += increase ?? 0;
      this.#last.set(id, v);
    });
    if (hit) this.samples += n;
  }

  /** Counters: the summed increase; gauges: the average of the series' latest values. */
  value(): number {
    if (this.kind === 'counter') return this.#increase;
    let sum = 0;
    for (const v of this.#last.values()) sum += v;
    return this.#last.size > 0 ? sum / this.#last.size : 0;
  }
}

interface Entry {
  last: number;
  increase: number | undefined;
}

/**
 * Builds the rollup rows of one subject, bucket by bucket, from raw rows (m1) or finer rollup rows
 * (h1), fed in time order. The previous value of each counter carries over from bucket to bucket.
 */
export class AppRollupBuilder {
  readonly #isCounter: (seriesId: number) => boolean;
  readonly #prev = new Map<number, number>();
  #bucket = new Map<number, Entry>();
  #n = 0;

  constructor(isCounter: (seriesId: number) => boolean, baseline?: ReadonlyMap<number, number>) {
    this.#isCounter = isCounter;
    if (baseline) for (const [id, v] of baseline) this.#prev.set(id, v);
  }

  get empty(): boolean {
    return this.#n === 0;
  }

  addRaw(data: Uint8Array): void {
    this.#n += 1;
    readAppEntries(data, (id, v) => {
      const entry = this.#entry(id);
      entry.last = v;
      if (this.#isCounter(id)) {
        const prev = this.#prev.get(id);
        entry.increase = (entry.increase ?? 0) + (prev === undefined ? 0 : counterIncrease(prev, v));
        this.#prev.set(id, v);
      }
    });
  }

  addRollup(n: number, data: Uint8Array): void {
    this.#n += n;
    readAppEntries(data, (id, v, increase) => {
      const entry = this.#entry(id);
      entry.last = v;
      if (increase !== undefined) entry.increase = (entry.increase ?? 0) + increase;
    });
  }

  /** The bucket's row (scrapes, entries) and a fresh bucket; undefined when it saw no scrape. */
  flush(w: ByteWriter): { n: number; data: Buffer } | undefined {
    if (this.#n === 0) return undefined;
    w.reset();
    for (const id of [...this.#bucket.keys()].sort((a, b) => a - b)) {
      const e = this.#bucket.get(id)!;
      writeAppEntry(w, id, e.last, e.increase);
    }
    const row = { n: this.#n, data: w.toBuffer() };
    this.#bucket = new Map();
    this.#n = 0;
    return row;
  }

  #entry(id: number): Entry {
    let e = this.#bucket.get(id);
    if (e === undefined) {
      e = { last: 0, increase: undefined };
      this.#bucket.set(id, e);
    }
    return e;
  }
}

/** The values of one stored row (raw or rollup), by series id. */
export function appValues(data: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  readAppEntries(data, (id, v) => out.set(id, v));
  return out;
}
