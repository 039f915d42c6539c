import { describe, expect, it } from 'vitest';
import { ConditionError } from './condition-error.js';
import { parseCondition } from './parse-condition.js';

function failure(text: string): ConditionError {
  try {
    parseCondition(text);
  } catch (err) {
    if (err instanceof ConditionError) return err;
    throw err;
  }
  throw new Error(`"${text}" parsed`);
}

describe('parseCondition: valid conditions', () => {
  it.each([
    ['error_rate > 5%', 'error_rate', '>', 0.05],
    ['error_rate >= 0.05', 'error_rate', '>=', 0.05],
    ['up < 99.9%', 'up', '<', 0.999],
    ['rps > 100', 'rps', '>', 100],
    ['p50 > 20', 'p50', '>', 20],
    ['p90 > 250ms', 'p90', '>', 250],
    ['p95 > 300 ms', 'p95', '>', 300],
    ['p99>1.5s', 'p99', '>', 1500],
    ['cpu > 70%', 'cpu', '>', 0.7],
    ['cpu >= 1.5', 'cpu', '>=', 1.5],
    ['rss > 512MB', 'rss', '>', 512e6],
    ['rss > 1.5GB', 'rss', '>', 1.5e9],
    ['rss > 256MiB', 'rss', '>', 256 * 1024 * 1024],
    ['rss > 4KiB', 'rss', '>', 4096],
    ['rss > 1000', 'rss', '>', 1000],
    ['inflight > 50', 'inflight', '>', 50],
    ['healthy < 1', 'healthy', '<', 1],
    ['healthy == 0', 'healthy', '==', 0],
    ['healthy != 2', 'healthy', '!=', 2],
    ['  error_rate <= 1e-2  ', 'error_rate', '<=', 0.01],
  ])('%s', (text, name, op, threshold) => {
    const condition = parseCondition(text);
    expect(condition.metric).toEqual({ kind: 'builtin', name });
    expect(condition.op).toBe(op);
    expect(condition.threshold).toBe(threshold);
    expect(condition.text).toBe(text.trim());
  });

  it('parses rate() with labels, escapes and a trailing comma', () => {
    const condition = parseCondition(
      'rate( jobs_failed_total { queue = "mail", note="a \\"b\\" \\\\ c\\n", } ) > 0.5',
    );
    expect(condition.metric).toEqual({
      kind: 'app',
      fn: 'rate',
      name: 'jobs_failed_total',
      labels: { queue: 'mail', note: 'a "b" \\ c\n' },
    });
    expect(condition.threshold).toBe(0.5);
  });

  it('parses value() without labels, with empty braces, and with a negative threshold or a percentage', () => {
    expect(parseCondition('value(queue_depth) > 100').metric).toEqual({
      kind: 'app',
      fn: 'value',
      name: 'queue_depth',
      labels: {},
    });
    expect(parseCondition('value(temp{}) < -5').threshold).toBe(-5);
    expect(parseCondition('value(cache_hit_ratio) < 50%').threshold).toBe(0.5);
    expect(parseCondition('rate(ns:http_requests:sum) > 1').metric).toMatchObject({
      name: 'ns:http_requests:sum',
    });
  });
});

