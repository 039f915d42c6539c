import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logFileName } from '../pipeline/run/job-log-file.js';
import { openStoreAt } from '../store/open.js';
import type { NewEvent } from '../store/repositories/events.js';
import type { Store } from '../store/store.js';
import type { RouteContext } from './routes/types.js';
import { LogFollower, overlapOf, type StreamOptions, streamEvents } from './sse.js';

interface Message {
  id?: string;
  event?: string;
  data?: unknown;
}

interface Client {
  res: IncomingMessage;
  messages: Message[];
  comments: string[];
  close(): void;
}

let store: Store;
let server: http.Server | undefined;
let started: number;
let ended: number;
const clients: Client[] = [];

beforeEach(async () => {
  store = await openStoreAt(':memory:');
  started = 0;
  ended = 0;
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  // Every stream has stopped reading the store before the store closes.
  await waitUntil('every stream to end', () => ended === started);
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  }
  await store.close();
});

async function waitUntil(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A server whose every request is a stream with `opts` (fast polls for the test). */
async function serve(opts: Omit<StreamOptions, 'store'>): Promise<string> {
  server = http.createServer((req, res) => {
    started++;
    streamEvents({ req, res }, { store, pollMs: 20, ...opts }).then(
      () => {
        ended++;
      },
      (err: { status?: number }) => {
        ended++;
        res.writeHead(err.status ?? 500);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const client: Client = { res, messages: [], comments: [], close: () => req.destroy() };
      clients.push(client);
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: Message = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) message.id = line.slice(4);
            else if (line.startsWith('event: ')) message.event = line.slice(7);
            else if (line.startsWith('data: ')) message.data = JSON.parse(line.slice(6));
          }
          if (message.event !== undefined) client.messages.push(message);
          end = buffer.indexOf('\n\n');
        }
      });
      res.on('error', () => undefined);
      resolve(client);
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
  });
}

const append = (e: NewEvent) => store.events.append(store.db, e);
const types = (c: Client) => c.messages.map((m) => (m.data as { type: string }).type);

