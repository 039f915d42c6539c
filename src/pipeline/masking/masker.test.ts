import { describe, expect, it } from 'vitest';
import { createMasker, maskPatterns, maskString } from './masker.js';

const SECRET = 's3cr3t-Value';

function stream(values: string[], chunks: string[]): { outputs: string[]; all: string } {
  const masker = createMasker(values);
  const outputs = chunks.map((c) => masker.write(c));
  outputs.push(masker.flush());
  return { outputs, all: outputs.join('') };
}

/** Naive reference: mark every position covered by any pattern, one mask per run. */
function reference(text: string, values: string[]): string {
  const covered = new Array<boolean>(text.length).fill(false);
  for (const p of maskPatterns(values)) {
    for (let i = text.indexOf(p); i !== -1; i = text.indexOf(p, i + 1)) covered.fill(true, i, i + p.length);
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (!covered[i]) out += text[i];
    else if (i === 0 || !covered[i - 1]) out += '***';
  }
  return out;
}

describe('maskString', () => {
  it('masks plain values', () => {
    expect(maskString(`token=${SECRET} and again ${SECRET}.`, [SECRET])).toBe('token=*** and again ***.');
  });

  it('masks base64 forms: standard, url-safe, with and without padding', () => {
    const value = 'ab?>cd~~e'; // base64 uses + and /, so the url-safe form differs
    const std = Buffer.from(value).toString('base64');
    const url = Buffer.from(value).toString('base64url');
    expect(std).not.toBe(url);
    expect(maskString(`a ${std} b`, [value])).toBe('a *** b');
    expect(maskString(`a ${url} b`, [value])).toBe('a *** b');
    const padded = 'secret1'; // 7 bytes: base64 ends with "="
    const b64 = Buffer.from(padded).toString('base64');
    expect(b64.endsWith('=')).toBe(true);
    expect(maskString(`[${b64}]`, [padded])).toBe('[***]');
    expect(maskString(`[${b64.replace(/=+$/, '')}]`, [padded])).toBe('[***]');
    expect(maskString(`[${Buffer.from(padded).toString('base64url')}]`, [padded])).toBe('[***]');
  });

  it('masks a secret encoded inside a longer base64 text (basic auth, echo | base64)', () => {
    const auth = Buffer.from(`admin:${SECRET}`).toString('base64');
    expect(maskString(`Authorization: Basic ${auth}`, [SECRET])).not.toContain(
      Buffer.from(SECRET).toString('base64').slice(4, 10),
    );
    expect(maskString(`Authorization: Basic ${auth}`, [SECRET])).toMatch(
      /^Authorization: Basic [A-Za-z0-9+/]*\*\*\*/,
    );
    const echoed = Buffer.from(`${SECRET}\n`).toString('base64');
    expect(maskString(echoed, [SECRET])).toMatch(/^\*\*\*[A-Za-z0-9+/=]{0,4}$/);
  });

  it('masks the URL-encoded and JSON-escaped forms', () => {
    const value = 'p@ss w/rd&"x"';
    expect(maskString(`https://u:${encodeURIComponent(value)}@host`, [value])).toBe('https://u:***@host');
    expect(maskString(`{"password":${JSON.stringify(value)}}`, [value])).toBe('{"password":"***"}');
  });

  it('masks each line of a multi-line secret and the string fields of a JSON secret', () => {
    const pem = '-----BEGIN KEY-----\nMIIBOgIBAAJBAK\nab\n-----END KEY-----';
    expect(maskString(`key:\n${pem}\n`, [pem])).toBe('key:\n***\n');
    expect(maskString('line MIIBOgIBAAJBAK alone', [pem])).toBe('line *** alone');
    expect(maskString('ab stays', [pem])).toBe('ab stays');
    const json = '{"user":"deploy","password":"hunter22","port":5432}';
    expect(maskString('login deploy/hunter22', [json])).toBe('login ***/***');
  });

  it('ignores values shorter than 4 characters', () => {
    expect(maskString('a cat sat on abc', ['a', 'abc', ''])).toBe('a cat sat on abc');
    expect(maskPatterns(['a', 'abc'])).toEqual([]);
  });

  it('prefers the longest match and merges overlapping occurrences', () => {
    expect(maskString('xx abcdefgh yy', ['abcd', 'abcdefgh'])).toBe('xx *** yy');
    expect(maskString('xx abcdefghij yy', ['abcdef', 'efghij'])).toBe('xx *** yy');
    expect(maskString('abcdabcd', ['abcd'])).toBe('***');
  });

  it('agrees with a naive reference on random texts', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const values = ['abab', 'babba', 'aab\nbba'];
    for (let round = 0; round < 300; round++) {
      let text = '';
      const length = rand(40);
      for (let i = 0; i < length; i++) text += 'ab\nx'[rand(4)];
      const chunks: string[] = [];
      for (let i = 0; i < text.length; ) {
        const size = 1 + rand(6);
        chunks.push(text.slice(i, i + size));
        i += size;
      }
      expect(stream(values, chunks).all, JSON.stringify(chunks)).toBe(reference(text, values));
      expect(maskString(text, values)).toBe(reference(text, values));
    }
  });
});

