import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TandemError } from '../../errors.js';
import type { TopInstance, TopSnapshot } from '../../observe/top/types.js';
import { ControlClient } from '../control-client.js';
import { main } from '../program.js';
import { parseInterval, runTop, type TopOptions, type TopOutput } from './top.js';

function inst(id: string, over: Partial<TopInstance> = {}): TopInstance {
  return {
    id,
    revision: 'r4-1a2b3c4',
    state: 'running',
    healthy: true,
    rps: 12.5,
    errorPct: 0,
    p95Ms: 8,
    cpuPct: 3.2,
    rssBytes: 64 * 1024 * 1024,
    restarts: 0,
    uptimeMs: 90_000,
    ...over,
  };
}

const SNAPSHOT: TopSnapshot = {
  at: Date.UTC(2025, 4, 1, 10, 0, 0),
  windowMs: 30_000,
  environments: [
    {
      name: 'production',
      services: [
        {
          name: 'web',
          replicas: { running: 2, healthy: 2, desired: 2 },
          rps: 25,
          errorPct: 0,
          p95Ms: 9,
          cpuPct: 6.4,
          rssBytes: 128 * 1024 * 1024,
          autoscale: null,
          instances: [inst('production-web-0000aaaa'), inst('production-web-0000bbbb')],
        },
      ],
    },
    {
      name: 'staging',
      services: [
        {
          name: 'web',
          replicas: { running: 1, healthy: 1, desired: 1 },
          rps: null,
          errorPct: null,
          p95Ms: null,
          cpuPct: null,
          rssBytes: null,
          autoscale: null,
          instances: [inst('staging-web-0000cccc', { rps: null })],
        },
      ],
    },
  ],
};

/** A control plane stand-in on 127.0.0.1 answering GET /api/v1/top; `fail` makes it answer 503. */
let server: http.Server;
let url: string;
let requests: string[];
let fail: boolean;

beforeEach(async () => {
  requests = [];
  fail = false;
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (fail) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'TANDEM_TEST_DOWN', message: 'metrics store is down' } }));
      return;
    }
    if (!req.url?.startsWith('/api/v1/top')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...SNAPSHOT, at: SNAPSHOT.at + requests.length * 1000 }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

class FakeTerminal implements TopOutput {
  text = '';
  isTTY: boolean;
  private resize: (() => void) | undefined;
  constructor(
    tty: boolean,
    public columns = 80,
    public rows = 40,
  ) {
    this.isTTY = tty;
  }
  write(text: string) {
    this.text += text;
    return true;
  }
  on(_event: 'resize', listener: () => void) {
    this.resize = listener;
  }
  off() {
    this.resize = undefined;
  }
  resized(columns: number) {
    this.columns = columns;
    this.resize?.();
  }
  get listening() {
    return this.resize !== undefined;
  }
}

