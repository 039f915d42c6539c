import type { Command } from 'commander';
import type { AlertRow } from '../../control/incident-ops.js';
import type { ControlClient } from '../control-client.js';
import type { Colors } from '../output.js';
import { ago, palette, table, withClient } from './incident.js';

/** `tandem alerts`: every alert that is not inactive, with the silence covering it. */
export function registerAlerts(program: Command): void {
  program
    .command('alerts')
    .description('current alerts (pending, firing, nodata), newest first, and which are silenced')
    .option('--all', 'include inactive alerts')
    .action(async (opts: { all?: boolean }, cmd: Command) => {
      await withClient(cmd, (client, json) => alertsList(client, { ...opts, json }));
    });
}

export async function alertsList(
  client: ControlClient,
  opts: { all?: boolean; json?: boolean },
): Promise<string> {
  const { alerts } = await client.api.alerts();
  if (opts.json) return `${JSON.stringify({ alerts })}\n`;
  return formatAlerts(alerts, { all: Boolean(opts.all), now: Date.now(), c: palette() });
}

export function formatAlerts(alerts: AlertRow[], opts: { all: boolean; now: number; c: Colors }): string {
  const { c } = opts;
  const shown = opts.all ? alerts : alerts.filter((a) => a.state !== 'inactive');
  const hidden = alerts.length - shown.length;
  const footer =
    hidden > 0 ? c.dim(`${hidden} inactive alert${hidden === 1 ? '' : 's'} not shown (--all)\n`) : '';
  if (shown.length === 0) return `no alerts${hidden > 0 ? ' firing' : ''}\n${footer}`;
  const paint = (state: string) =>
    state === 'firing' ? c.red(state) : state === 'inactive' ? c.dim(state) : c.yellow(state);
  return (
    table(
      ['STATE', 'ALERT', 'WHERE', 'VALUE', 'SINCE', 'SEVERITY', 'SILENCED'],
      shown.map((a) => [
        paint(a.state),
        a.alert,
        `${a.environment}/${a.service}`,
        a.value === null ? '-' : formatValue(a.value),
        a.since === null ? '-' : ago(a.since, opts.now),
        a.severity ?? '-',
        a.silenced ?? '-',
      ]),
    ) + footer
  );
}

/** Up to 4 significant digits, no exponent for everyday sizes. */
export function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}
