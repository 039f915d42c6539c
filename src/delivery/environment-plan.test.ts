import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../config/errors.js';
import { loadConfigFromString } from '../config/parse.js';
import { DEFAULT_ANALYSIS } from './analysis/config.js';
import { planEnvironments } from './environment-plan.js';
import type { StrategyConfig } from './types.js';

const config = (environment: string) => `project: shop
pipeline:
  jobs:
    build: { run: "true" }
services:
  web:
    run: node server.js
environments:
  production:
    listen: 18080
${environment
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
`;

function strategyOf(environment: string): StrategyConfig {
  const loaded = loadConfigFromString(config(environment), 'tandem.yaml');
  const [plan] = planEnvironments(loaded, { env: {}, secrets: undefined });
  return plan!.strategy;
}

function issuesOf(environment: string): ConfigIssue[] {
  try {
    strategyOf(environment);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('environment plan: verify and analysis for rolling and blue-green', () => {
  it('rolling with verify and analysis: both resolved into the strategy', () => {
    const s = strategyOf('verify: 2m\nanalysis: { interval: 2s, errorRate: { max: 1% } }');
    expect(s).toEqual({
      name: 'rolling',
      maxSurge: 1,
      maxUnavailable: 0,
      progressDeadlineMs: 120_000,
      verifyMs: 120_000,
      analysis: { ...DEFAULT_ANALYSIS, intervalMs: 2_000, errorRate: { max: 0.01 } },
    });
  });

  it('rolling with verify alone gets the default analysis (request counts, no gate)', () => {
    const s = strategyOf('verify: 30s');
    expect(s).toMatchObject({ name: 'rolling', verifyMs: 30_000, analysis: { ...DEFAULT_ANALYSIS } });
  });

  it('rolling with analysis but no verify is refused: there would be nothing to analyse', () => {
    const issues = issuesOf('analysis: { errorRate: { max: 1% } }');
    expect(issues.map((i) => i.message)).toEqual([
      '`analysis` with `strategy: rolling` runs after the rollout for `verify`; add how long, e.g. `verify: 2m`',
    ]);
    expect(issues[0]!.path).toEqual(['environments', 'production', 'analysis']);
  });

  it('blue-green with analysis analyses the bake window; verify is added when set', () => {
    expect(strategyOf('strategy: blue-green\nanalysis: { p95: { max: 300ms } }')).toEqual({
      name: 'blue-green',
      scaleDownDelayMs: 30_000,
      progressDeadlineMs: 120_000,
      analysis: { ...DEFAULT_ANALYSIS, p95: { max: 300 } },
    });
    expect(strategyOf('strategy: blue-green\nscaleDownDelay: 10s\nverify: 1m')).toEqual({
      name: 'blue-green',
      scaleDownDelayMs: 10_000,
      progressDeadlineMs: 120_000,
      verifyMs: 60_000,
      analysis: { ...DEFAULT_ANALYSIS, errorRate: { max: 0.01 } },
    });
  });

  it('without verify or analysis the strategies are as before', () => {
    expect(strategyOf('strategy: rolling')).toEqual({
      name: 'rolling',
      maxSurge: 1,
      maxUnavailable: 0,
      progressDeadlineMs: 120_000,
    });
    expect(strategyOf('strategy: blue-green')).toEqual({
      name: 'blue-green',
      scaleDownDelayMs: 30_000,
      progressDeadlineMs: 120_000,
    });
  });

  it('verify on a canary is refused with what to use instead', () => {
    const issues = issuesOf('strategy: canary\nverify: 1m');
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      [
        ['environments', 'production', 'verify'],
        '`verify` is for `strategy: rolling` and `blue-green`; a canary is analysed at each step with `analysis`',
      ],
    ]);
  });

  it('verify must be a duration', () => {
    const issues = issuesOf('verify: soon');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toEqual(['environments', 'production', 'verify']);
  });

  it('invalid analysis values are reported for rolling and blue-green too', () => {
    const issues = issuesOf('strategy: blue-green\nanalysis: { interval: 500ms }');
    expect(issues.map((i) => i.message).join('\n')).toMatch(/interval must be at least 1s/);
  });
});

describe('environment plan: sticky', () => {
  const planOf = (environment: string) =>
    planEnvironments(loadConfigFromString(config(environment), 'tandem.yaml'), {
      env: {},
      secrets: undefined,
    })[0]!;

  it('is off by default and on with `sticky: true`', () => {
    expect(planOf('strategy: canary').sticky).toBe(false);
    expect(planOf('strategy: canary\nsticky: true').sticky).toBe(true);
    expect(planOf('sticky: false').sticky).toBe(false);
  });

  it('must be a boolean', () => {
    expect(() => planOf('sticky: yes please')).toThrow(/sticky/);
  });
});
