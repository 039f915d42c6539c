import { describe, expect, it } from 'vitest';
import { createMemoryDeliveryLog } from './delivery-log.js';

const at = new Date('2025-03-01T12:00:00Z');

describe('memory delivery log', () => {
  it('remembers recorded ids', () => {
    const log = createMemoryDeliveryLog();
    expect(log.seen('a')).toBe(false);
    log.record('a', at);
    expect(log.seen('a')).toBe(true);
    expect(log.seen('b')).toBe(false);
  });

  it('is bounded: it forgets the least recently seen id first', () => {
    const log = createMemoryDeliveryLog({ capacity: 3 });
    for (const id of ['a', 'b', 'c']) log.record(id, at);
    expect(log.seen('a')).toBe(true); // 'a' is now the most recent; 'b' the oldest
    log.record('d', at);
    expect(log.size()).toBe(3);
    expect(log.seen('b')).toBe(false);
    for (const id of ['a', 'c', 'd']) expect(log.seen(id), id).toBe(true);
  });

  it('stays within its capacity under many ids', () => {
    const log = createMemoryDeliveryLog({ capacity: 100 });
    for (let i = 0; i < 10_000; i++) log.record(`id-${i}`, at);
    expect(log.size()).toBe(100);
    expect(log.seen('id-9999')).toBe(true);
    expect(log.seen('id-0')).toBe(false);
  });

  it('recording an id twice keeps one entry', () => {
    const log = createMemoryDeliveryLog({ capacity: 2 });
    log.record('a', at);
    log.record('a', at);
    log.record('b', at);
    expect(log.size()).toBe(2);
    expect(log.seen('a')).toBe(true);
  });
});
