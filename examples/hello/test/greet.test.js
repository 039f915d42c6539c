import assert from 'node:assert/strict';
import { test } from 'node:test';
import { greet } from '../src/greet.js';

test('greets in English by default', () => {
  assert.equal(greet('Ada'), 'Hello, Ada!');
});

test('greets in French and German', () => {
  assert.equal(greet('Ada', 'fr'), 'Bonjour, Ada!');
  assert.equal(greet('Ada', 'de'), 'Hallo, Ada!');
});

test('refuses an unknown language', () => {
  assert.throws(() => greet('Ada', 'xx'), /unknown language/);
});