describe('streamEvents over HTTP', () => {
  it('sends new events as they are stored, filtered, with SSE headers', async () => {
    await append({
      type: 'alert.firing',
      subjectKind: 'alert',
      subjectId: 'old',
      data: { environment: 'production', service: 'web' },
    });
    const url = await serve({
      topics: ['events'],
      environment: 'production',
      service: 'web',
      types: ['alert.', 'rollout.', 'deployment.'],
    });
    const client = await connect(url);
    expect(client.res.statusCode).toBe(200);
    expect(client.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.res.headers['cache-control']).toBe('no-cache');
    expect(client.res.headers['x-accel-buffering']).toBe('no');
    const wanted = await append({
      type: 'alert.firing',
      subjectKind: 'alert',
      subjectId: 'a',
      data: { environment: 'production', service: 'web', rule: 'errors' },
    });
    await append({
      type: 'alert.firing',
      subjectKind: 'alert',
      subjectId: 'b',
      data: { environment: 'staging', service: 'web' },
    });
    await append({
      type: 'alert.firing',
      subjectKind: 'alert',
      subjectId: 'c',
      data: { environment: 'production', service: 'api' },
    });
    await append({
      type: 'incident.opened',
      subjectKind: 'incident',
      subjectId: 'inc-1',
      data: { environment: 'production', service: 'web' },
    });
    await append({
      type: 'deployment.started',
      subjectKind: 'deployment',
      subjectId: 'd1',
      data: { environment: 'production', services: ['api'] },
    });
    await append({
      type: 'deployment.started',
      subjectKind: 'deployment',
      subjectId: 'd2',
      data: { environment: 'production', services: ['web', 'api'] },
    });
    await waitUntil('two messages', () => client.messages.length >= 2);
    await new Promise((r) => setTimeout(r, 100)); // nothing else should come
    expect(types(client)).toEqual(['alert.firing', 'deployment.started']);
    const [first] = client.messages;
    expect(first).toMatchObject({ id: String(wanted.id), event: 'events' });
    expect(first?.data).toMatchObject({
      id: wanted.id,
      type: 'alert.firing',
      kind: 'alert',
      title: 'alert errors firing',
      environment: 'production',
      service: 'web',
      subjectId: 'a',
    });
    expect((client.messages[1]?.data as { subjectId?: string } | undefined)?.subjectId).toBe('d2');
  });

  it('resumes after Last-Event-ID (and after ?afterId= without one)', async () => {
    const e1 = await append({ type: 'a.one', subjectKind: 'k', subjectId: '1' });
    await append({ type: 'a.two', subjectKind: 'k', subjectId: '2' });
    await append({ type: 'a.three', subjectKind: 'k', subjectId: '3' });
    const url = await serve({ topics: ['events'], afterId: 0 });
    const resumed = await connect(url, { 'last-event-id': String(e1.id) });
    await waitUntil('the missed events', () => resumed.messages.length >= 2);
    expect(types(resumed)).toEqual(['a.two', 'a.three']);
    const fromStart = await connect(url);
    await waitUntil('every event', () => fromStart.messages.length >= 3);
    expect(types(fromStart)).toEqual(['a.one', 'a.two', 'a.three']);
    const e4 = await append({ type: 'a.four', subjectKind: 'k', subjectId: '4' });
    await waitUntil(
      'the new event on both',
      () => resumed.messages.length >= 3 && fromStart.messages.length >= 4,
    );
    expect(resumed.messages.at(-1)?.id).toBe(String(e4.id));
  });

  it('replays a long backlog in bounded batches, in order', async () => {
    for (let i = 0; i < 30; i++) await append({ type: `b.${i}`, subjectKind: 'k', subjectId: String(i) });
    const url = await serve({ topics: ['events'], afterId: 0, batch: 4 });
    const client = await connect(url);
    await waitUntil('the backlog', () => client.messages.length >= 30);
    expect(types(client)).toEqual(Array.from({ length: 30 }, (_, i) => `b.${i}`));
  });

  it('sends a heartbeat comment while idle', async () => {
    const url = await serve({ topics: ['events'], heartbeatMs: 30 });
    const client = await connect(url);
    await waitUntil('a heartbeat', () => client.comments.includes('heartbeat'));
    expect(client.messages).toEqual([]);
  });

  it('stops polling when the client goes away', async () => {
    const url = await serve({ topics: ['events'] });
    const client = await connect(url);
    await append({ type: 'x.y', subjectKind: 'k', subjectId: '1' });
    await waitUntil('the event', () => client.messages.length === 1);
    expect(ended).toBe(0);
    client.close();
    await waitUntil('the stream to end', () => ended === 1);
  });

  it('follows an instance log, sending only new lines', async () => {
    const lines = ['boot', 'listening on 8080'];
    const agent = {
      logs: async (id: string, n: number) =>
        id === 'web-1' ? lines.slice(-n) : Promise.reject(new Error(`no instance ${id}`)),
    };
    const url = await serve({ topics: ['logs'], instance: 'web-1', agent, logLines: 3 });
    const client = await connect(url);
    await waitUntil('the tail', () => client.messages.length >= 1);
    expect(client.messages[0]).toEqual({
      event: 'logs',
      data: { instance: 'web-1', lines: ['boot', 'listening on 8080'] },
    });
    expect(client.messages[0]?.id).toBeUndefined();
    lines.push('GET / 200');
    await waitUntil('a new line', () => client.messages.length >= 2);
    lines.push('GET /a 200', 'GET /b 500');
    await waitUntil('two more lines', () => client.messages.length >= 3);
    expect(client.messages.map((m) => (m.data as { lines: string[] }).lines)).toEqual([
      ['boot', 'listening on 8080'],
      ['GET / 200'],
      ['GET /a 200', 'GET /b 500'],
    ]);
  });

  it('refuses bad options before writing the stream', async () => {
    const url = await serve({ topics: ['logs'] });
    const client = await connect(url);
    expect(client.res.statusCode).toBe(400);
    const ctx = { req: { headers: {} }, res: {} } as unknown as Pick<RouteContext, 'req' | 'res'>;
    await expect(streamEvents(ctx, { store, topics: [] })).rejects.toMatchObject({ status: 400 });
    await expect(streamEvents(ctx, { store, topics: ['logs'], instance: 'x' })).rejects.toMatchObject({
      status: 503,
    });
  });
});

