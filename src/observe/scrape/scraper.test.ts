import { describe, expect, it } from 'vitest';
import type { Subject } from '../metrics/types.js';
import type { ScrapeOptions, ScrapeResult } from './scrape-instance.js';
import { Scraper, type ScrapeTarget } from './scraper.js';

function target(instance: string, port = 9000): ScrapeTarget {
  const subject: Subject = { environment: 'production', service: 'web', instance };
  return { subject, host: '127.0.0.1', port, path: '/metrics' };
}

const okResult: ScrapeResult = {
  ok: true,
  points: [{ name: 'jobs_total', labels: {}, kind: 'counter', value: 5 }],
  errors: [],
  bytes: 12,
};

/** A scrape function that records its calls and answers what `answer` says. */
function fakeScrape(answer: (o: ScrapeOptions) => Promise<ScrapeResult> = async () => okResult) {
  const calls: number[] = [];
  const scrape = (o: ScrapeOptions) => {
    calls.push(o.port);
    return answer(o);
  };
  return { calls, scrape };
}

describe('Scraper', () => {
  it('scrapes each target at most once per interval, and a target that came back at once', async () => {
    const { calls, scrape } = fakeScrape();
    const s = new Scraper({ intervalMs: 15_000, timeoutMs: 1_000, concurrency: 8, scrape, now: () => 42 });
    const a = target('a', 1);
    const b = target('b', 2);

    const first = await s.due(0, [a, b]);
    expect(calls).toEqual([1, 2]);
    expect(first.samples).toEqual([
      { environment: 'production', service: 'web', instance: 'a', at: 42, points: okResult.points },
      { environment: 'production', service: 'web', instance: 'b', at: 42, points: okResult.points },
    ]);
    expect(first.failures).toEqual([]);

    expect((await s.due(14_999, [a, b])).samples).toEqual([]);
    expect(calls).toEqual([1, 2]);

    // b leaves the list, then returns: it is due again at once; a waits for its interval.
    await s.due(15_000, [a]);
    expect(calls).toEqual([1, 2, 1]);
    await s.due(16_000, [a, b]);
    expect(calls).toEqual([1, 2, 1, 2]);
  });

  it('runs at most `concurrency` scrapes at a time and skips a target still in flight', async () => {
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const { calls, scrape } = fakeScrape(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => releases.push(r));
      running--;
      return okResult;
    });
    const s = new Scraper({ intervalMs: 1_000, timeoutMs: 1_000, concurrency: 2, scrape });
    const targets = [1, 2, 3, 4, 5].map((n) => target(`i${n}`, n));

    const round = s.due(0, targets);
    // Long after the interval, but every target is still in flight or queued: nothing new starts.
    const overlapping = await s.due(60_000, targets);
    expect(overlapping.samples).toEqual([]);

    for (let i = 0; i < 1_000 && (calls.length < 5 || releases.length > 0); i++) {
      const release = releases.shift();
      if (release) release();
      await new Promise((r) => setImmediate(r));
    }
    expect((await round).samples).toHaveLength(5);
    expect(peak).toBe(2);
    expect(calls).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports failures, exposition problems (with the good points kept) and a throwing scrape', async () => {
    const { scrape } = fakeScrape(async (o) => {
      if (o.port === 1) return { ok: false, error: 'GET http://127.0.0.1:1/metrics: connection refused' };
      if (o.port === 2) {
        return {
          ...okResult,
          errors: [
            { line: 3, message: 'bad value' },
            { line: 0, message: '2 series over the limit' },
          ],
        };
      }
      throw new Error('boom');
    });
    const s = new Scraper({ intervalMs: 1_000, timeoutMs: 1_000, concurrency: 8, scrape });
    const round = await s.due(0, [target('a', 1), target('b', 2), target('c', 3)]);

    expect(round.samples.map((x) => x.instance)).toEqual(['b']);
    expect(round.failures).toEqual([
      { subject: target('a').subject, error: expect.stringMatching(/connection refused/) },
      {
        subject: target('b').subject,
        error: expect.stringMatching(/2 problem\(s\): line 3: bad value; 2 series over the limit/),
      },
      { subject: target('c').subject, error: 'boom' },
    ]);
  });

  it('passes its limits and a signal that stop() aborts', async () => {
    const seen: ScrapeOptions[] = [];
    const { scrape } = fakeScrape(
      (o) =>
        new Promise((resolve) => {
          seen.push(o);
          o.signal?.addEventListener('abort', () => resolve({ ok: false, error: 'scrape cancelled' }));
        }),
    );
    const s = new Scraper({ intervalMs: 1_000, timeoutMs: 750, concurrency: 8, maxBytes: 99, scrape });
    const round = s.due(0, [target('a', 1)]);
    await new Promise((r) => setImmediate(r));
    expect(seen[0]).toMatchObject({
      host: '127.0.0.1',
      port: 1,
      path: '/metrics',
      timeoutMs: 750,
      maxBytes: 99,
    });
    s.stop();
    expect((await round).failures).toEqual([{ subject: target('a').subject, error: 'scrape cancelled' }]);
  });
});
