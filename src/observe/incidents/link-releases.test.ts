import { describe, expect, it } from 'vitest';
import { type LinkableDeployment, linkReleases } from './link-releases.js';

const H = 60 * 60 * 1000;
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

function dep(
  id: string,
  release: string,
  startOffset: number,
  finishOffset: number | null,
  state: LinkableDeployment['state'] = 'succeeded',
  extra: Partial<LinkableDeployment> = {},
): LinkableDeployment {
  return {
    id,
    environment: 'production',
    release,
    state,
    startedAt: at(startOffset),
    finishedAt: finishOffset === null ? null : at(finishOffset),
    ...extra,
  };
}

const window = (fromOffset: number, toOffset: number) => ({
  from: new Date(NOW + fromOffset),
  to: new Date(NOW + toOffset),
});

describe('linkReleases', () => {
  it('links the release running at the start, a suspect when deployed within the lookback', () => {
    const deployments = [
      dep('d1', 'r1-aaaaaaa', -10 * H, -10 * H + 60_000),
      dep('d2', 'r2-bbbbbbb', -2 * H, -2 * H + 60_000),
    ];
    const linked = linkReleases(window(0, H), deployments, 'production');
    expect(linked).toEqual({
      releases: ['r2-bbbbbbb'],
      suspects: ['r2-bbbbbbb'],
      links: [{ deployment: 'd2', release: 'r2-bbbbbbb', relation: 'running', suspect: true }],
    });
  });

  it('links an old running release for context but does not blame it (DevLake #8150)', () => {
    const linked = linkReleases(
      window(0, H),
      [dep('d1', 'r1-aaaaaaa', -72 * H, -72 * H + 1000)],
      'production',
    );
    expect(linked.releases).toEqual(['r1-aaaaaaa']);
    expect(linked.suspects).toEqual([]);
    // A shorter lookback makes a 2h-old deployment old too.
    const short = linkReleases(window(0, H), [dep('d1', 'r1-aaaaaaa', -2 * H, -2 * H + 1000)], 'production', {
      lookbackMs: H,
    });
    expect(short.suspects).toEqual([]);
  });

  it('links a canary in flight at the start as a suspect, and the rollback during the incident as not', () => {
    const deployments = [
      dep('d1', 'r1-aaaaaaa', -72 * H, -72 * H + 1000),
      // Canary of r2 started 10 min before the alert; failed 5 min into the incident.
      dep('d2', 'r2-bbbbbbb', -600_000, 300_000, 'failed'),
      // The automatic rollback to r1, during the incident.
      dep('d3', 'r1-aaaaaaa', 300_000, 360_000, 'succeeded', { kind: 'rollback' }),
    ];
    const linked = linkReleases(window(0, H), deployments, 'production');
    expect(linked.links).toEqual([
      { deployment: 'd1', release: 'r1-aaaaaaa', relation: 'running', suspect: false },
      { deployment: 'd2', release: 'r2-bbbbbbb', relation: 'before', suspect: true },
      { deployment: 'd3', release: 'r1-aaaaaaa', relation: 'during', suspect: false },
    ]);
    expect(linked.releases).toEqual(['r1-aaaaaaa', 'r2-bbbbbbb']);
    expect(linked.suspects).toEqual(['r2-bbbbbbb']);
  });

  it('links a failed deployment since the running one, but not failures before it or beyond the lookback', () => {
    const deployments = [
      dep('d0', 'r0-0000000', -40 * H, -40 * H + 1000, 'failed'),
      dep('d1', 'r1-aaaaaaa', -30 * H, -30 * H + 1000),
      dep('d2', 'r2-bbbbbbb', -3 * H, -3 * H + 1000, 'failed'),
      dep('d3', 'r3-ccccccc', -2 * H, -2 * H + 1000, 'superseded'),
    ];
    const linked = linkReleases(window(0, 0), deployments, 'production');
    expect(linked.links.map((l) => [l.deployment, l.relation, l.suspect])).toEqual([
      ['d1', 'running', false],
      ['d2', 'before', true],
      ['d3', 'before', true],
    ]);
    const shortLookback = linkReleases(window(0, 0), deployments, 'production', { lookbackMs: H });
    expect(shortLookback.links.map((l) => l.deployment)).toEqual(['d1']);
  });

  it('links a progressing deployment and deployments up to the end of the window, not after', () => {
    const deployments = [
      dep('d1', 'r1-aaaaaaa', -5 * H, -5 * H + 1000),
      dep('d2', 'r2-bbbbbbb', -60_000, null, 'progressing'),
      dep('d3', 'r3-ccccccc', H, H + 1000),
      dep('d4', 'r4-ddddddd', H + 1, H + 1000),
    ];
    const linked = linkReleases(window(0, H), deployments, 'production');
    expect(linked.links.map((l) => [l.deployment, l.relation])).toEqual([
      ['d1', 'running'],
      ['d2', 'before'],
      ['d3', 'during'],
    ]);
  });

  it('ignores other environments and scale or restart deployments', () => {
    const deployments = [
      dep('d1', 'r1-aaaaaaa', -50 * H, -50 * H + 1000),
      dep('d2', 'r2-bbbbbbb', -H, -H + 1000, 'succeeded', { environment: 'staging' }),
      dep('d3', 'r1-aaaaaaa', -H, -H + 1000, 'succeeded', { kind: 'scale' }),
      dep('d4', 'r1-aaaaaaa', -H / 2, -H / 2 + 1000, 'succeeded', { kind: 'restart' }),
    ];
    const linked = linkReleases(window(0, H), deployments, 'production');
    // Without the filter the scale would make r1 look freshly deployed.
    expect(linked.links).toEqual([
      { deployment: 'd1', release: 'r1-aaaaaaa', relation: 'running', suspect: false },
    ]);
  });

  it('links nothing in an environment never deployed, and does not depend on input order', () => {
    expect(linkReleases(window(0, H), [], 'production')).toEqual({ releases: [], suspects: [], links: [] });
    const deployments = [
      dep('d2', 'r2-bbbbbbb', -2 * H, -2 * H + 1000),
      dep('d3', 'r3-ccccccc', -H, -H + 1000, 'failed'),
      dep('d1', 'r1-aaaaaaa', -10 * H, -10 * H + 1000),
    ];
    const a = linkReleases(window(0, H), deployments, 'production');
    const b = linkReleases(window(0, H), [...deployments].reverse(), 'production');
    expect(a).toEqual(b);
    expect(a.releases).toEqual(['r2-bbbbbbb', 'r3-ccccccc']);
  });
});
