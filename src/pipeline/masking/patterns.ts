/** Values shorter than this are never masked: masking "a" would destroy every log. */
export const MIN_SECRET_LENGTH = 4;
/** Shortest base64 fragment (of a secret inside a longer encoded text) worth masking. */
const MIN_BASE64_CORE = 6;

/**
 * Every string to mask for these secret values, longest first, without duplicates:
 * - each value, each of its lines (multi-line secrets) and each string field of a JSON secret;
 * - of each of those: its URL encoding (encodeURIComponent), its JSON-escaped form, and its base64,
 *   standard and url-safe, with and without padding;
 * - the base64 characters that depend only on the value when it is encoded inside a longer text
 *   (`user:password`, `echo $SECRET | base64`), at each of the three byte alignments.
 * Fragments shorter than MIN_SECRET_LENGTH are ignored.
 */
export function maskPatterns(values: Iterable<string>): string[] {
  const patterns = new Set<string>();
  const add = (text: string, min = MIN_SECRET_LENGTH) => {
    if (text.length >= min) patterns.add(text);
  };
  for (const value of values) {
    for (const fragment of fragmentsOf(value)) {
      add(fragment);
      add(encodeURIComponent(fragment));
      add(JSON.stringify(fragment).slice(1, -1));
      const bytes = Buffer.from(fragment, 'utf8');
      const standard = bytes.toString('base64');
      add(standard);
      add(standard.replace(/=+$/, ''));
      const urlSafe = bytes.toString('base64url');
      add(urlSafe);
      add(urlSafe + '='.repeat(standard.length - urlSafe.length));
      for (const core of base64Cores(bytes)) add(core, MIN_BASE64_CORE);
    }
  }
  return [...patterns].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
}

/** The value itself, its lines, and the string fields of a JSON value, each at least MIN_SECRET_LENGTH long. */
function fragmentsOf(value: string): string[] {
  if (value.length < MIN_SECRET_LENGTH) return [];
  const fragments = [value];
  if (/[\r\n]/.test(value)) {
    fragments.push(value.replace(/\r\n/g, '\n'));
    for (const line of value.split(/\r\n|\r|\n/)) fragments.push(line);
  }
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      collectStrings(JSON.parse(trimmed), fragments);
    } catch {
      // Not JSON: the value and its lines are enough.
    }
  }
  return fragments.filter((f) => f.length >= MIN_SECRET_LENGTH);
}

function collectStrings(node: unknown, into: string[]): void {
  if (typeof node === 'string') into.push(node);
  else if (Array.isArray(node)) for (const item of node) collectStrings(item, into);
  else if (node !== null && typeof node === 'object')
    for (const item of Object.values(node)) collectStrings(item, into);
}

/**
 * When `bytes` sit at byte offset 0, 1 or 2 (mod 3) of a longer encoded text, only the base64
 * characters whose 6 bits all come from `bytes` are predictable: those are returned, in both alphabets.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]);
    const start = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    if (end <= start) continue;
    cores.push(shifted.toString('base64').slice(start, end), shifted.toString('base64url').slice(start, end));
  }
  return cores;
}
