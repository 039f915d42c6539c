import { describe, expect, it } from 'vitest';
import { applyMessage, fromSlice, MAX_LOG_LINES, parseJobLogMessage } from '../../web/src/lib/job-log.js';

describe("a job's log on the run page (pure)", () => {
  it('appends stream messages that continue where the view is, and ends on done', () => {
    let view = fromSlice({ lines: ['$ npm test'], offset: 11, complete: false, truncated: false });
    view = applyMessage(view, { lines: ['1 passed'], offset: 20, done: false });
    expect(view).toMatchObject({ lines: ['$ npm test', '1 passed'], offset: 20, complete: false });
    // A replay from before the view's offset (a reconnect that raced a read) adds nothing.
    expect(applyMessage(view, { lines: ['1 passed'], offset: 11, done: false })).toBe(view);
    view = applyMessage(view, { lines: [], offset: 20, done: true });
    expect(view).toMatchObject({ lines: ['$ npm test', '1 passed'], complete: true });
  });

  it('keeps the last lines of a long log and says it was cut', () => {
    const many = Array.from({ length: MAX_LOG_LINES }, (_, i) => `line ${i}`);
    const view = applyMessage(fromSlice({ lines: many, offset: 1, complete: false, truncated: false }), {
      lines: ['the newest'],
      offset: 2,
      done: false,
    });
    expect(view.lines).toHaveLength(MAX_LOG_LINES);
    expect(view.lines.at(-1)).toBe('the newest');
    expect(view.lines[0]).toBe('line 1');
    expect(view.truncated).toBe(true);
  });

  it('reads only well-formed stream messages', () => {
    expect(parseJobLogMessage('text')).toBeUndefined();
    expect(parseJobLogMessage({ lines: ['a', 3], offset: 9 })).toEqual({
      lines: ['a'],
      offset: 9,
      done: false,
    });
    expect(parseJobLogMessage({ done: true, status: 'passed' })).toEqual({
      lines: [],
      offset: null,
      done: true,
    });
  });
});
