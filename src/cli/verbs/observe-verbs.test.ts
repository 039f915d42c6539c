import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failure } from '../../../test/helpers/failure.js';
import { IncidentOps } from '../../control/incident-ops.js';
import { createObserveHandler } from '../../server/observe-routes.js';
import { openStoreAt } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { ControlClient } from '../control-client.js';
import { colors } from '../output.js';
import { alertsList, registerAlerts } from './alerts.js';
import { incidentList, incidentResolve, incidentShow, registerIncident, table } from './incident.js';
import { registerSilence, silenceAdd, silenceExpire, silenceList } from './silence.js';

const HOUR = 3_600_000;

let store: Store;
let server: Server;
let url: string;
let client: ControlClient;
let now: number;

beforeEach(async () => {
  store = await openStoreAt(':memory:');
  now = Date.now();
  const ops = new IncidentOps({ store, clock: { now: () => now } });
  const handler = createObserveHandler(ops, { principal: 'tester', roles: ['operator'] });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new ControlClient(url);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise((resolve) => server.close(resolve));
  await store.close();
});

const openIncident = (service: string, releases: string[] = []) =>
  store.incidents.open({
    environment: 'production',
    service,
    title: `${service}-errors: error_rate 31% > 5%`,
    severity: 'page',
    cause: { kind: 'alert', ref: `fp-${service}` },
    releases,
    suspects: releases.slice(0, 1),
    at: new Date(now - HOUR),
  });

describe('tandem incident', () => {
  it('lists open incidents by default, all with --all, JSON with --json', async () => {
    await openIncident('web');
    await openIncident('api');
    await store.incidents.resolve('inc-2', 'ada', null, new Date(now - HOUR / 2));

    const open = await incidentList(client, {});
    const lines = open.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+WHERE\s+SEVERITY\s+OPENED\s+TITLE$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^inc-1\s+open\s+production\/web\s+page\s+1h ago\s+web-errors/),
    ]);

    const all = await incidentList(client, { all: true });
    expect(all).toMatch(/inc-2\s+resolved\s+production\/api\s+page\s+1h ago, for 30m/);
    expect(await incidentList(client, { service: 'nope' })).toBe(
      'no open incidents (--all shows resolved ones)\n',
    );

    const json = JSON.parse(await incidentList(client, { all: true, environment: 'production', json: true }));
    expect(json.incidents.map((i: { id: string }) => i.id)).toEqual(['inc-2', 'inc-1']);
  });

  it('shows an incident with its releases, alerts and timeline, then resolves it once', async () => {
    await openIncident('web', ['r2-bbbbbbb', 'r1-aaaaaaa']);
    const shown = await incidentShow(client, '1', {});
    expect(shown).toContain('inc-1  open  page  production/web');
    expect(shown).toMatch(
      /Releases\n {2}r2-bbbbbbb {2}\(not in the store\) {2}suspect\n {2}r1-aaaaaaa {2}\(not in the store\)\n/,
    );
    expect(shown).toMatch(/Alerts\n {2}fp-web {2}\(gone\)\n/);
    expect(shown).toMatch(
      /Timeline\n {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}opened {2}releases r2-bbbbbbb, r1-aaaaaaa\n$/,
    );

    expect(await incidentResolve(client, 'inc-1', { note: 'rolled back' })).toBe(
      'inc-1: resolved after 1h\n',
    );
    const again = await failure(incidentResolve(client, 'inc-1', {}));
    expect([again.code, again.exitCode]).toEqual(['TANDEM_INCIDENT_RESOLVED', 1]);
    const detail = JSON.parse(await incidentShow(client, 'inc-1', { json: true }));
    expect(detail.incident).toMatchObject({
      state: 'resolved',
      resolvedBy: 'tester',
      resolution: 'rolled back',
    });
    expect(await incidentShow(client, 'inc-1', {})).toMatch(
      /resolved .* by tester, after 1h\n {2}note {6}rolled back/,
    );

    const missing = await failure(incidentShow(client, 'inc-5', {}));
    expect([missing.code, missing.exitCode]).toEqual(['TANDEM_INCIDENT_NOT_FOUND', 2]);
  });
});

