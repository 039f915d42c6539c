import type { Command } from 'commander';
import type { IncidentDetail } from '../../control/incident-ops.js';
import type { ControlClient } from '../control-client.js';
import { type Colors, colorEnabled, colors, type GlobalOptions, runAction } from '../output.js';

/** `tandem incident list|show|resolve`. */
export function registerIncident(program: Command): void {
  const incident = program
    .command('incident')
    .description('incidents: opened by a firing page alert or an automatic rollback');

  incident
    .command('list')
    .description('open incidents, newest first (--all: resolved ones too)')
    .option('--all', 'include resolved incidents')
    .option('--environment <env>', 'only this environment')
    .option('--service <service>', 'only this service')
    .option('--limit <n>', 'how many', '20')
    .action(async (opts: IncidentListOptions, cmd: Command) => {
      await withClient(cmd, (client, json) => incidentList(client, { ...opts, json }));
    });

  incident
    .command('show')
    .description('one incident with its linked releases, alerts and timeline')
    .argument('<id>', 'incident id (inc-3, or 3)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, (client, json) => incidentShow(client, id, { json }));
    });

  incident
    .command('resolve')
    .description('resolve an incident by hand (it also resolves when its alerts clear)')
    .argument('<id>', 'incident id (inc-3, or 3)')
    .option('--note <text>', 'what was done; recorded with the incident')
    .action(async (id: string, opts: { note?: string }, cmd: Command) => {
      await withClient(cmd, (client, json) => incidentResolve(client, id, { ...opts, json }));
    });
}

/**
 * Connects the way every verb does (exit 3 when no control plane is reachable), runs `fn` and
 * prints what it returns.
 */
export async function withClient(
  cmd: Command,
  fn: (client: ControlClient, json: boolean) => Promise<string>,
): Promise<void> {
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  const json = Boolean(globals.json);
  await runAction(json, async () => {
    const { connect } = await import('../control-client.js');
    const client = connect({ config: globals.config, cwd: process.cwd(), env: process.env });
    process.stdout.write(await fn(client, json));
    return 0;
  });
}

export interface IncidentListOptions {
  all?: boolean;
  environment?: string;
  service?: string;
  limit?: string;
  json?: boolean;
}

export async function incidentList(client: ControlClient, opts: IncidentListOptions): Promise<string> {
  const { incidents } = await client.api.incidents({
    ...(opts.all ? {} : { state: 'open' }),
    ...(opts.environment ? { environment: opts.environment } : {}),
    ...(opts.service ? { service: opts.service } : {}),
    ...(opts.limit ? { limit: Number(opts.limit) } : {}),
  });
  if (opts.json) return `${JSON.stringify({ incidents })}\n`;
  if (incidents.length === 0)
    return opts.all ? 'no incidents\n' : 'no open incidents (--all shows resolved ones)\n';
  const c = palette();
  const now = Date.now();
  return table(
    ['ID', 'STATE', 'WHERE', 'SEVERITY', 'OPENED', 'TITLE'],
    incidents.map((i) => [
      i.id,
      i.state === 'open' ? c.red(i.state) : c.green(i.state),
      `${i.environment}/${i.service}`,
      i.severity,
      `${ago(i.openedAt, now)}${i.resolvedAt ? `, for ${span(i.openedAt, i.resolvedAt)}` : ''}`,
      i.title,
    ]),
  );
}

export async function incidentShow(
  client: ControlClient,
  id: string,
  opts: { json?: boolean },
): Promise<string> {
  const detail = await client.api.incident(id);
  if (opts.json) return `${JSON.stringify(detail)}\n`;
  return formatIncident(detail, palette(), Date.now());
}

export async function incidentResolve(
  client: ControlClient,
  id: string,
  opts: { note?: string; json?: boolean },
): Promise<string> {
  const incident = await client.api.resolveIncident(id, opts.note === undefined ? {} : { note: opts.note });
  if (opts.json) return `${JSON.stringify(incident)}\n`;
  return `${incident.id}: resolved after ${span(incident.openedAt, incident.resolvedAt ?? incident.openedAt)}\n`;
}

