import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../server/auth/audit-log.js';
import { createRequestAuth } from '../../server/auth/request-auth.js';
import { createPipeline } from '../../server/pipeline.js';
import { accessRoutes } from '../../server/routes/access-routes.js';
import { openStoreAt } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { ControlClient } from '../control-client.js';
import { auditList } from './audit.js';
import { tokenCreate, tokenList, tokenRevoke } from './token.js';

let store: Store;
let server: Server;
let url: string;
let admin: ControlClient;

// The real pipeline with auth on: the verbs are checked against what `tandem up` serves.
beforeEach(async () => {
  store = await openStoreAt(':memory:');
  const handler = createPipeline({
    routes: accessRoutes({ store }),
    auth: createRequestAuth({ store, authEnabled: true }),
    audit: createAuditLog(store).record,
  });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { plaintext } = await store.tokens.create({ name: 'root', role: 'admin', createdBy: 'test' });
  admin = new ControlClient(url, { token: plaintext });
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await store.close();
});

describe('tandem token', () => {
  it('creates (token on stdout, warning on stderr), lists and revokes; the revoked token stops working', async () => {
    const warnings: string[] = [];
    const out = await tokenCreate(admin, { role: 'developer', name: 'ci' }, (w) => warnings.push(w));
    const plaintext = out.trim();
    expect(out).toMatch(/^tdm_[0-9A-Za-z]{32}\n$/);
    expect(warnings.join('')).toMatch(/created token tok-[0-9a-f]{8} "ci" \(developer\)\. .*not shown again/);

    const ci = new ControlClient(url, { token: plaintext });
    // A developer may not manage tokens.
    await expect(tokenList(ci, {})).rejects.toMatchObject({ code: 'TANDEM_FORBIDDEN' });

    const listed = await tokenList(admin, {});
    const lines = listed.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+ROLE\s+TOKEN\s+CREATED\s+LAST USED$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^tok-\S+\s+ci\s+developer\s+tdm_\S{4}…\s+\d+s ago by root\s+\d+s ago$/),
      expect.stringMatching(/^tok-\S+\s+root\s+admin\s+tdm_\S{4}…\s+\d+s ago by test\s+\d+s ago$/),
    ]);
    expect(listed).not.toContain(plaintext);

    expect(await tokenRevoke(admin, 'ci', {})).toMatch(/^tok-\S+ \(ci\): revoked; /);
    await expect(tokenList(ci, {})).rejects.toMatchObject({ code: 'TANDEM_UNAUTHENTICATED' });
    await expect(tokenRevoke(admin, 'ci', {})).rejects.toMatchObject({ code: 'TANDEM_TOKEN_NOT_FOUND' });
    expect(await tokenList(admin, { all: true })).toMatch(/ci\s+developer.*revoked \d+s ago/);
    const json = JSON.parse(await tokenList(admin, { json: true }));
    expect(json.items.map((t: { name: string }) => t.name)).toEqual(['root']);
  });

  it('refuses an unknown role before calling', async () => {
    await expect(tokenCreate(admin, { role: 'root', name: 'x' }, () => {})).rejects.toMatchObject({
      code: 'TANDEM_USAGE',
      exitCode: 2,
    });
  });
});

describe('tandem audit', () => {
  it('shows every mutating call, denied ones too, and never a token', async () => {
    const warn = () => {};
    const plaintext = (await tokenCreate(admin, { role: 'viewer', name: 'eve' }, warn)).trim();
    const eve = new ControlClient(url, { token: plaintext });
    await expect(tokenCreate(eve, { role: 'admin', name: 'evil' }, warn)).rejects.toMatchObject({
      code: 'TANDEM_FORBIDDEN',
    });
    // A failed login carries a token in its body: the audit keeps the outcome, not the body.
    await expect(
      new ControlClient(url).post('/api/v1/session', { token: `${plaintext.slice(0, -1)}#` }),
    ).rejects.toMatchObject({
      code: 'TANDEM_LOGIN_FAILED',
    });

    const text = await auditList(admin, {});
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^WHEN\s+WHO\s+ROLE\s+ACTION\s+TARGET\s+FROM\s+STATUS$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        /\s-\s+-\s+POST \/api\/v1\/session\s+-\s+127\.0\.0\.1\s+401 the token is not valid/,
      ),
      expect.stringMatching(/\seve\s+viewer\s+POST \/api\/v1\/tokens\s+-\s+127\.0\.0\.1\s+403 /),
      expect.stringMatching(/\sroot\s+admin\s+POST \/api\/v1\/tokens\s+-\s+127\.0\.0\.1\s+201$/),
    ]);
    expect(JSON.stringify(await store.audit.list())).not.toContain(plaintext.slice(8));

    const page = JSON.parse(await auditList(admin, { limit: '2', json: true }));
    expect(page.items).toHaveLength(2);
    expect(await auditList(admin, { limit: '2' })).toMatch(/more: tandem audit --cursor \S+\n$/);
    const rest = JSON.parse(await auditList(admin, { limit: '2', cursor: page.next, json: true }));
    expect(rest.items.map((e: { status: number }) => e.status)).toEqual([201]);
    expect(await auditList(admin, { principal: 'nobody' })).toBe('no audit entries\n');
    await expect(auditList(admin, { limit: '0' })).rejects.toMatchObject({ code: 'TANDEM_USAGE' });
  });
});
