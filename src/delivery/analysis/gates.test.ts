import { describe, expect, it } from 'vitest';
import { type AnalysisInput, resolveAnalysis } from './config.js';
import { evaluate } from './gates.js';
import type { AnalysisConfig, WindowStats } from './types.js';

const AT = 1_700_000_000_000;
const WINDOW = 10_000;

function config(partial: AnalysisInput): AnalysisConfig {
  const resolved = resolveAnalysis(partial);
  if (!resolved.ok) throw new Error(resolved.problems.join('; '));
  return resolved.config;
}

/** A healthy window with plenty of traffic, unless overridden. */
function window(partial: Partial<WindowStats> = {}): WindowStats {
  return { requests: 500, errorRate: 0, p50Ms: 20, p95Ms: 50, p99Ms: 80, ...partial };
}

describe('too little canary traffic', () => {
  const gates = config({ minRequests: 50, errorRate: { max: 0.01 }, p95: { max: 300 } });

  it('is inconclusive and says how many requests of how many came', () => {
    const m = evaluate(gates, window({ requests: 12 }), window(), AT, WINDOW);
    expect(m.verdict).toBe('inconclusive');
    expect(m.reasons).toEqual(['too little traffic: canary got 12 of the 50 requests needed in 10s']);
  });

  it('never fails on thin evidence, however bad it looks', () => {
    const m = evaluate(gates, window({ requests: 12, errorRate: 1, p95Ms: 5000 }), window(), AT, WINDOW);
    expect(m.verdict).toBe('inconclusive');
  });

  it('never passes on thin evidence, however good it looks', () => {
    expect(
      evaluate(gates, window({ requests: 0, p50Ms: null, p95Ms: null, p99Ms: null }), null, AT, WINDOW)
        .verdict,
    ).toBe('inconclusive');
  });

  it('judges a window with exactly minRequests requests', () => {
    expect(evaluate(gates, window({ requests: 50 }), window(), AT, WINDOW).verdict).toBe('pass');
  });
});

describe('absolute gates', () => {
  it('fails an error rate above errorRate.max', () => {
    const m = evaluate(config({ errorRate: { max: 0.01 } }), window({ errorRate: 0.31 }), null, AT, WINDOW);
    expect(m.verdict).toBe('fail');
    expect(m.reasons).toEqual(['error rate 31.0% > max 1.0%']);
  });

  it('passes an error rate equal to errorRate.max', () => {
    expect(
      evaluate(config({ errorRate: { max: 0.01 } }), window({ errorRate: 0.01 }), null, AT, WINDOW).verdict,
    ).toBe('pass');
  });

  it('prints enough decimals that a value just above the limit does not read as equal to it', () => {
    const m = evaluate(config({ errorRate: { max: 0.01 } }), window({ errorRate: 0.0104 }), null, AT, WINDOW);
    expect(m.reasons).toEqual(['error rate 1.04% > max 1.0%']);
  });

  it('fails a percentile above its max, in ms', () => {
    const m = evaluate(config({ p95: { max: 300 } }), window({ p95Ms: 412.3 }), null, AT, WINDOW);
    expect(m.verdict).toBe('fail');
    expect(m.reasons).toEqual(['p95 412ms > max 300ms']);
  });

  it('checks p50 and p99 too, and lists every gate that failed', () => {
    const m = evaluate(
      config({ errorRate: { max: 0.05 }, p50: { max: 100 }, p99: { max: 1000 } }),
      window({ errorRate: 0.2, p50Ms: 150, p99Ms: 2500 }),
      null,
      AT,
      WINDOW,
    );
    expect(m.verdict).toBe('fail');
    expect(m.reasons).toEqual([
      'error rate 20.0% > max 5.0%',
      'p50 150ms > max 100ms',
      'p99 2500ms > max 1000ms',
    ]);
  });

  it('passes a window under every limit, with nothing to report', () => {
    const m = evaluate(config({ errorRate: { max: 0.01 }, p95: { max: 300 } }), window(), null, AT, WINDOW);
    expect(m).toEqual({
      at: AT,
      windowMs: WINDOW,
      verdict: 'pass',
      canary: window(),
      stable: null,
      reasons: [],
    });
  });
});

describe('relative gates (against stable over the same window)', () => {
  it('fails an error rate more than errorRate.maxIncrease points above stable', () => {
    const m = evaluate(
      config({ errorRate: { maxIncrease: 0.01 } }),
      window({ errorRate: 0.31 }),
      window({ errorRate: 0.005 }),
      AT,
      WINDOW,
    );
    expect(m.verdict).toBe('fail');
    expect(m.reasons).toEqual([
      "error rate 31.0% is 30.5 points above stable's 0.5% > max increase 1.0 points",
    ]);
  });

  it("tolerates a service's usual error rate, which an absolute 1% gate would not", () => {
    const m = evaluate(
      config({ errorRate: { maxIncrease: 0.01 } }),
      window({ errorRate: 0.055 }),
      window({ errorRate: 0.05 }),
      AT,
      WINDOW,
    );
    expect(m.verdict).toBe('pass');
  });

  it('passes an increase equal to the limit despite floating-point noise (0.07 - 0.01)', () => {
    const m = evaluate(
      config({ errorRate: { maxIncrease: 0.06 } }),
      window({ errorRate: 0.07 }),
      window({ errorRate: 0.01 }),
      AT,
      WINDOW,
    );
    expect(m.verdict).toBe('pass');
  });

  it('fails a percentile more than maxRatio times stable’s', () => {
    const m = evaluate(
      config({ p95: { maxRatio: 2 } }),
      window({ p95Ms: 412 }),
      window({ p95Ms: 130 }),
      AT,
      WINDOW,
    );
    expect(m.verdict).toBe('fail');
    expect(m.reasons).toEqual(["p95 412ms is 3.2× stable's 130ms > 2×"]);
  });

  it('passes a percentile exactly maxRatio times stable’s, and shows two decimals just above it', () => {
    const gates = config({ p95: { maxRatio: 2 } });
    expect(evaluate(gates, window({ p95Ms: 260 }), window({ p95Ms: 130 }), AT, WINDOW).verdict).toBe('pass');
    expect(evaluate(gates, window({ p95Ms: 204 }), window({ p95Ms: 100 }), AT, WINDOW).reasons).toEqual([
      "p95 204ms is 2.04× stable's 100ms > 2×",
    ]);
  });
});

