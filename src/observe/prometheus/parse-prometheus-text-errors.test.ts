import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './index.js';

/** Parses one bad line between two good ones and returns the errors and the sample names kept. */
function withBadLine(bad: string) {
  const { families, errors } = parsePrometheusText(`good_before 1\n${bad}\ngood_after 2\n`);
  return { errors, kept: families.flatMap((f) => f.samples.map((s) => s.name)) };
}

describe('parsePrometheusText: malformed lines are reported with their line number and skipped', () => {
  it.each([
    ['0bad 1', /invalid metric name "0bad"/],
    ['m{0a="x"} 1', /invalid label name "0a"/],
    ['m{a="x" 1', /expected "," or "}" after the value of label "a"/],
    ['m{a="x} 1', /unterminated value of label "a"/],
    ['m{a=x} 1', /expected '"' to open the value of label "a"/],
    ['m{a} 1', /expected "=" after label name "a"/],
    ['m{a="\\t"} 1', /invalid escape "\\t"/],
    ['m{a="1",a="2"} 1', /duplicate label "a"/],
    ['m', /missing value for m/],
    ['m{a="1"}', /missing value for m/],
    ['m abc', /invalid value "abc"/],
    ['m 0x1F', /invalid value "0x1F"/],
    ['m 1 1.5', /invalid timestamp "1.5"/],
    ['m 1 99999999999999999999', /invalid timestamp/],
    ['m 1 2 3', /unexpected text "3"/],
    ['# TYPE m bogus', /invalid type "bogus"/],
    ['# TYPE', /missing the metric name/],
    ['# HELP 9x doc', /invalid metric name "9x" in # HELP/],
  ])('%s', (bad, message) => {
    const { errors, kept } = withBadLine(bad);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.line).toBe(2);
    expect(errors[0]?.message).toMatch(message);
    expect(kept).toEqual(['good_before', 'good_after']);
  });

  it('reports a TYPE that comes after the samples of its metric and keeps the samples', () => {
    const { families, errors } = parsePrometheusText('m 1\n# TYPE m counter\nm 2\n');
    expect(errors).toEqual([
      { line: 2, message: expect.stringMatching(/# TYPE m comes after samples of m/) },
    ]);
    expect(families).toEqual([
      {
        name: 'm',
        type: 'untyped',
        samples: [
          { name: 'm', labels: {}, value: 1 },
          { name: 'm', labels: {}, value: 2 },
        ],
      },
    ]);
  });

  it('reports a histogram TYPE that comes after its _bucket samples', () => {
    const { errors } = parsePrometheusText('h_bucket{le="1"} 1\n# TYPE h histogram\n');
    expect(errors).toEqual([{ line: 2, message: expect.stringMatching(/comes after samples of h_bucket/) }]);
  });

  it('reports a duplicate TYPE and keeps the first', () => {
    const { families, errors } = parsePrometheusText('# TYPE m counter\n# TYPE m gauge\nm 1\n');
    expect(errors).toEqual([{ line: 2, message: expect.stringMatching(/duplicate # TYPE for m/) }]);
    expect(families[0]?.type).toBe('counter');
  });

  it('reports a duplicate HELP and keeps the first', () => {
    const { families, errors } = parsePrometheusText('# HELP m one\n# HELP m two\nm 1\n');
    expect(errors).toEqual([{ line: 2, message: expect.stringMatching(/duplicate # HELP for m/) }]);
    expect(families[0]?.help).toBe('one');
  });

  it('reports histogram buckets without a valid le and histogram samples without a suffix', () => {
    const text = '# TYPE h histogram\nh_bucket 1\nh_bucket{le="x"} 2\nh 3\nh_bucket{le="1"} 4\n';
    const { families, errors } = parsePrometheusText(text);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(errors[0]?.message).toMatch(/missing the "le" label/);
    expect(errors[1]?.message).toMatch(/invalid le="x"/);
    expect(errors[2]?.message).toMatch(/without a suffix/);
    expect(families[0]?.samples).toEqual([{ name: 'h_bucket', labels: { le: '1' }, value: 4 }]);
  });

  it('reports summary quantile samples without a valid quantile', () => {
    const { errors } = parsePrometheusText('# TYPE s summary\ns 1\ns{quantile="p99"} 2\ns_sum 3\n');
    expect(errors.map((e) => [e.line, e.message])).toEqual([
      [2, expect.stringMatching(/without the "quantile" label/)],
      [3, expect.stringMatching(/invalid quantile="p99"/)],
    ]);
  });

  it('never throws on arbitrary junk', () => {
    const junk = ['{', '}', '"', '\\', '=', ',', '# TYPE', '\0', '\u{1F600}', 'm{', 'm{a="', ' 1', '#'];
    for (const a of junk) {
      for (const b of junk) {
        expect(() => parsePrometheusText(`${a}${b}\n${b} ${a}`)).not.toThrow();
      }
    }
  });
});

describe('parsePrometheusText: input limits', () => {
  it('rejects an input over maxChars whole', () => {
    const result = parsePrometheusText('m 1\nn 2\n', { maxChars: 5 });
    expect(result.families).toEqual([]);
    expect(result.errors).toEqual([{ line: 0, message: expect.stringMatching(/over the limit of 5/) }]);
  });

  it('parses only the first maxLines lines', () => {
    const result = parsePrometheusText('a 1\nb 2\nc 3\nd 4\n', { maxLines: 2 });
    expect(result.families.map((f) => f.name)).toEqual(['a', 'b']);
    expect(result.errors).toEqual([
      { line: 3, message: expect.stringMatching(/4 lines, over the limit of 2/) },
    ]);
  });

  it('keeps at most maxErrors errors and counts the rest', () => {
    const result = parsePrometheusText('! 1\n! 2\n! 3\n! 4\nok 5\n', { maxErrors: 2 });
    expect(result.errors.map((e) => e.line)).toEqual([1, 2, 0]);
    expect(result.errors[2]?.message).toMatch(/2 more errors were not reported/);
    expect(result.families.map((f) => f.name)).toEqual(['ok']);
  });

  it('parses a large but legal scrape well within the default limits', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `req_total{instance="i${i % 50}",n="${i}"} ${i}`);
    const result = parsePrometheusText(`# TYPE req_total counter\n${lines.join('\n')}\n`);
    expect(result.errors).toEqual([]);
    expect(result.families[0]?.samples).toHaveLength(20_000);
  });
});
