/**
 * The compact encoding of a scrape's values (one BLOB per subject and scrape or rollup bucket):
 * unsigned LEB128 varints (safe up to 2^53, so arithmetic, not bit operations) and tagged numbers,
 * an integer as an even varint (zigzag), anything else as 1 then a float64. Most values (counts,
 * byte sizes, histogram buckets) are integers and take 1–4 bytes.
 */

const MAX_INT_VALUE = 2 ** 51;

export class ByteWriter {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** A non-negative integer below 2^53. */
  uint(v: number): void {
    this.#ensure(8);
    while (v >= 128) {
      this.#buf[this.#len++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.#buf[this.#len++] = v;
  }

  f64(v: number): void {
    this.#ensure(8);
    this.#view.setFloat64(this.#len, v, true);
    this.#len += 8;
  }

  /** Any finite number or ±Infinity; integers of magnitude up to 2^51 take a varint. */
  value(v: number): void {
    if (Number.isInteger(v) && Math.abs(v) <= MAX_INT_VALUE) {
      this.uint((v >= 0 ? v * 2 : -v * 2 - 1) * 2);
    } else {
      this.uint(1);
      this.f64(v);
    }
  }

  get length(): number {
    return this.#len;
  }

  reset(): void {
    this.#len = 0;
  }

  /** A copy of the bytes written so far. */
  toBuffer(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#len));
  }
}

export class ByteReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.#pos >= this.#buf.length;
  }

  uint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.#buf[this.#pos++];
      if (b === undefined) throw new RangeError('truncated varint');
      result += (b & 127) * mul;
      if (b < 128) return result;
      mul *= 128;
    }
  }

  f64(): number {
    if (this.#pos + 8 > this.#buf.length) throw new RangeError('truncated float64');
    const v = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return v;
  }

  value(): number {
    const tag = this.uint();
    if (tag % 2 === 1) return this.f64();
    const zz = tag / 2;
    return zz % 2 === 0 ? zz / 2 : -(zz + 1) / 2;
  }
}

/**
 * One application entry: a series id, its (last) value and, in rollups of counters, the increase
 * over the bucket. The id's low bit says whether an increase follows.
 */
export function writeAppEntry(w: ByteWriter, seriesId: number, value: number, increase?: number): void {
  w.uint(seriesId * 2 + (increase === undefined ? 0 : 1));
  w.value(value);
  if (increase !== undefined) w.value(increase);
}

export type AppEntryVisitor = (seriesId: number, value: number, increase: number | undefined) => void;

export function readAppEntries(blob: Uint8Array, visit: AppEntryVisitor): void {
  const r = new ByteReader(blob);
  while (!r.done) {
    const head = r.uint();
    const value = r.value();
    visit(Math.floor(head / 2), value, head % 2 === 1 ? r.value() : undefined);
  }
}
