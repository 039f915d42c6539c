import type { Command } from 'commander';
import { TandemError } from '../../errors.js';
import type { Vault } from '../../secrets/vault.js';
import { type GlobalOptions, runAction } from '../output.js';

/** `tandem secret set|list|rm`: encrypted project secrets. Offline; values are never printed. */
export function registerSecret(program: Command): void {
  const secret = program
    .command('secret')
    .description(`manage encrypted secrets (referenced in tandem.yaml as \${{ secrets.NAME }})`)
    .addHelpText(
      'after',
      `
Secrets are encrypted with AES-256-GCM. The master key comes from TANDEM_MASTER_KEY
(64 hex characters or base64 of 32 bytes: openssl rand -base64 32) or from
.tandem/master.key, created with mode 0600 by the first \`tandem secret set\`.`,
    );

  secret
    .command('set')
    .description('store a secret; the value is read from stdin (prompted for, not echoed, on a terminal)')
    .argument('<name>', 'secret name: letters, digits and _, not starting with a digit')
    .addHelpText(
      'after',
      `
Examples:
  $ tandem secret set DATABASE_URL            # prompts for the value
  $ printf %s "$TOKEN" | tandem secret set NPM_TOKEN
  $ tandem secret set TLS_KEY < key.pem

One trailing newline is removed from the value; an empty value is refused.`,
    )
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        (await import('../../secrets/vault.js')).assertSecretName(name);
        const root = await projectRoot(globals);
        const value = await readValue(name);
        if (value.length === 0) {
          throw new TandemError('TANDEM_SECRET_EMPTY', `no value for secret ${name}: stdin was empty`, {
            exitCode: 2,
          });
        }
        const saved = await withVault(root, (vault) => vault.set(name, value));
        if (globals.json) {
          process.stdout.write(`${JSON.stringify(saved)}\n`);
        } else {
          process.stdout.write(`secret ${name} ${saved.created ? 'created' : 'updated'}\n`);
        }
        return 0;
      });
    });

  secret
    .command('list')
    .alias('ls')
    .description('list secret names and when each was last set (never the values)')
    .addHelpText(
      'after',
      `
Examples:
  $ tandem secret list
  $ tandem secret list --json     # [{"name":"DATABASE_URL","updatedAt":"2025-01-31T10:00:00.000Z"}]`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        const root = await projectRoot(globals);
        const secrets = await withVault(root, (vault) => vault.list());
        if (globals.json) {
          process.stdout.write(`${JSON.stringify(secrets)}\n`);
        } else if (secrets.length === 0) {
          process.stdout.write('no secrets (add one with: tandem secret set NAME)\n');
        } else {
          const width = Math.max(4, ...secrets.map((s) => s.name.length));
          const lines = [
            `${'NAME'.padEnd(width)}  UPDATED`,
            ...secrets.map((s) => `${s.name.padEnd(width)}  ${s.updatedAt}`),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        return 0;
      });
    });

  secret
    .command('rm')
    .alias('remove')
    .description('delete a secret')
    .argument('<name>', 'secret name')
    .addHelpText(
      'after',
      `
Examples:
  $ tandem secret rm NPM_TOKEN
  $ tandem secret rm NPM_TOKEN --json

Exit codes: 0 removed, 1 no such secret, 2 invalid name.`,
    )
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        (await import('../../secrets/vault.js')).assertSecretName(name);
        const root = await projectRoot(globals);
        const removed = await withVault(root, (vault) => vault.remove(name));
        if (!removed) {
          throw new TandemError(
            'TANDEM_SECRET_NOT_FOUND',
            `no secret named ${name} (see: tandem secret list)`,
          );
        }
        process.stdout.write(
          globals.json ? `${JSON.stringify({ name, removed: true })}\n` : `secret ${name} removed\n`,
        );
        return 0;
      });
    });
}

// The store and the config loader are imported when a subcommand runs, so `--help` stays fast.
async function projectRoot(globals: GlobalOptions): Promise<string> {
  const { loadConfig } = await import('../../config/load.js');
  return (await loadConfig({ config: globals.config, cwd: process.cwd() })).dir;
}

async function withVault<T>(root: string, fn: (vault: Vault) => Promise<T>): Promise<T> {
  const [{ openStore }, { openVault }] = await Promise.all([
    import('../../store/open.js'),
    import('../../secrets/vault.js'),
  ]);
  const store = await openStore(root);
  try {
    return await fn(openVault(store, root, process.env));
  } finally {
    await store.close();
  }
}

/** The value from stdin: prompted for without echo on a terminal, else all of stdin less one trailing newline. */
async function readValue(name: string): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) return promptHidden(stdin, `Value for ${name} (input hidden): `);
  const chunks: Buffer[] = [];
  for await (const chunk of stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return stripOneNewline(Buffer.concat(chunks).toString('utf8'));
}

export function stripOneNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/** Reads one line in raw mode so it is not echoed; Enter ends it, Ctrl-C cancels. */
function promptHidden(stdin: NodeJS.ReadStream, prompt: string): Promise<string> {
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003')
          return finish(new TandemError('TANDEM_CANCELLED', 'cancelled; no secret was written'));
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}
