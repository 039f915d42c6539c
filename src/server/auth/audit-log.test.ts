import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as log from '../../log/logger.js';
import { openStoreAt } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import type { AuditEntry } from '../auth-port.js';
import { createAuditLog } from './audit-log.js';

let store: Store;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await store.close();
});

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
  at: new Date(Date.UTC(2025, 0, 1)),
  principal: 'ada',
  principalId: 'tok-0000abcd',
  role: 'admin',
  action: 'POST /api/v1/tokens/:id/revoke',
  target: { id: 'ci' },
  address: '127.0.0.1',
  status: 200,
  ...over,
});

describe('audit log', () => {
  it('records what the pipeline hands over', async () => {
    await createAuditLog(store).record(entry());
    await createAuditLog(store).record(
      entry({
        principal: null,
        principalId: null,
        role: null,
        status: 401,
        detail: 'the token is not valid',
      }),
    );
    const { items } = await store.audit.list();
    expect(items).toEqual([
      expect.objectContaining({ principal: null, role: null, status: 401, detail: 'the token is not valid' }),
      expect.objectContaining({
        at: '2025-01-01T00:00:00.000Z',
        principal: { id: 'tok-0000abcd', name: 'ada' },
        role: 'admin',
        action: 'POST /api/v1/tokens/:id/revoke',
        target: { id: 'ci' },
        address: '127.0.0.1',
        status: 200,
        detail: null,
      }),
    ]);
  });

  it('never stores something that looks like a token or a secret', async () => {
    const plaintext = `tdm_${'x1Y2'.repeat(8)}`;
    await createAuditLog(store).record(
      entry({
        target: { id: plaintext, token: 'anything', secret: 's3cr3t' },
        detail: `bad token ${plaintext}`,
      }),
    );
    const text = JSON.stringify(await store.db.selectFrom('audit_log').selectAll().execute());
    expect(text).not.toContain(plaintext);
    expect(text).not.toContain('s3cr3t');
    expect(text).toContain('tdm_x1Y2…');
  });

  it('does not throw when the store fails; it warns', async () => {
    const warn = vi.fn();
    vi.spyOn(log, 'logger').mockReturnValue({ warn } as unknown as ReturnType<typeof log.logger>);
    await store.close();
    await expect(createAuditLog(store).record(entry())).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ action: entry().action }),
      'cannot write the audit log',
    );
  });
});
