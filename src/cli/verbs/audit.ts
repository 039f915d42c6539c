import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { ControlClient } from '../control-client.js';
import { palette, table, when, withClient } from './incident.js';

/** `tandem audit`: who changed what, from where, and how it ended (admin). */
export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('the audit log of every mutating API call, allowed or denied, newest first (admin)')
    .option('--limit <n>', 'how many entries (at most 500)', '50')
    .option('--principal <who>', 'only this principal (token name or id)')
    .option('--action <action>', 'only this action, e.g. "POST /api/v1/environments/:env/promote"')
    .option('--cursor <cursor>', 'continue after the previous page (printed at its end)')
    .action(async (opts: AuditOptions, cmd: Command) => {
      await withClient(cmd, (client, json) => auditList(client, { ...opts, json }));
    });
}

export interface AuditOptions {
  limit?: string;
  principal?: string;
  action?: string;
  cursor?: string;
  json?: boolean;
}

export async function auditList(client: ControlClient, opts: AuditOptions): Promise<string> {
  let limit: number | undefined;
  if (opts.limit !== undefined) {
    limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new UsageError(`--limit must be a whole number from 1 to 500, got "${opts.limit}"`);
    }
  }
  const page = await client.api.audit({
    limit,
    principal: opts.principal || undefined,
    action: opts.action || undefined,
    cursor: opts.cursor || undefined,
  });
  if (opts.json) return `${JSON.stringify(page)}\n`;
  if (page.items.length === 0) return 'no audit entries\n';
  const c = palette();
  const out = table(
    ['WHEN', 'WHO', 'ROLE', 'ACTION', 'TARGET', 'FROM', 'STATUS'],
    page.items.map((e) => [
      when(e.at),
      e.principal?.name ?? c.dim('-'),
      e.role ?? c.dim('-'),
      e.action,
      target(e.target),
      e.address,
      e.status < 400
        ? c.green(String(e.status))
        : c.red(`${e.status}${e.detail ? ` ${clip(e.detail)}` : ''}`),
    ]),
  );
  return page.next === null ? out : `${out}${c.dim(`more: tandem audit --cursor ${page.next}`)}\n`;
}

function target(t: Record<string, unknown>): string {
  const parts = Object.entries(t).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length > 0 ? parts.join(' ') : '-';
}

function clip(text: string): string {
  return text.length <= 60 ? text : `${text.slice(0, 59)}…`;
}