describe('relative latency gates at millisecond latencies', () => {
  const gates = config({ p95: { maxRatio: 2 } });

  it('do not fail a healthy canary on noise below the 10 ms floor (3 ms against 1.5 ms)', () => {
    // Seen live: a healthy canary aborted by `p95: { maxRatio: 2 }` at these values.
    const m = evaluate(gates, window({ p95Ms: 3 }), window({ p95Ms: 1.5 }), AT, WINDOW);
    expect(m.verdict).toBe('pass');
    expect(evaluate(gates, window({ p95Ms: 20 }), window({ p95Ms: 1.5 }), AT, WINDOW).verdict).toBe('pass');
  });

  it('still fail a canary slower than maxRatio × the floor, and say the floor was used', () => {
    const m = evaluate(gates, window({ p95Ms: 45 }), window({ p95Ms: 2 }), AT, WINDOW);
    expect(m.verdict).toBe('fail');
    expect(m.reasons).toEqual(["p95 45ms is 4.5× the 10ms floor (stable's 2ms is below it) > 2×"]);
  });

  it('compare stable itself from the floor up (21 ms against 10 ms fails)', () => {
    const m = evaluate(gates, window({ p95Ms: 21 }), window({ p95Ms: 10 }), AT, WINDOW);
    expect(m.reasons).toEqual(["p95 21ms is 2.1× stable's 10ms > 2×"]);
  });
});

describe('relative gates when stable has too little traffic', () => {
  const mixed = config({ minRequests: 50, errorRate: { max: 0.01 }, p95: { maxRatio: 2 } });
  const quietStable = window({ requests: 10, p95Ms: 10 });

  it('skips them with a reason, and the absolute gates decide: pass', () => {
    const m = evaluate(mixed, window({ p95Ms: 400 }), quietStable, AT, WINDOW);
    expect(m.verdict).toBe('pass');
    expect(m.reasons).toEqual(['relative gates skipped: stable got 10 of the 50 requests needed']);
  });

  it('skips them with a reason, and the absolute gates decide: fail', () => {
    const m = evaluate(mixed, window({ errorRate: 0.3 }), quietStable, AT, WINDOW);
    expect(m.verdict).toBe('fail');
    expect(m.reasons).toEqual([
      'error rate 30.0% > max 1.0%',
      'relative gates skipped: stable got 10 of the 50 requests needed',
    ]);
  });

  it('is inconclusive when only relative gates are configured', () => {
    const relativeOnly = config({ errorRate: { maxIncrease: 0.01 }, p95: { maxRatio: 2 } });
    const m = evaluate(relativeOnly, window({ errorRate: 0.3 }), quietStable, AT, WINDOW);
    expect(m.verdict).toBe('inconclusive');
    expect(m.reasons).toEqual(['relative gates skipped: stable got 10 of the 50 requests needed']);
  });

  it('is inconclusive when only relative gates are configured and there is no stable revision', () => {
    const m = evaluate(config({ errorRate: { maxIncrease: 0.01 } }), window(), null, AT, WINDOW);
    expect(m.verdict).toBe('inconclusive');
    expect(m.reasons).toEqual(['relative gates skipped: no stable revision to compare with']);
  });
});

describe('windows without latency (every canary request failed to connect)', () => {
  const unanswered = window({ errorRate: 1, p50Ms: null, p95Ms: null, p99Ms: null });

  it('fails on the error rate and notes the latency gate it could not check', () => {
    const m = evaluate(
      config({ errorRate: { max: 0.01 }, p95: { max: 300 } }),
      unanswered,
      window(),
      AT,
      WINDOW,
    );
    expect(m.verdict).toBe('fail');
    expect(m.reasons).toEqual([
      'error rate 100.0% > max 1.0%',
      'p95 gate skipped: no canary request was answered',
    ]);
  });

  it('is inconclusive when only latency gates are configured', () => {
    const m = evaluate(config({ p95: { max: 300, maxRatio: 2 } }), unanswered, window(), AT, WINDOW);
    expect(m.verdict).toBe('inconclusive');
    expect(m.reasons).toEqual([
      'p95 gate skipped: no canary request was answered',
      'p95 relative gate skipped: no canary request was answered',
    ]);
  });
});

describe('no gate configured', () => {
  it('passes on the request count alone, and says so', () => {
    const m = evaluate(config({}), window({ errorRate: 0.5 }), null, AT, WINDOW);
    expect(m.verdict).toBe('pass');
    expect(m.reasons).toEqual(['no gates configured: only the request count was checked']);
  });
});

it('records when, over how long, and both windows', () => {
  const canary = window({ requests: 120 });
  const stable = window({ requests: 480 });
  expect(evaluate(config({ errorRate: { max: 0.01 } }), canary, stable, AT, 2_000)).toMatchObject({
    at: AT,
    windowMs: 2_000,
    canary,
    stable,
  });
});
