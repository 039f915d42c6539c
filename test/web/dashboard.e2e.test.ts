/**
 * The dashboard end to end: Debian's Chromium (playwright-core) against a real `tandem up
 * --detach` of a temporary project: log in with the token `tandem up` wrote, watch a pipeline run
 * live, promote a canary paused for a human, and see a crashing release rolled back on the
 * service's timeline — all in one page that is never reloaded after the login.
 *
 * Screenshots are test output: they go to $TMPDIR/tandem-dashboard-e2e/ (kept after the run).
 * `TANDEM_SCREENSHOTS=docs/images npx vitest run test/web/dashboard.e2e.test.ts` also copies the
 * three used by the docs there. Skipped where Chromium is not installed (.ci/run installs it).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { type Load, startLoad } from '../helpers/load.js';
import { canaryEnvironment, projectYaml, SERVER_JS, type Status, TandemUp } from '../helpers/tandem-up.js';

const CHROMIUM = process.env.TANDEM_CHROMIUM ?? '/usr/bin/chromium';
const repo = path.resolve(import.meta.dirname, '../..');
const out = path.join(os.tmpdir(), 'tandem-dashboard-e2e');
/** Where to copy the docs' screenshots (e.g. docs/images); unset: nowhere. */
const docsDir = process.env.TANDEM_SCREENSHOTS;
const DOCS_SHOTS = ['dashboard-overview.png', 'dashboard-pipeline.png', 'dashboard-service.png'];

/**
 * While this file exists the `test` job holds after its first line (at most 30 s): the test
 * decides when it ends, so its log is seen arriving live.
 */
const HOLD = path.join(os.tmpdir(), `tandem-e2e-hold-${process.pid}`);

/** Three jobs (two in parallel, then one); `test` waits while HOLD exists. */
const PIPELINE = `pipeline:
  jobs:
    lint:
      run: |
        node -e "console.log('lint: ok')"
    test:
      run: |
        node -e "console.log('test: starting'); const t0 = Date.now(); const i = setInterval(() => { if (!require('fs').existsSync('${HOLD}') || Date.now() - t0 > 30000) { clearInterval(i); console.log('test: 12 passed'); } }, 100)"
    build:
      needs: [lint, test]
      run: |
        node -e "console.log('build: ok')"
`;

/**
 * A canary whose one step waits for a human: `pause:` written without a value holds it at 50%
 * until promoted (a step without `pause` at all moves on at once).
 */
const PROJECT = {
  replicas: 1,
  environment: canaryEnvironment({ steps: '[{ weight: 50, pause: }]', progressDeadline: '20s' }),
};

/** A release that dies at start (no instance ever becomes healthy): the canary is rolled back. */
const CRASHING = `console.error('boom: DATABASE_URL is not set, cannot start');\nprocess.exit(1);\n${SERVER_JS}`;

let t: TandemUp | undefined;
let browser: Browser | undefined;
/** One page for the whole file: after the login it is never reloaded. */
let page: Page;
let token: string;
/** A trickle of requests, so the overview and the charts have traffic to show. */
let load: Load | undefined;
let stopped = false;
const errors: string[] = [];

