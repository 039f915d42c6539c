import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptionError, decryptSecret, encryptSecret } from './crypto.js';

const key = randomBytes(32);

describe('secret crypto', () => {
  it('round-trips and uses a fresh IV for every value', () => {
    const a = encryptSecret(key, 'TOKEN', 'hunter2 ✓');
    const b = encryptSecret(key, 'TOKEN', 'hunter2 ✓');
    expect(a).not.toBe(b);
    expect(a.startsWith('v1:')).toBe(true);
    expect(decryptSecret(key, 'TOKEN', a)).toBe('hunter2 ✓');
  });

  it('binds the ciphertext to its name (AAD) and to its key', () => {
    const envelope = encryptSecret(key, 'A', 'value');
    expect(() => decryptSecret(key, 'B', envelope)).toThrow(DecryptionError);
    expect(() => decryptSecret(randomBytes(32), 'A', envelope)).toThrow(DecryptionError);
  });

  it('detects tampering and malformed envelopes', () => {
    const [v, iv, tag, ct] = encryptSecret(key, 'A', 'value').split(':') as [string, string, string, string];
    const flipped = Buffer.from(ct, 'base64');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => decryptSecret(key, 'A', [v, iv, tag, flipped.toString('base64')].join(':'))).toThrow(
      DecryptionError,
    );
    expect(() => decryptSecret(key, 'A', 'garbage')).toThrow(DecryptionError);
    expect(() => decryptSecret(key, 'A', `v1:${iv}:AAAA:${ct}`)).toThrow(DecryptionError);
  });
});