export function formatIncident(d: IncidentDetail, c: Colors, now: number): string {
  const i = d.incident;
  const out: string[] = [];
  const state = i.state === 'open' ? c.red('open') : c.green('resolved');
  out.push(`${c.bold(i.id)}  ${state}  ${i.severity}  ${i.environment}/${i.service}`);
  out.push(`  ${i.title}`);
  out.push(`  opened    ${when(i.openedAt)} (${ago(i.openedAt, now)})`);
  if (i.resolvedAt) {
    out.push(
      `  resolved  ${when(i.resolvedAt)} by ${i.resolvedBy ?? '?'}, after ${span(i.openedAt, i.resolvedAt)}`,
    );
  }
  if (i.resolution) out.push(`  note      ${i.resolution}`);
  out.push(`  cause     ${i.cause.kind === 'alert' ? `alert ${i.cause.ref}` : `rollback ${i.cause.ref}`}`);
  out.push('', c.bold('Releases'));
  if (d.releases.length === 0) out.push(c.dim('  none linked'));
  for (const r of d.releases) {
    const parts = [
      r.commit ? r.commit.slice(0, 7) : null,
      r.ref,
      r.status,
      r.createdAt ? when(r.createdAt) : null,
    ];
    out.push(
      `  ${r.id}  ${parts.filter((p) => p !== null).join('  ') || c.dim('(not in the store)')}${r.suspect ? `  ${c.yellow('suspect')}` : ''}`,
    );
  }
  out.push('', c.bold('Alerts'));
  if (d.alerts.length === 0) out.push(c.dim('  none attached'));
  for (const a of d.alerts) {
    out.push(`  ${a.fingerprint}  ${a.rule ?? c.dim('(gone)')}${a.state ? `  ${a.state}` : ''}`);
  }
  out.push('', c.bold('Timeline'));
  for (const e of d.timeline)
    out.push(`  ${when(e.at)}  ${e.type.replace(/^incident\./, '')}${describeEvent(e.data)}`);
  return `${out.join('\n')}\n`;
}

function describeEvent(data: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof data.alert === 'string') parts.push(`alert ${data.alert}`);
  if (typeof data.deployment === 'string') parts.push(`deployment ${data.deployment}`);
  if (Array.isArray(data.releases) && data.releases.length > 0)
    parts.push(`releases ${data.releases.join(', ')}`);
  if (typeof data.by === 'string') parts.push(`by ${data.by}`);
  if (typeof data.note === 'string') parts.push(`"${data.note}"`);
  return parts.length > 0 ? `  ${parts.join('; ')}` : '';
}

export function palette(): Colors {
  return colors(colorEnabled());
}

/** Columns padded to their widest cell (ANSI colour codes do not count). */
export function table(header: string[], rows: string[][]): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((r) => visible(r[col] ?? ''))));
  const line = (r: string[]) =>
    r
      .map((cell, col) =>
        col === r.length - 1 ? cell : cell + ' '.repeat((widths[col] ?? 0) - visible(cell)),
      )
      .join('  ')
      .trimEnd();
  return `${all.map(line).join('\n')}\n`;
}

/** `2025-01-31 18:00:00` (UTC, as `tandem history` prints). */
export function when(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}

/** `5m ago`. */
export function ago(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '-';
  // Round a future time up, so a 2h silence created a moment ago still says `in 2h`.
  if (t > now) return `in ${compact(Math.ceil((t - now) / 1000) * 1000)}`;
  return `${compact(now - t)} ago`;
}

export function span(fromIso: string, toIso: string): string {
  return compact(Math.max(0, Date.parse(toIso) - Date.parse(fromIso)));
}

/** 45s, 12m, 3h20m, 2d4h. */
export function compact(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
}