/** GET on the API with the local admin token (to check what the browser shows). */
async function api<T>(route: string): Promise<T> {
  const res = await fetch(new URL(`/api/v1${route}`, t!.url), {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`GET ${route}: HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function rolloutOf(): Promise<NonNullable<Status['environments'][number]['rollout']>> {
  const status = await api<Status>('/status');
  for (const env of status.environments)
    for (const s of env.services) for (const i of s.instances) t!.remember(i.pid);
  const rollout = TandemUp.web(status).env.rollout;
  if (rollout === null) throw new Error('no rollout in production');
  return rollout;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(out, name) });
}

/** The window's own marker: still there means the page was never reloaded. */
async function sameDocument(): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { __e2e?: string }).__e2e === 'same page');
}

/** Runs a CLI verb in the background; its result (or failure) is awaited later. */
function background(args: string[]): Promise<CliResult> {
  const running = t!.cli(args, { timeoutMs: 60_000 });
  running.catch(() => undefined); // awaited by the test; never an unhandled rejection meanwhile
  return running;
}

function withState(locator: Locator, state: string): Locator {
  return locator.and(page.locator(`[data-state="${state}"]`));
}

const noChromium = existsSync(CHROMIUM)
  ? ''
  : ` — skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set TANDEM_CHROMIUM)`;

describe.skipIf(noChromium !== '')(
  `the dashboard in Chromium against a real \`tandem up\` (real processes)${noChromium}`,
  () => {
    beforeAll(async () => {
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
      t = await TandemUp.create(PROJECT);
      const yaml = projectYaml(t.listenPort, PROJECT).replace(/^pipeline:\n(?: {2}.*\n)+/m, PIPELINE);
      t.commit({ 'tandem.yaml': yaml }, 'a pipeline of three jobs');
      const [launched] = await Promise.all([
        chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
        t.up(),
      ]);
      browser = launched;
      token = readFileSync(path.join(t.dir, '.tandem', 'run', 'token'), 'utf8').trim();
      page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
      // Fail with Playwright's own message, well before Vitest's test timeout.
      page.setDefaultTimeout(20_000);
      page.on('pageerror', (e) => errors.push(e.message));
    }, 60_000);

    afterAll(async () => {
      rmSync(HOLD, { force: true });
      await load?.stop();
      await browser?.close();
      if (t !== undefined) {
        if (!stopped) await t.down().catch(() => undefined);
        await t.destroy();
      }
      if (docsDir !== undefined) {
        mkdirSync(path.resolve(repo, docsDir), { recursive: true });
        for (const name of DOCS_SHOTS)
          if (existsSync(path.join(out, name)))
            copyFileSync(path.join(out, name), path.resolve(repo, docsDir, name));
      }
    }, 60_000);

    it('logs in with the token `tandem up` wrote and shows the service on the overview', async () => {
      const res = await page.goto(t!.url);
      // 503 with a message when dist/web is missing (`npm run build` builds it).
      expect(res?.status(), await res?.text()).toBe(200);
      await page.getByTestId('login-token').fill(token);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('principal').waitFor();
      await page.evaluate(() => {
        (globalThis as unknown as { __e2e: string }).__e2e = 'same page';
      });
      // The first deploy (`tandem up` deploys HEAD) ends healthy, and the overview follows it live.
      const row = page.getByTestId('overview-row-production-web');
      await row.and(page.locator('[data-health=healthy]')).waitFor({ timeout: 30_000 });
      load = startLoad({ port: t!.listenPort, concurrency: 1, gapMs: 50 });
      const release = (await rolloutOf()).release;
      await row.getByText(release, { exact: true }).waitFor();
      await withState(page.getByTestId('stream-state'), 'live').waitFor();
      await shot('overview-after-login.png');
      expect(errors).toEqual([]);
    }, 45_000);

    it('shows a new pipeline run appear and its job graph fill in, live', async () => {
      await page.getByTestId('nav-pipelines').click();
      const rows = page.locator('[data-testid^=run-row-]');
      await rows.first().waitFor();
      const before = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-testid')));
      await withState(page.getByTestId('stream-state'), 'live').waitFor();

      writeFileSync(HOLD, '');
      t!.commit({ 'server.js': `// v2\n${SERVER_JS}` }, 'v2');
      const deploy = background(['deploy', 'production', '--detach']);
      const fresh = page.locator(
        `[data-testid^=run-row-]${before.map((id) => `:not([data-testid="${id}"])`).join('')}`,
      );
      await fresh.waitFor({ timeout: 30_000 });
      await fresh.getByRole('link').click();
      await page.getByTestId('dag').waitFor();
      const nodes = page.getByTestId('dag-node');
      await expect.poll(() => nodes.count()).toBe(3);
      // The held job's log, live: its first line while it runs, the rest when it is let go.
      const test = page.locator('[data-testid=dag-node][data-job=test]');
      await page.locator('[data-testid=dag-node][data-job=test][data-status=running]').waitFor();
      await test.click();
      await page.waitForURL(/job=test/);
      const log = page.getByTestId('log-view');
      await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain('test: starting');
      await withState(page.getByTestId('log-stream-state'), 'live').waitFor();
      expect(await log.textContent()).not.toContain('test: 12 passed');
      await shot('dashboard-pipeline.png');
      rmSync(HOLD, { force: true });
      await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain('test: 12 passed');
      for (const job of ['lint', 'test', 'build'])
        await page
          .locator(`[data-testid=dag-node][data-job=${job}][data-status=passed]`)
          .waitFor({ timeout: 30_000 });
      await page.getByTestId('run-status').filter({ hasText: 'passed' }).waitFor();
      expect(await sameDocument()).toBe(true);

      const result = await deploy;
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(errors).toEqual([]);
    }, 60_000);

    it('promotes the paused canary after confirming', async () => {
      await page.getByTestId('nav-overview').click();
      await page.getByTestId('overview-row-production-web').getByRole('link', { name: 'web' }).click();
      const panel = page.getByTestId('rollout-panel');
      await withState(panel, 'paused').waitFor({ timeout: 30_000 });
      const paused = await rolloutOf();
      expect(paused.state).toBe('paused');
      await panel.getByText(paused.release, { exact: true }).first().waitFor();
      await page.getByTestId('range-15m').click();
      await page.locator('[data-testid=range-15m][aria-current=true]').waitFor();
      // The trickle of requests is on the chart (the data plane's own counts, through the API).
      await page.getByTestId('chart-rps').locator('.chart-empty').waitFor({ state: 'detached' });
      await shot('dashboard-service.png');

      await page.getByTestId('action-promote').click();
      await page.getByTestId('confirm-dialog').waitFor();
      await shot('confirm-promote.png');
      await page.getByTestId('confirm-action').click();
      await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
      await withState(panel, 'promoted').waitFor({ timeout: 30_000 });
      await page.locator('[data-testid=timeline-item][data-type="rollout.promoted"]').first().waitFor();
      const promoted = await rolloutOf();
      expect(promoted).toMatchObject({ state: 'promoted', release: paused.release });
      expect(await sameDocument()).toBe(true);
      expect(errors).toEqual([]);
    }, 60_000);

    it('shows a crashing release rolled back on the timeline', async () => {
      const good = (await rolloutOf()).release;
      t!.commit({ 'server.js': CRASHING }, 'crash at start');
      const deploy = background(['deploy', 'production', '--detach']);
      const failed = page.locator(
        '[data-testid=timeline-item][data-type^="rollout.rolled-back"], [data-testid=timeline-item][data-type="deployment.failed"]',
      );
      await failed.first().waitFor({ timeout: 45_000 });
      await withState(page.getByTestId('rollout-panel'), 'rolled-back').waitFor({ timeout: 30_000 });
      await page.getByTestId('service-release').filter({ hasText: good }).waitFor();
      expect(await sameDocument()).toBe(true);
      await shot('service-rolled-back.png');
      await page.locator('#timeline-title').evaluate((h) => h.scrollIntoView({ block: 'start' }));
      await shot('service-timeline.png');
      const rolledBack = await rolloutOf();
      expect(rolledBack.state).toBe('rolled-back');
      expect(rolledBack.release).not.toBe(good);
      // `--detach` returns once the rollout started: 0, or 1 when it had already failed by then.
      const result = await deploy;
      expect([0, 1], `${result.stdout}\n${result.stderr}`).toContain(result.code);

      // The overview tells the same story.
      await page.getByTestId('nav-overview').click();
      const row = page.getByTestId('overview-row-production-web');
      await row.and(page.locator('[data-rollout=rolled-back]')).waitFor();
      await row.getByText(good, { exact: true }).waitFor();
      await shot('dashboard-overview.png');
      expect(await sameDocument()).toBe(true);
      expect(errors).toEqual([]);
    }, 75_000);

    it('re-runs a run (a new run, even of a released commit) and starts the pipeline of a ref', async () => {
      await page.getByTestId('nav-pipelines').click();
      const newest = page.locator('[data-testid^=run-row-]').first();
      const before = await newest.getAttribute('data-testid');
      await newest.getByRole('link').click();
      await page.getByTestId('rerun').click();
      await page.waitForURL((url) => !url.pathname.endsWith((before ?? '').replace('run-row-', '')));
      await page.getByTestId('run-status').filter({ hasText: 'passed' }).waitFor({ timeout: 30_000 });
      // HEAD's release is ready already: starting it again reuses it, and says so.
      await page.getByTestId('nav-pipelines').click();
      await page.getByTestId('start-run-ref').fill('HEAD');
      await page.getByTestId('start-run').click();
      await expect
        .poll(() => page.getByTestId('announcer').textContent(), { timeout: 20_000 })
        .toMatch(/exists already/);
      expect(await sameDocument()).toBe(true);
      expect(errors).toEqual([]);
    }, 60_000);

    it('gives a teammate a token and revokes it; stores a secret without ever showing it', async () => {
      await page.getByTestId('nav-access').click();
      await page.getByTestId('token-name').fill('alice');
      await page.getByTestId('token-role').selectOption('operator');
      await page.getByTestId('token-create').click();
      const plaintext = (await page.getByTestId('token-plaintext').textContent())?.trim() ?? '';
      expect(plaintext).toMatch(/^tdm_/);
      const asAlice = () =>
        fetch(new URL('/api/v1/session', t!.url), { headers: { authorization: `Bearer ${plaintext}` } });
      expect((await (await asAlice()).json()) as unknown).toMatchObject({
        principal: { name: 'alice', roles: expect.arrayContaining(['operator']) },
      });
      const row = page.getByTestId('token-row-alice');
      await row.getByRole('button', { name: 'Revoke alice' }).click();
      await page.getByTestId('revoke-confirm').click();
      await row.waitFor({ state: 'detached' });
      expect((await asAlice()).status).toBe(401);

      await page.getByTestId('secret-name').fill('DEPLOY_TOKEN');
      await page.getByTestId('secret-value').fill('s3cr3t-value');
      await page.getByTestId('secret-save').click();
      await page.getByTestId('secret-row-DEPLOY_TOKEN').waitFor();
      await shot('access.png');
      expect(await page.content()).not.toContain('s3cr3t-value');
      const audit = await api<{ items: Array<{ action: string }> }>('/audit?limit=20');
      expect(audit.items.map((a) => a.action)).toEqual(
        expect.arrayContaining(['POST /api/v1/tokens', 'PUT /api/v1/secrets/:name']),
      );
      expect(JSON.stringify(audit)).not.toContain('s3cr3t-value');
      expect(await sameDocument()).toBe(true);
      expect(errors).toEqual([]);
    }, 45_000);

    it('`tandem down` stops it all: no process of the test is left', async () => {
      await load?.stop();
      load = undefined;
      await browser?.close();
      browser = undefined;
      stopped = true;
      const { result, left } = await t!.down();
      expect(result.code, result.stderr).toBe(0);
      expect(left).toEqual([]);
    }, 60_000);
  },
);
