import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from './did-you-mean.js';

describe('did-you-mean', () => {
  it('counts a swap of adjacent letters as one edit', () => {
    expect(editDistance('tset', 'test')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests close names only', () => {
    expect(didYouMean('timout', ['timeout', 'retries'])).toBe('timeout');
    expect(didYouMean('biuld', ['build', 'test'])).toBe('build');
    expect(didYouMean('zzzzzz', ['build', 'test'])).toBeUndefined();
  });
});
