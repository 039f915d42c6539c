/**
 * A label set's fingerprint as Prometheus and Alertmanager compute it: FNV-1a 64 over the
 * labels sorted by name, each as UTF-8 `name 0xFF value 0xFF`. Stable across restarts and
 * independent of the order labels were written in.
 */
const OFFSET_BASIS = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const SEPARATOR = 0xff;

export function fnv1a64(bytes: Iterable<number>): bigint {
  let hash = OFFSET_BASIS;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * PRIME) & MASK;
  return hash;
}

/** 16 lowercase hex digits. */
export function fingerprintLabels(labels: Record<string, string>): string {
  const encoder = new TextEncoder();
  const bytes: number[] = [];
  for (const name of Object.keys(labels).sort()) {
    bytes.push(...encoder.encode(name), SEPARATOR, ...encoder.encode(labels[name]), SEPARATOR);
  }
  return fnv1a64(bytes).toString(16).padStart(16, '0');
}