const options = (over: Partial<TopOptions> = {}): TopOptions => ({
  once: false,
  json: false,
  intervalMs: 100,
  color: false,
  ...over,
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what is stripped
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('runTop printing once', () => {
  it('prints the table once when stdout is not a terminal, whatever --once says', async () => {
    const out = new FakeTerminal(false);
    expect(await runTop(new ControlClient(url), options(), out)).toBe(0);
    expect(requests).toEqual(['/api/v1/top']);
    expect(out.text).not.toContain('\u001b');
    expect(out.text).toContain('production-web-0000aaaa');
    expect(out.text).toContain('staging-web-0000cccc');
    // Not a terminal: nothing is cut, every column is there.
    expect(out.text).toContain('RESTARTS');
    expect(out.text).not.toContain('…');
  });

  it('asks for one environment and shows only it', async () => {
    const out = new FakeTerminal(false);
    await runTop(new ControlClient(url), options({ once: true, environment: 'staging' }), out);
    expect(requests).toEqual(['/api/v1/top?environment=staging']);
    expect(out.text).toContain('staging-web-0000cccc');
    expect(out.text).not.toContain('production');
  });

  it('prints the snapshot as JSON with --json, even on a terminal', async () => {
    const out = new FakeTerminal(true);
    await runTop(new ControlClient(url), options({ json: true }), out);
    expect(requests).toHaveLength(1);
    expect(JSON.parse(out.text)).toEqual({ ...SNAPSHOT, at: SNAPSHOT.at + 1000 });
  });

  it('fits a terminal with --once', async () => {
    const out = new FakeTerminal(true, 50);
    await runTop(new ControlClient(url), options({ once: true }), out);
    expect(out.text).not.toContain('\u001b[?1049h');
    for (const line of out.text.split('\n')) expect(line.length).toBeLessThanOrEqual(50);
  });

  it('fails with exit code 3 when the control plane cannot be reached', async () => {
    const closed = new ControlClient(url);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    server = http.createServer();
    const err = await runTop(closed, options({ once: true }), new FakeTerminal(false)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TandemError);
    expect((err as TandemError).exitCode).toBe(3);
    // Live mode too: the first fetch decides, before the screen is taken over.
    const tty = new FakeTerminal(true);
    const live = await runTop(closed, options(), tty).catch((e: unknown) => e);
    expect((live as TandemError).exitCode).toBe(3);
    expect(tty.text).toBe('');
  });
});

describe('runTop live', () => {
  it('redraws in place every interval and restores the terminal when stopped', async () => {
    const out = new FakeTerminal(true, 80, 40);
    const stop = new AbortController();
    const running = runTop(new ControlClient(url), options(), out, stop.signal);
    await until('three frames', () => out.text.split('\u001b[H').length > 3);
    expect(out.listening).toBe(true);
    stop.abort();
    expect(await running).toBe(0);

    expect(out.text.startsWith('\u001b[?1049h\u001b[?25l')).toBe(true);
    expect(out.text.endsWith('\u001b[?25h\u001b[?1049l')).toBe(true);
    const frames = out.text.split('\u001b[H').slice(1);
    expect(frames.length).toBeGreaterThanOrEqual(3);
    // Later frames show later snapshots (the fake server moves `at` by 1 s per request).
    expect(stripAnsi(frames[0]!)).toContain('10:00:01 UTC');
    expect(stripAnsi(frames[2]!)).toContain('10:00:03 UTC');
    for (const frame of frames) {
      for (const line of stripAnsi(frame).split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    }
    expect(out.listening).toBe(false);
  });

  it('redraws at once on a resize, and keeps to the terminal height', async () => {
    const out = new FakeTerminal(true, 120, 6);
    const stop = new AbortController();
    const running = runTop(new ControlClient(url), options({ intervalMs: 60_000 }), out, stop.signal);
    await until('the first frame', () => out.text.includes('\u001b[H'));
    out.resized(40);
    const frames = out.text.split('\u001b[H').slice(1);
    stop.abort();
    await running;
    expect(frames).toHaveLength(2);
    const last = stripAnsi(frames[1]!).split('\n');
    expect(last).toHaveLength(6);
    expect(last[5]).toMatch(/^… \d+ more lines/);
    for (const line of last) expect(line.length).toBeLessThanOrEqual(40);
  });

  it('shows a failing poll and keeps the last snapshot until the control plane answers again', async () => {
    const out = new FakeTerminal(true);
    const stop = new AbortController();
    const running = runTop(new ControlClient(url), options(), out, stop.signal);
    await until('the first poll', () => requests.length >= 1);
    fail = true;
    await until('the problem on screen', () =>
      out.text.includes('metrics store is down (retrying every 100ms)'),
    );
    expect(out.text.split('\u001b[H').at(-1)).toContain('production-web-0000aaaa');
    fail = false;
    const drawn = out.text.length;
    await until('a clean frame', () => {
      const frame = out.text.slice(drawn).split('\u001b[H').at(-1) ?? '';
      return frame.includes('production-web') && !frame.includes('retrying');
    });
    stop.abort();
    expect(await running).toBe(0);
  });

  it('stops on SIGINT and removes its signal handlers', async () => {
    const before = process.listeners('SIGINT');
    const out = new FakeTerminal(true);
    const running = runTop(new ControlClient(url), options(), out);
    await until('the first frame', () => out.text.includes('\u001b[H'));
    const added = process.listeners('SIGINT').filter((l) => !before.includes(l));
    expect(added).toHaveLength(1);
    // Call the handler as the signal would, without signalling the test runner's process.
    (added[0] as () => void)();
    expect(await running).toBe(0);
    expect(out.text.endsWith('\u001b[?25h\u001b[?1049l')).toBe(true);
    expect(process.listeners('SIGINT')).toEqual(before);
  });
});

describe('tandem top (the verb)', () => {
  let write: ReturnType<typeof vi.spyOn>;
  let printed: string;
  beforeEach(() => {
    printed = '';
    write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
    process.env.TANDEM_URL = url;
  });
  afterEach(() => {
    write.mockRestore();
    delete process.env.TANDEM_URL;
    process.exitCode = undefined;
  });

  it('is registered, takes --once, --environment and the global --json', async () => {
    await main(['node', 'tandem', 'top', '--once', '--environment', 'production', '--json']);
    expect(process.exitCode).toBe(0);
    expect(requests).toEqual(['/api/v1/top?environment=production']);
    const snapshot = JSON.parse(printed) as TopSnapshot;
    expect(snapshot.environments.map((e) => e.name)).toEqual(['production']);
  });

  it('refuses a bad --interval with exit code 2', async () => {
    await main(['node', 'tandem', 'top', '--interval', '10ms', '--json']);
    expect(process.exitCode).toBe(2);
    expect(JSON.parse(printed).error.code).toBe('TANDEM_USAGE');
    expect(requests).toEqual([]);
  });
});

describe('parseInterval', () => {
  it('reads durations and plain seconds, and refuses the rest', () => {
    expect(parseInterval('2s')).toBe(2000);
    expect(parseInterval('500ms')).toBe(500);
    expect(parseInterval('1.5')).toBe(1500);
    expect(() => parseInterval('soon')).toThrow(/duration such as 2s/);
    expect(() => parseInterval('0')).toThrow(/at least 100ms/);
  });
});
