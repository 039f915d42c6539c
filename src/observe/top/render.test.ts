import { describe, expect, it } from 'vitest';
import { formatUptime, renderTop } from './render.js';
import type { TopSnapshot } from './types.js';

const MB = 1024 * 1024;

/** Two services in one environment: one idle (no data), one autoscaled, short of a replica, with a crash-looping instance. */
const EXAMPLE: TopSnapshot = {
  at: Date.UTC(2025, 0, 2, 12, 0, 5),
  windowMs: 60_000,
  environments: [
    {
      name: 'production',
      services: [
        {
          name: 'api',
          replicas: { running: 1, healthy: 1, desired: 1 },
          rps: null,
          errorPct: null,
          p95Ms: null,
          cpuPct: null,
          rssBytes: null,
          autoscale: null,
          instances: [
            {
              id: 'production-api-9c1d0e2f',
              revision: 'r3-ab12cd3',
              state: 'running',
              healthy: true,
              rps: null,
              errorPct: null,
              p95Ms: null,
              cpuPct: null,
              rssBytes: null,
              restarts: 0,
              uptimeMs: 45_000,
            },
          ],
        },
        {
          name: 'web',
          replicas: { running: 2, healthy: 1, desired: 3 },
          rps: 120.5,
          errorPct: 6.25,
          p95Ms: 45.2,
          cpuPct: 18.4,
          rssBytes: 220 * MB,
          autoscale: { min: 2, max: 6, lastDecision: 'scale up: rps 180/100 per instance' },
          instances: [
            {
              id: 'production-web-4f2a7b7c',
              revision: 'r4-0c0ffee',
              state: 'running',
              healthy: true,
              rps: 80.25,
              errorPct: 0.5,
              p95Ms: 1250,
              cpuPct: 12.04,
              rssBytes: 110 * MB,
              restarts: 0,
              uptimeMs: 3 * 3600_000 + 5 * 60_000,
            },
            {
              id: 'production-web-77b0e1d2',
              revision: 'r4-0c0ffee',
              state: 'crashlooping',
              healthy: false,
              rps: 0,
              errorPct: null,
              p95Ms: null,
              cpuPct: null,
              rssBytes: null,
              restarts: 4,
              uptimeMs: 2_000,
            },
          ],
        },
      ],
    },
  ],
};

const lines = (...l: string[]) => `${l.join('\n')}\n`;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what is stripped
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

describe('renderTop', () => {
  it('draws every column on a wide terminal', () => {
    expect(renderTop(EXAMPLE, { width: 120, color: false })).toBe(
      lines(
        'tandem top · 12:00:05 UTC · window 1m · 1 environment, 2 services, 3 instances',
        '',
        'production',
        'NAME                      REVISION   STATE      REPL   REQ/S   ERR%    P95   CPU%  RSS MB RESTARTS  UPTIME',
        'api                       r3-ab12cd3             1/1       -      -      -      -       -',
        '  production-api-9c1d0e2f r3-ab12cd3 running               -      -      -      -       -        0     45s',
        'web                       r4-0c0ffee auto 2-6    2/3     121   6.3%   45ms   18.4     220',
        '  autoscaler: scale up: rps 180/100 per instance',
        '  production-web-4f2a7b7c r4-0c0ffee running            80.3   0.5%   1.3s   12.0     110        0   3h05m',
        '  production-web-77b0e1d2 r4-0c0ffee crashloop           0.0      -      -      -       -        4      2s',
      ),
    );
  });

  it('drops the least useful columns first on an 80-column terminal', () => {
    expect(renderTop(EXAMPLE, { width: 80, color: false })).toBe(
      lines(
        'tandem top · 12:00:05 UTC · window 1m · 1 environment, 2 services, 3 instances',
        '',
        'production',
        'NAME                      STATE      REPL   REQ/S   ERR%    P95   CPU%  RSS MB',
        'api                                   1/1       -      -      -      -       -',
        '  production-api-9c1d0e2f running               -      -      -      -       -',
        'web                       auto 2-6    2/3     121   6.3%   45ms   18.4     220',
        '  autoscaler: scale up: rps 180/100 per instance',
        '  production-web-4f2a7b7c running            80.3   0.5%   1.3s   12.0     110',
        '  production-web-77b0e1d2 crashloop           0.0      -      -      -       -',
      ),
    );
  });

  it('cuts lines on a narrow terminal instead of wrapping them', () => {
    const text = renderTop(EXAMPLE, { width: 40, color: false });
    expect(text).toBe(
      lines(
        'tandem top · 12:00:05 UTC · window 1m ·…',
        '',
        'production',
        'NAME                      STATE      RE…',
        'api                                   1…',
        '  production-api-9c1d0e2f running      …',
        'web                       auto 2-6    2…',
        '  autoscaler: scale up: rps 180/100 per…',
        '  production-web-4f2a7b7c running      …',
        '  production-web-77b0e1d2 crashloop    …',
      ),
    );
    for (const width of [1, 5, 17, 33, 61, 79]) {
      for (const line of renderTop(EXAMPLE, { width, color: true }).split('\n')) {
        expect(stripAnsi(line).length).toBeLessThanOrEqual(width);
      }
    }
  });

  it('colours only what the plain text shows, and only when asked', () => {
    const plain = renderTop(EXAMPLE, { width: 120, color: false });
    const coloured = renderTop(EXAMPLE, { width: 120, color: true });
    expect(plain).not.toContain('\u001b');
    expect(stripAnsi(coloured)).toBe(plain);
    expect(coloured).toContain('\u001b[31m6.3%\u001b[0m');
    expect(coloured).toContain('\u001b[31mcrashloop\u001b[0m');
    expect(coloured).toContain('\u001b[33m2/3\u001b[0m');
    expect(coloured).toContain('\u001b[32mrunning\u001b[0m');
    expect(coloured).toContain('\u001b[33m4\u001b[0m');
  });

  it('marks a running instance failing its health check as unhealthy', () => {
    const sick: TopSnapshot = structuredClone(EXAMPLE);
    sick.environments[0]!.services[0]!.instances[0]!.healthy = false;
    expect(renderTop(sick, { width: 80, color: false })).toContain('  production-api-9c1d0e2f unhealthy');
  });

  it('says so when nothing runs', () => {
    expect(renderTop({ at: EXAMPLE.at, windowMs: null, environments: [] }, { width: 80, color: false })).toBe(
      lines(
        'tandem top · 12:00:05 UTC · 0 environments, 0 services, 0 instances',
        'no services running (start them with `tandem up`)',
      ),
    );
  });
});

describe('formatUptime', () => {
  it('uses the two largest units', () => {
    expect(formatUptime(999)).toBe('0s');
    expect(formatUptime(59_999)).toBe('59s');
    expect(formatUptime(12 * 60_000 + 30_000)).toBe('12m');
    expect(formatUptime(3 * 3600_000 + 5 * 60_000)).toBe('3h05m');
    expect(formatUptime(50 * 3600_000)).toBe('2d02h');
  });
});