describe('createMasker (streaming)', () => {
  const text = `before ${SECRET} after`;

  it('masks a secret split across 2 chunks at every split point', () => {
    for (let i = 0; i <= text.length; i++) {
      expect(stream([SECRET], [text.slice(0, i), text.slice(i)]).all, `split at ${i}`).toBe(
        'before *** after',
      );
    }
  });

  it('masks a secret split across 3 chunks at every pair of split points', () => {
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        const chunks = [text.slice(0, i), text.slice(i, j), text.slice(j)];
        expect(stream([SECRET], chunks).all, `split at ${i}, ${j}`).toBe('before *** after');
      }
    }
  });

  it('masks base64 and url-encoded forms split across chunks', () => {
    const b64 = Buffer.from(SECRET).toString('base64');
    const encoded = `x ${b64} y`;
    for (let i = 0; i <= encoded.length; i++) {
      expect(stream([SECRET], [encoded.slice(0, i), encoded.slice(i)]).all).toBe('x *** y');
    }
  });

  it('emits text without a pattern prefix at once (no over-holding)', () => {
    const masker = createMasker([SECRET]);
    expect(masker.write('plain text without a newline ')).toBe('plain text without a newline ');
    expect(masker.write('more')).toBe('more');
    // Only the tail that could start the secret is held back.
    expect(masker.write(' then s3cr')).toBe(' then ');
    expect(masker.write('3t-Val')).toBe('');
    expect(masker.write('ue and on')).toBe('*** and on');
    expect(masker.write(' s3x')).toBe(' s3x');
    expect(masker.flush()).toBe('');
  });

  it('holds a complete match while a longer pattern could still follow, and flushes the tail', () => {
    const masker = createMasker(['abcd', 'abcdefgh']);
    expect(masker.write('x abcd')).toBe('x ');
    expect(masker.write('ef')).toBe('');
    expect(masker.write('gh y')).toBe('*** y');
    expect(masker.write(' abcdef')).toBe(' ');
    expect(masker.write('g!')).toBe('***efg!');
    expect(masker.write(' abc')).toBe(' ');
    expect(masker.flush()).toBe('abc');
  });

  it('does not repeat a mask for one occurrence emitted in two writes', () => {
    const { outputs, all } = stream(['abcdef', 'efghij'], ['xx abcdef', 'ghij yy']);
    expect(all).toBe('xx *** yy');
    expect(outputs[0]).toBe('xx ***');
  });

  it('masks multi-line secrets across chunks', () => {
    const secret = 'line-one\nline-two';
    const out = stream([secret], ['a line-o', 'ne\nline', '-two b\nline-two\n']).all;
    expect(out).toBe('a *** b\n***\n');
  });

  it('passes text through when there is nothing to mask', () => {
    const masker = createMasker(['ab']);
    expect(masker.write('abc')).toBe('abc');
    expect(masker.flush()).toBe('');
  });

  it('is fast enough for megabytes of log', () => {
    const secrets = Array.from({ length: 20 }, (_, i) => `secret-value-${i}-${'x'.repeat(i)}`);
    const line = 'INFO 2024-01-01T00:00:00Z compiling module src/foo/bar.ts (42 files) sha=0a1b2c3d4e5f\n';
    const chunk = line.repeat(800); // ~64 KB
    const masker = createMasker(secrets);
    const started = performance.now();
    let total = 0;
    for (let i = 0; i < 160; i++) total += masker.write(i === 80 ? `${chunk}${secrets[3]}\n` : chunk).length;
    total += masker.flush().length;
    const ms = performance.now() - started;
    expect(total).toBeGreaterThan(10_000_000);
    expect(ms).toBeLessThan(5000);
  });
});
