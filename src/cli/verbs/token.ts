import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Token } from '../../store/repositories/tokens.js';
import type { ControlClient } from '../control-client.js';
import { ago, palette, table, withClient } from './incident.js';

const ROLE_NAMES = ['viewer', 'developer', 'operator', 'admin'];

/** `tandem token create|list|revoke`: API tokens for the CLI, scripts and the dashboard login. */
export function registerToken(program: Command): void {
  const token = program
    .command('token')
    .description('API tokens (admin): for the CLI (TANDEM_TOKEN), scripts and the dashboard login')
    .addHelpText(
      'after',
      `
Roles, each allowed what the ones before it may do:
  viewer     reads everything
  developer  runs pipelines, deploys unprotected environments
  operator   deploys, approves, promotes, aborts, rolls back and scales protected environments; silences alerts
  admin      manages tokens and secrets, reads the audit log
Only a hash of each token is stored: a token is shown once, when it is created.`,
    );

  token
    .command('create')
    .description('create a token and print it (once)')
    .requiredOption('--role <role>', `what it may do: ${ROLE_NAMES.join(', ')}`)
    .requiredOption('--name <name>', 'who or what holds it, unique among active tokens (e.g. ci-deploy)')
    .addHelpText(
      'after',
      '\nExample:\n  $ export TANDEM_TOKEN=$(tandem token create --role developer --name ci-deploy)',
    )
    .action(async (opts: { role: string; name: string }, cmd: Command) => {
      await withClient(cmd, (client, json) => tokenCreate(client, { ...opts, json }));
    });

  token
    .command('list')
    .alias('ls')
    .description('active tokens, newest first (--all: revoked ones too); never the tokens themselves')
    .option('--all', 'include revoked tokens')
    .action(async (opts: { all?: boolean }, cmd: Command) => {
      await withClient(cmd, (client, json) => tokenList(client, { ...opts, json }));
    });

  token
    .command('revoke')
    .description('revoke a token at once (its dashboard sessions end too)')
    .argument('<id-or-name>', 'token id (tok-…) or the name of an active token')
    .action(async (idOrName: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, (client, json) => tokenRevoke(client, idOrName, { json }));
    });
}

export interface TokenCreateOptions {
  role: string;
  name: string;
  json?: boolean;
}

/**
 * Only the token goes to stdout, so `$(tandem token create ...)` captures it; the warning that it
 * is not shown again goes to stderr.
 */
export async function tokenCreate(
  client: ControlClient,
  opts: TokenCreateOptions,
  warn: (text: string) => void = (text) => process.stderr.write(text),
): Promise<string> {
  if (!ROLE_NAMES.includes(opts.role)) {
    throw new UsageError(`unknown role "${opts.role}": use one of ${ROLE_NAMES.join(', ')}`);
  }
  const created = await client.api.createToken({ name: opts.name, role: opts.role });
  warn(
    `created token ${created.id} "${created.name}" (${created.role}). Copy it now: it is not shown again (only its hash is stored).\n`,
  );
  return opts.json ? `${JSON.stringify(created)}\n` : `${created.token}\n`;
}

export async function tokenList(
  client: ControlClient,
  opts: { all?: boolean; json?: boolean },
): Promise<string> {
  const items: Token[] = [];
  let cursor: string | null = null;
  // Tokens are few; a bounded number of pages still guards against a server that never ends.
  for (let pages = 0; pages < 100; pages++) {
    const page = await client.api.tokens({ limit: 500, all: opts.all === true, cursor });
    items.push(...page.items);
    cursor = page.next;
    if (cursor === null) break;
  }
  if (opts.json) return `${JSON.stringify({ items })}\n`;
  if (items.length === 0) {
    return opts.all
      ? 'no tokens\n'
      : 'no active tokens (--all shows revoked ones; create one with `tandem token create`)\n';
  }
  const c = palette();
  const now = Date.now();
  return table(
    ['ID', 'NAME', 'ROLE', 'TOKEN', 'CREATED', 'LAST USED', ...(opts.all ? ['STATE'] : [])],
    items.map((t) => [
      t.id,
      t.name,
      t.role,
      t.prefix,
      `${ago(t.createdAt, now)} by ${t.createdBy}`,
      t.lastUsedAt ? ago(t.lastUsedAt, now) : c.dim('never'),
      ...(opts.all ? [t.revokedAt ? c.red(`revoked ${ago(t.revokedAt, now)}`) : c.green('active')] : []),
    ]),
  );
}

export async function tokenRevoke(
  client: ControlClient,
  idOrName: string,
  opts: { json?: boolean },
): Promise<string> {
  const token = await client.api.revokeToken(idOrName);
  if (opts.json) return `${JSON.stringify(token)}\n`;
  return `${token.id} (${token.name}): revoked; calls with it now fail and its dashboard sessions have ended\n`;
}