describe('the joblog topic', () => {
  let root: string;
  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'tandem-sse-joblog-'));
    await store.runs.runStarted({
      id: 'run-1',
      project: 'shop',
      branch: null,
      commit: null,
      jobs: ['build', 'test'],
      startedAt: new Date(),
    });
    await store.runs.attemptStarted('run-1', 'build', 1, new Date());
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const logOf = (job: string, content: string) => {
    const file = path.join(root, '.tandem', 'runs', 'run-1', logFileName(job));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  };
  const finish = (job: string, status: 'passed' | 'failed') =>
    store.runs.jobFinished(
      'run-1',
      { name: job, status, durationMs: 1, attempts: 1, cacheKey: 'k' },
      `.tandem/runs/run-1/${job}.log`,
      new Date(),
    );
  const joblog = (c: Client) => c.messages.filter((m) => m.event === 'joblog').map((m) => m.data);

  it('sends the tail, then lines as the file grows, then done once the job is final', async () => {
    const file = logOf('build', 'install\ncompil');
    const url = await serve({ topics: ['joblog'], run: 'run-1', job: 'build', root, heartbeatMs: 30 });
    const client = await connect(url);
    expect(client.res.statusCode).toBe(200);
    await waitUntil('the tail', () => client.messages.length >= 1);
    expect(client.messages[0]).toEqual({
      event: 'joblog',
      data: { run: 'run-1', job: 'build', lines: ['install'], offset: 8 },
    });
    appendFileSync(file, 'ing\n');
    await waitUntil('the finished line', () => client.messages.length >= 2);
    appendFileSync(file, 'warning: é\nlinked'); // an unterminated last line
    await waitUntil('the warning', () => client.messages.length >= 3);
    await finish('build', 'passed');
    await waitUntil('done', () => client.messages.length >= 5);
    expect(joblog(client).slice(1)).toEqual([
      { run: 'run-1', job: 'build', lines: ['compiling'], offset: 18 },
      { run: 'run-1', job: 'build', lines: ['warning: é'], offset: 30 },
      { run: 'run-1', job: 'build', lines: ['linked'], offset: 36 },
      { run: 'run-1', job: 'build', lines: [], offset: 36, done: true, status: 'passed' },
    ]);
    // Nothing more after done; the stream stays open (heartbeats).
    appendFileSync(file, 'late\n');
    const beats = client.comments.length;
    await waitUntil('three more heartbeats', () => client.comments.length >= beats + 3);
    expect(client.messages).toHaveLength(5);
    expect(client.messages.every((m) => m.id === undefined)).toBe(true);
  });

  it('starts at ?offset=, and keeps serving other topics after done', async () => {
    logOf('test', 'a\nb\nc\n');
    await finish('test', 'failed');
    const url = await serve({ topics: ['joblog', 'events'], run: 'run-1', job: 'test', offset: 2, root });
    const client = await connect(url);
    await waitUntil('the rest and done', () => client.messages.length >= 2);
    expect(joblog(client)).toEqual([
      { run: 'run-1', job: 'test', lines: ['b', 'c'], offset: 6 },
      { run: 'run-1', job: 'test', lines: [], offset: 6, done: true, status: 'failed' },
    ]);
    await append({ type: 'x.after', subjectKind: 'k', subjectId: '1' });
    await waitUntil('an event after done', () => client.messages.length >= 3);
    expect(client.messages[2]?.event).toBe('events');
  });

  it('refuses a missing or unknown run or job, and an offset past the end, before the stream starts', async () => {
    logOf('build', 'x\n');
    const cases: Array<[Omit<StreamOptions, 'store'>, number]> = [
      [{ topics: ['joblog'], run: 'run-1', root }, 400],
      [{ topics: ['joblog'], job: 'build', root }, 400],
      [{ topics: ['joblog'], run: 'run-9', job: 'build', root }, 404],
      [{ topics: ['joblog'], run: 'run-1', job: 'lint', root }, 404],
      [{ topics: ['joblog'], run: 'run-1', job: 'build', offset: 3, root }, 400],
    ];
    const ctx = { req: { headers: {} }, res: { once: () => undefined } } as unknown as Pick<
      RouteContext,
      'req' | 'res'
    >;
    for (const [opts, status] of cases) {
      await expect(streamEvents(ctx, { store, ...opts }), JSON.stringify(opts)).rejects.toMatchObject({
        status,
      });
    }
    const url = await serve({ topics: ['joblog'], run: 'run-1', job: 'nope', root });
    expect((await connect(url)).res.statusCode).toBe(404);
  });
});

describe('LogFollower', () => {
  it('finds the lines already sent, and flags a gap when the window overflowed', () => {
    expect(overlapOf(['a', 'b', 'c'], ['b', 'c', 'd'])).toBe(2);
    expect(overlapOf(['a', 'b'], ['x'])).toBe(0);
    expect(overlapOf(['x', 'x'], ['x', 'x', 'y'])).toBe(2);
    const f = new LogFollower('i', false);
    expect(f.next(['a', 'b'], 3)).toBeUndefined(); // a resumed stream: remembered, not re-sent
    expect(f.next(['a', 'b'], 3)).toBeUndefined();
    expect(f.next(['b', 'c', 'd'], 3)).toEqual({ instance: 'i', lines: ['c', 'd'] });
    expect(f.next(['x', 'y', 'z'], 3)).toEqual({ instance: 'i', lines: ['x', 'y', 'z'], gap: true });
    expect(f.failed('gone')).toEqual({ instance: 'i', lines: [], error: 'gone' });
    expect(f.failed('gone')).toBeUndefined();
  });
});