describe('parseCondition: errors say where, what was expected, and what was meant', () => {
  it('suggests the metric a typo was meant to be', () => {
    const err = failure('error_rat > 5%');
    expect(err.code).toBe('TANDEM_ALERT_CONDITION');
    expect(err.exitCode).toBe(2);
    expect(err.offset).toBe(0);
    expect(err.suggestion).toBe('error_rate');
    expect(err.message).toBe(
      'alert condition "error_rat > 5%", column 1: unknown metric "error_rat"; expected a metric: error_rate, rps, ' +
        'p50, p90, p95, p99, cpu, rss, inflight, healthy, up, rate(name{label="v"}) or value(name{label="v"}). ' +
        'Did you mean "error_rate"?',
    );
    expect(failure('healty < 1').suggestion).toBe('healthy');
    expect(failure('inflght > 5').suggestion).toBe('inflight');
  });

  it('points an application metric written bare at rate() and value()', () => {
    const err = failure('http_requests_total > 5');
    expect(err.suggestion).toBeUndefined();
    expect(err.message).toContain(
      'application metrics go inside rate(...) for counters or value(...) for gauges',
    );
  });

  it('rejects unknown functions and rate/value without parentheses', () => {
    expect(failure('rat(x) > 1')).toMatchObject({ offset: 0, suggestion: 'rate' });
    expect(failure('rate > 1').message).toContain('"rate" needs a metric in parentheses');
    expect(failure('error_rate(x) > 1').message).toContain('"error_rate" is not a function');
  });

  it('rejects a missing or misspelt comparison, suggesting the right one', () => {
    expect(failure('cpu => 70%')).toMatchObject({ offset: 4, suggestion: '>=' });
    expect(failure('cpu =< 70%')).toMatchObject({ suggestion: '<=' });
    expect(failure('cpu = 70%')).toMatchObject({ suggestion: '==' });
    expect(failure('cpu <> 70%')).toMatchObject({ suggestion: '!=' });
    const missing = failure('cpu 70%');
    expect(missing.offset).toBe(4);
    expect(missing.message).toContain('found "70%"; expected a comparison: >, >=, <, <=, == or !=');
    expect(failure('p99').message).toContain('column 4: found the end of the condition');
  });

  it('rejects a missing number', () => {
    expect(failure('p95 > ms').message).toContain('column 7: found "ms"; expected a duration such as 300ms');
    expect(failure('error_rate >').message).toContain(
      'found the end of the condition; expected a percentage',
    );
  });

  it('rejects units the metric does not take, suggesting the right spelling', () => {
    const unit = failure('p95 > 300mss');
    expect(unit).toMatchObject({ offset: 9, suggestion: 'ms' });
    expect(unit.message).toContain('unknown unit "mss" for p95; expected one of ms, s:');
    expect(failure('rss > 512mb')).toMatchObject({ suggestion: 'MB' });
    expect(failure('rps > 10ms').message).toContain('rps takes no unit, found "ms"');
    expect(failure('healthy < 50%').message).toContain('healthy takes no unit');
  });

  it('rejects ratios out of range and negative thresholds of built-in metrics', () => {
    const bare = failure('error_rate > 5');
    expect(bare).toMatchObject({ offset: 13, suggestion: '5%' });
    expect(bare.message).toContain('error_rate is a ratio from 0 to 1, so 5 is out of range');
    expect(failure('up < 101%').message).toContain('101% is over 100%');
    expect(failure('cpu > -1').message).toContain('cpu cannot be negative');
  });

  it('rejects a second clause, telling to write two rules', () => {
    const err = failure('error_rate > 5% and p95 > 300ms');
    expect(err.offset).toBe(16);
    expect(err.message).toContain(
      'expected the end of the condition (one comparison per rule: write two rules)',
    );
    expect(failure('rps > 100 and p95 > 3').offset).toBe(10);
    expect(failure('rps > 100 x').message).toContain('rps takes no unit, found "x"');
  });

  it('rejects malformed label matchers', () => {
    expect(failure('rate(x{code!="500"}) > 1').message).toContain(
      'the matcher "!=" is not supported; expected an exact match: code="value"',
    );
    expect(failure("rate(x{code='500'}) > 1").message).toContain('expected a label value in double quotes');
    expect(failure('rate(x{a="b) > 1').message).toContain('this label value is never closed');
    expect(failure('rate(x{a="1",a="2"}) > 1').message).toContain('label "a" is given twice');
    expect(failure('rate(x{a="1" b="2"}) > 1').message).toContain('expected "," or "}"');
    expect(failure('rate(x{a="\\t"}) > 1').message).toContain('unknown escape "\\t"');
    expect(failure('rate(x > 1').message).toContain('expected "{" or ")"');
    expect(failure('rate() > 1').message).toContain(
      'expected the name of an application metric inside rate(...)',
    );
  });

  it('reports an empty condition', () => {
    expect(failure('   ').message).toContain('column 4: the condition is empty; expected a metric');
  });
});
