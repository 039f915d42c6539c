import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './index.js';

// The example from https://prometheus.io/docs/instrumenting/exposition_formats/ (text format 0.0.4).
const DOC_EXAMPLE = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="0.2"} 100392
http_request_duration_seconds_bucket{le="0.5"} 129389
http_request_duration_seconds_bucket{le="1"} 133988
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# Finally a summary, which has a complex representation, too:
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.05"} 3272
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.9"} 9001
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`;

function family(text: string, name: string) {
  const f = parsePrometheusText(text).families.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name}`);
  return f;
}

describe('parsePrometheusText: the documentation example', () => {
  const result = parsePrometheusText(DOC_EXAMPLE);

  it('parses without errors into the families in order of appearance', () => {
    expect(result.errors).toEqual([]);
    expect(result.families.map((f) => [f.name, f.type])).toEqual([
      ['http_requests_total', 'counter'],
      ['msdos_file_access_time_seconds', 'untyped'],
      ['metric_without_timestamp_and_labels', 'untyped'],
      ['something_weird', 'untyped'],
      ['http_request_duration_seconds', 'histogram'],
      ['rpc_duration_seconds', 'summary'],
    ]);
  });

  it('reads the counter with labels, help and timestamps', () => {
    const f = family(DOC_EXAMPLE, 'http_requests_total');
    expect(f.help).toBe('The total number of HTTP requests.');
    expect(f.samples).toEqual([
      {
        name: 'http_requests_total',
        labels: { method: 'post', code: '200' },
        value: 1027,
        timestampMs: 1395066363000,
      },
      {
        name: 'http_requests_total',
        labels: { method: 'post', code: '400' },
        value: 3,
        timestampMs: 1395066363000,
      },
    ]);
  });

  it('unescapes backslashes, quotes and newlines in label values', () => {
    const [s] = family(DOC_EXAMPLE, 'msdos_file_access_time_seconds').samples;
    expect(s?.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(s?.value).toBe(1.458255915e9);
    expect(s?.timestampMs).toBeUndefined();
  });

  it('reads a minimal line and a +Inf value with a negative timestamp', () => {
    expect(family(DOC_EXAMPLE, 'metric_without_timestamp_and_labels').samples).toEqual([
      { name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47 },
    ]);
    const f = family(DOC_EXAMPLE, 'something_weird');
    expect(f.help).toBeUndefined();
    expect(f.samples).toEqual([
      {
        name: 'something_weird',
        labels: { problem: 'division by zero' },
        value: Number.POSITIVE_INFINITY,
        timestampMs: -3982045,
      },
    ]);
  });

  it('groups histogram buckets, sum and count into one family', () => {
    const f = family(DOC_EXAMPLE, 'http_request_duration_seconds');
    expect(f.help).toBe('A histogram of the request duration.');
    expect(f.samples).toHaveLength(8);
    const buckets = f.samples.filter((s) => s.name === 'http_request_duration_seconds_bucket');
    expect(buckets.map((s) => [s.labels.le, s.value])).toEqual([
      ['0.05', 24054],
      ['0.1', 33444],
      ['0.2', 100392],
      ['0.5', 129389],
      ['1', 133988],
      ['+Inf', 144320],
    ]);
    expect(f.samples.find((s) => s.name === 'http_request_duration_seconds_sum')?.value).toBe(53423);
    expect(f.samples.find((s) => s.name === 'http_request_duration_seconds_count')?.value).toBe(144320);
  });

  it('groups summary quantiles, sum and count into one family', () => {
    const f = family(DOC_EXAMPLE, 'rpc_duration_seconds');
    expect(f.help).toBe('A summary of the RPC duration in seconds.');
    expect(f.samples.map((s) => [s.name, s.labels.quantile, s.value])).toEqual([
      ['rpc_duration_seconds', '0.01', 3102],
      ['rpc_duration_seconds', '0.05', 3272],
      ['rpc_duration_seconds', '0.5', 4773],
      ['rpc_duration_seconds', '0.9', 9001],
      ['rpc_duration_seconds', '0.99', 76656],
      ['rpc_duration_seconds_sum', undefined, 1.7560473e7],
      ['rpc_duration_seconds_count', undefined, 2693],
    ]);
  });
});

describe('parsePrometheusText: values, escaping and layout', () => {
  it('reads NaN, +Inf, -Inf and exponent forms', () => {
    const { families, errors } = parsePrometheusText('a NaN\nb +Inf\nc -Inf\nd -1.5e-3\ne .5\nf Inf\n');
    expect(errors).toEqual([]);
    const values = families.map((f) => f.samples[0]?.value);
    expect(Number.isNaN(values[0])).toBe(true);
    expect(values.slice(1)).toEqual([
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0.0015,
      0.5,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it('unescapes only \\\\ and \\n in HELP and keeps other backslashes', () => {
    const f = family('# HELP m Line one\\nC:\\\\dir \\t kept\n# TYPE m gauge\nm 1\n', 'm');
    expect(f.help).toBe('Line one\nC:\\dir \\t kept');
  });

  it('keeps a quote unescaped in HELP and allows an empty HELP', () => {
    expect(family('# HELP m say "hi"\nm 1', 'm').help).toBe('say "hi"');
    expect(family('# HELP m\nm 1', 'm').help).toBe('');
  });

  it('accepts commas, braces and # inside label values, a trailing comma and empty braces', () => {
    const { families, errors } = parsePrometheusText('m{a="x,y}",b="#c",} 1\nn{} 2\n');
    expect(errors).toEqual([]);
    expect(families[0]?.samples[0]?.labels).toEqual({ a: 'x,y}', b: '#c' });
    expect(families[1]?.samples[0]).toEqual({ name: 'n', labels: {}, value: 2 });
  });

  it('ignores comments and blank lines, accepts CRLF, tabs and no trailing newline', () => {
    const text =
      '# just a comment\r\n\r\n  \t\r\n# HELPER not help\r\nm{a="1"}\t 3 \t 17\r\n#TYPE n gauge\nn 4';
    const { families, errors } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect(families).toEqual([
      { name: 'm', type: 'untyped', samples: [{ name: 'm', labels: { a: '1' }, value: 3, timestampMs: 17 }] },
      { name: 'n', type: 'gauge', samples: [{ name: 'n', labels: {}, value: 4 }] },
    ]);
  });

  it('returns nothing for empty input', () => {
    expect(parsePrometheusText('')).toEqual({ families: [], errors: [] });
  });

  it('keeps a family that has HELP and TYPE but no samples', () => {
    expect(parsePrometheusText('# HELP x Nothing yet.\n# TYPE x counter\n').families).toEqual([
      { name: 'x', type: 'counter', help: 'Nothing yet.', samples: [] },
    ]);
  });

  it('does not let a counter claim _sum or _count names', () => {
    const { families } = parsePrometheusText('# TYPE c counter\nc 1\nc_count 2\n');
    expect(families.map((f) => f.name)).toEqual(['c', 'c_count']);
  });
});
