import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { ControlClient } from '../control-client.js';
import { ago, palette, table, withClient } from './incident.js';

/** `tandem silence add|list|expire`: mute notifications of matching alerts for a while. */
export function registerSilence(program: Command): void {
  const silence = program
    .command('silence')
    .description(
      'mute the notifications of matching alerts for a while (they still show in `tandem alerts`)',
    );

  silence
    .command('add')
    .description('silence the alerts matching every MATCHER; prints the silence id')
    .argument('<matchers...>', 'label=value, label!=value or label=~regex (e.g. service=web severity!=page)')
    .requiredOption('--comment <text>', 'why (shown with the silenced alerts)')
    .option('--duration <d>', 'how long, e.g. 30m, 2h, 1d (default 1h, at most 30d)')
    .option('--until <iso>', 'when it ends, ISO-8601 (instead of --duration)')
    .addHelpText(
      'after',
      '\nExample:\n  $ tandem silence add service=web alertname=~web-.* --comment "migrating the db" --duration 2h',
    )
    .action(async (matchers: string[], opts: SilenceAddOptions, cmd: Command) => {
      await withClient(cmd, (client, json) => silenceAdd(client, matchers, { ...opts, json }));
    });

  silence
    .command('list')
    .description('active silences, newest first (--all: pending and expired ones too)')
    .option('--all', 'include expired silences')
    .action(async (opts: { all?: boolean }, cmd: Command) => {
      await withClient(cmd, (client, json) => silenceList(client, { ...opts, json }));
    });

  silence
    .command('expire')
    .description('end a silence now')
    .argument('<id>', 'silence id (sil-…)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, (client, json) => silenceExpire(client, id, { json }));
    });
}

export interface SilenceAddOptions {
  comment: string;
  duration?: string;
  until?: string;
  json?: boolean;
}

export async function silenceAdd(
  client: ControlClient,
  matchers: string[],
  opts: SilenceAddOptions,
): Promise<string> {
  if (opts.duration !== undefined && opts.until !== undefined) {
    throw new UsageError('give --duration or --until, not both');
  }
  const silence = await client.api.createSilence({
    matchers,
    comment: opts.comment,
    ...(opts.duration === undefined ? {} : { duration: opts.duration }),
    ...(opts.until === undefined ? {} : { until: opts.until }),
  });
  // Only the id, so scripts can keep it: `id=$(tandem silence add ...)`.
  return opts.json ? `${JSON.stringify(silence)}\n` : `${silence.id}\n`;
}

export async function silenceList(
  client: ControlClient,
  opts: { all?: boolean; json?: boolean },
): Promise<string> {
  const { silences } = await client.api.silences({ all: Boolean(opts.all) });
  if (opts.json) return `${JSON.stringify({ silences })}\n`;
  if (silences.length === 0)
    return opts.all ? 'no silences\n' : 'no active silences (--all shows expired ones)\n';
  const c = palette();
  const now = Date.now();
  return table(
    ['ID', 'STATE', 'MATCHERS', 'ENDS', 'BY', 'COMMENT'],
    silences.map((s) => [
      s.id,
      s.state === 'active' ? c.yellow(s.state) : c.dim(s.state),
      s.matchers.map((m) => `${m.label}${m.op}${m.value}`).join(' '),
      ago(s.expiredAt ?? s.endsAt, now),
      s.createdBy,
      s.comment,
    ]),
  );
}

export async function silenceExpire(
  client: ControlClient,
  id: string,
  opts: { json?: boolean },
): Promise<string> {
  const silence = await client.api.expireSilence(id);
  return opts.json ? `${JSON.stringify(silence)}\n` : `${silence.id}: expired\n`;
}
