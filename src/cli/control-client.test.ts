import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TandemError } from '../errors.js';
import { serverFilePath, writeServerFile } from '../server/server-file.js';
import { ControlClient, connect, tokenFor } from './control-client.js';

let dir: string;
let server: Server;
let url: string;
let seen: Array<{ url: string; authorization: string | undefined }>;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-cc-'));
  seen = [];
  // A control plane stand-in: the status for the right token, a problem otherwise.
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    if (req.headers.authorization !== 'Bearer tdm_file') {
      res.writeHead(401, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          type: 'https://tandem.dev/problems/tandem-unauthenticated',
          title: 'Unauthorized',
          status: 401,
          detail: 'send a token',
          code: 'TANDEM_UNAUTHENTICATED',
          exitCode: 2,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ environments: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(path.join(dir, 'tandem.yaml'), 'project: shop\n');
  writeServerFile(
    {
      url,
      pid: process.pid,
      project: 'shop',
      root: dir,
      config: 'tandem.yaml',
      startedAt: new Date().toISOString(),
    },
    { XDG_STATE_HOME: path.join(dir, 'state') },
  );
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const tokenFile = () => path.join(path.dirname(serverFilePath(dir)), 'run', 'token');
const env = (extra: Record<string, string> = {}) => ({ XDG_STATE_HOME: path.join(dir, 'state'), ...extra });

describe('the control client', () => {
  it("sends the project's token file, found next to server.json", async () => {
    mkdirSync(path.dirname(tokenFile()), { recursive: true });
    writeFileSync(tokenFile(), 'tdm_file\n', { mode: 0o600 });
    const client = connect({ cwd: path.join(dir), env: env() });
    expect(await client.api.status()).toEqual({ environments: [] });
    expect(await client.get('/api/v1/status')).toEqual({ environments: [] });
    expect(seen.map((s) => [s.url, s.authorization])).toEqual([
      ['/api/v1/status', 'Bearer tdm_file'],
      ['/api/v1/status', 'Bearer tdm_file'],
    ]);
  });

  it('prefers TANDEM_TOKEN, and works without any token', async () => {
    mkdirSync(path.dirname(tokenFile()), { recursive: true });
    writeFileSync(tokenFile(), 'tdm_file\n');
    const found = { file: { url, pid: 1, project: 'shop', root: dir, config: 'x', startedAt: '' } };
    expect(tokenFor(found, { TANDEM_TOKEN: 'tdm_env' })).toBe('tdm_env');
    expect(tokenFor(found, {})).toBe('tdm_file');
    expect(tokenFor({}, {})).toBeUndefined();
    rmSync(tokenFile());
    expect(tokenFor(found, {})).toBeUndefined();

    const err = await connect({ cwd: dir, env: env({ TANDEM_TOKEN: 'tdm_wrong' }) })
      .api.status()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TandemError);
    expect(err).toMatchObject({ code: 'TANDEM_UNAUTHENTICATED', exitCode: 2, message: 'send a token' });
    expect(seen.at(-1)?.authorization).toBe('Bearer tdm_wrong');
  });

  it('says how to start the control plane when it cannot be reached (exit 3)', async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    const err = await new ControlClient(url).api.status().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TANDEM_UNREACHABLE', exitCode: 3 });
    expect((err as Error).message).toContain('tandem up');
    // Closed again by afterEach: give it a fresh server to close.
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
});