describe('tandem silence', () => {
  it('adds (printing only the id), lists and expires silences', async () => {
    const out = await silenceAdd(client, ['service=web', 'alertname=~web-.*'], {
      comment: 'db work',
      duration: '2h',
    });
    const id = out.trim();
    expect(out).toMatch(/^sil-[0-9a-f]{8}\n$/);

    const listed = await silenceList(client, {});
    expect(listed).toMatch(/^ID\s+STATE\s+MATCHERS\s+ENDS\s+BY\s+COMMENT\n/);
    // The CLI reads the real clock a moment after the server's: 2h, or a hair under on a slow machine.
    expect(listed).toMatch(
      new RegExp(`${id}  active  service=web alertname=~web-\\.\\*  in (2h|1h59m)\\s+tester  db work`),
    );

    expect(await silenceExpire(client, id, {})).toBe(`${id}: expired\n`);
    expect(await silenceList(client, {})).toBe('no active silences (--all shows expired ones)\n');
    expect(await silenceList(client, { all: true })).toMatch(new RegExp(`${id}\\s+expired`));
    const json = JSON.parse(await silenceList(client, { all: true, json: true }));
    expect(json.silences[0]).toMatchObject({ id, state: 'expired', expiredBy: 'tester' });
  });

  it('refuses bad matchers, durations and flags with exit 2', async () => {
    const bad = await failure(silenceAdd(client, ['web'], { comment: 'x' }));
    expect([bad.code, bad.exitCode]).toEqual(['TANDEM_MATCHER_INVALID', 2]);
    expect(bad.message).toContain('service=web');
    const long = await failure(silenceAdd(client, ['service=web'], { comment: 'x', duration: '40d' }));
    expect([long.code, long.exitCode]).toEqual(['TANDEM_SILENCE_INVALID', 2]);
    const both = await failure(
      silenceAdd(client, ['service=web'], { comment: 'x', duration: '1h', until: '2099-01-01T00:00:00Z' }),
    );
    expect([both.code, both.exitCode]).toEqual(['TANDEM_USAGE', 2]);
    const unknown = await failure(silenceExpire(client, 'sil-nope', {}));
    expect([unknown.code, unknown.exitCode]).toEqual(['TANDEM_SILENCE_NOT_FOUND', 2]);
  });
});

describe('tandem alerts', () => {
  it('shows active alerts with value, since, severity and silence; inactive ones only with --all', async () => {
    await store.alertStates.saveAll([
      {
        fingerprint: 'fp-web',
        rule: 'web-errors',
        environment: 'production',
        service: 'web',
        state: 'firing',
        record: {
          labels: { severity: 'page' },
          value: 0.31234,
          since: new Date(now - 5 * 60_000).toISOString(),
        },
      },
      {
        fingerprint: 'fp-api',
        rule: 'api-latency',
        environment: 'production',
        service: 'api',
        state: 'inactive',
        record: { labels: { severity: 'ticket' }, since: new Date(now - HOUR).toISOString() },
      },
    ]);
    const id = (await silenceAdd(client, ['service=web'], { comment: 'x' })).trim();

    const text = await alertsList(client, {});
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^STATE\s+ALERT\s+WHERE\s+VALUE\s+SINCE\s+SEVERITY\s+SILENCED$/),
      `firing  web-errors  production/web  0.3123  5m ago  page      ${id}`,
      '1 inactive alert not shown (--all)',
      '',
    ]);
    const all = await alertsList(client, { all: true });
    expect(all).toMatch(/inactive\s+api-latency\s+production\/api\s+-\s+1h ago\s+ticket\s+-/);
    const json = JSON.parse(await alertsList(client, { json: true }));
    expect(json.alerts.map((a: { fingerprint: string }) => a.fingerprint)).toEqual(['fp-web', 'fp-api']);
  });
});

describe('the registered verbs', () => {
  const program = () => {
    const p = new Command('tandem').option('--config <file>').option('--json').exitOverride();
    registerIncident(p);
    registerSilence(p);
    registerAlerts(p);
    return p;
  };

  /** Runs `tandem ...args` in-process with TANDEM_URL set; returns exit code and output. */
  async function run(args: string[], tandemUrl: string) {
    let stdout = '';
    let stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    vi.stubEnv('TANDEM_URL', tandemUrl);
    const saved = process.exitCode;
    try {
      await program().parseAsync(args, { from: 'user' });
      return { code: process.exitCode, stdout, stderr };
    } finally {
      process.exitCode = saved;
      vi.unstubAllEnvs();
      vi.restoreAllMocks();
    }
  }

  it('parse their options, print JSON with --json and exit 2 on a bad silence', async () => {
    await openIncident('web');
    const list = await run(['incident', 'list', '--json'], url);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).incidents[0].id).toBe('inc-1');

    const added = await run(
      ['silence', 'add', 'service=web', 'severity!=info', '--comment', 'x', '--duration', '30m'],
      url,
    );
    expect([added.code, added.stderr]).toEqual([0, '']);
    expect(added.stdout).toMatch(/^sil-[0-9a-f]{8}\n$/);

    const bad = await run(['silence', 'add', 'nope', '--comment', 'x'], url);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^tandem: "nope" is not a matcher/);

    const resolved = await run(['incident', 'resolve', 'inc-1', '--note', 'done'], url);
    expect([resolved.code, resolved.stdout]).toEqual([0, 'inc-1: resolved after 1h\n']);
  });

  it('exit 3 when the control plane cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    for (const args of [['alerts'], ['incident', 'list'], ['silence', 'list', '--json']]) {
      const res = await run(args, `http://127.0.0.1:${port}`);
      expect(res.code, args.join(' ')).toBe(3);
    }
    const res = await run(['alerts'], `http://127.0.0.1:${port}`);
    expect(res.stderr).toContain('cannot reach the control plane');
  });
});

describe('table', () => {
  it('aligns columns by their visible width, colour codes aside', () => {
    const c = colors(true);
    expect(
      table(
        ['A', 'B', 'C'],
        [
          [c.red('firing'), 'x', 'last'],
          ['ok', 'long value', ''],
        ],
        // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
      ).replace(/\u001b\[[0-9;]*m/g, ''),
    ).toBe('A       B           C\nfiring  x           last\nok      long value\n');
  });
});
