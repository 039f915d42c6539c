/**
 * The built dashboard in a real browser (Debian's Chromium through playwright-core) against the
 * fake API: log in, steer a paused canary, watch a pipeline run live, and see that a viewer gets
 * no controls. Skipped where Chromium is not installed (.ci/run installs it).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeApi, startFakeApi } from './fake-api.js';

const CHROMIUM = process.env.TANDEM_CHROMIUM ?? '/usr/bin/chromium';
const repo = path.resolve(import.meta.dirname, '../..');
const out = mkdtempSync(path.join(os.tmpdir(), 'tandem-web-e2e-'));
let api: FakeApi;
let browser: Browser;
/** One page for the whole file (a browser context costs seconds here); the tests run in order. */
let page: Page;
const errors: string[] = [];

describe.skipIf(!existsSync(CHROMIUM))('the dashboard in Chromium (fake API)', () => {
  beforeAll(async () => {
    await promisify(execFile)(process.execPath, ['scripts/build-web.mjs', '--outdir', out], {
      cwd: repo,
      timeout: 60_000,
    });
    api = await startFakeApi({ webRoot: out });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    // Fail with Playwright's own message, well before Vitest's test timeout.
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => errors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('logs in, promotes a paused canary after confirming, and shows it on the timeline', async () => {
    await page.goto(`${api.url}/services/web?environment=production`);
    await page.getByLabel('API token').fill('tdm_wrong');
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('unknown token');
    await page.getByLabel('API token').fill('tdm_fake');
    await page.keyboard.press('Enter');

    const panel = page.getByTestId('rollout-panel');
    await panel.and(page.locator('[data-state=paused]')).waitFor();
    // Escape cancels: nothing is sent.
    await page.getByTestId('action-abort').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
    expect(api.requests.some((r) => r.path.endsWith('/abort'))).toBe(false);

    await page.getByRole('button', { name: 'Promote', exact: true }).click();
    await page.getByRole('dialog', { name: 'Promote production?' }).waitFor();
    await page.getByTestId('confirm-action').click();
    await page.locator('[data-testid=timeline-item][data-type="rollout.promoted"]').waitFor();
    await panel.and(page.locator('[data-state=promoted]')).waitFor();
    await expect.poll(() => page.getByTestId('announcer').textContent()).toBe('production: promoted');
    expect(await page.getByTestId('action-rollback').isVisible()).toBe(true);
    expect(await page.getByTestId('chart-latency').locator('path.line').count()).toBe(3);
    expect(errors).toEqual([]);
  });

  it('follows a re-run live: the job graph fills in as the jobs finish', async () => {
    // The session cookie lives on: no login this time.
    await page.goto(`${api.url}/pipelines/run-0001`);
    await page.locator('[data-testid=dag-node][data-job=install][data-status=cached]').waitFor();
    await page.getByTestId('rerun').click();
    await page.waitForURL(/\/pipelines\/run-0002$/);
    await page.locator('[data-testid=stream-state][data-state=live]').waitFor();
    const timer = setInterval(() => api.advanceRun(), 60);
    try {
      await page.locator('[data-testid=dag-node][data-job="smoke (lang=fr)"][data-status=passed]').waitFor();
      await page.getByTestId('run-status').filter({ hasText: 'passed' }).waitFor();
    } finally {
      clearInterval(timer);
    }
    expect(await page.locator('[data-testid=dag-node][data-status=passed]').count()).toBe(6);
    // A job's log is one keyboard step away: the graph's boxes are links.
    await page.locator('[data-testid=dag-node][data-job=build]').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/job=build/);
    await expect.poll(() => page.getByTestId('log-view').textContent()).toContain('build: ok');
    expect(errors).toEqual([]);
  });

  it('shows a viewer no controls', async () => {
    api.state.principal.roles = ['viewer'];
    await page.goto(`${api.url}/services/web?environment=production`);
    await page.getByTestId('principal').filter({ hasText: 'viewer' }).waitFor();
    await page.getByTestId('rollout-panel').waitFor();
    await page.getByTestId('timeline-item').first().waitFor();
    expect(await page.locator('[data-testid^=action-]').count()).toBe(0);
    await page.goto(`${api.url}/pipelines/run-0001`);
    await page.getByTestId('dag').waitFor();
    expect(await page.getByTestId('rerun').count()).toBe(0);
  });
});
