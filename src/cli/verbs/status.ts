import type { Command } from 'commander';
import type { DeploymentView } from '../../control/control-plane.js';
import { type HistoryEvent, mergeHistory } from '../../control/history-events.js';
import type { Status, StatusService } from '../../control/status.js';
import type { Measurement } from '../../delivery/analysis/types.js';
import { colorEnabled, colors, type GlobalOptions, runAction } from '../output.js';

/** `tandem status` and `tandem history ENV`. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('environments, their rollout, and every service with its release and instances')
    .addHelpText('after', '\n`--json` prints a stable contract: see docs/deploy.md.')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        const { connect } = await import('../control-client.js');
        const status = await connect({
          config: globals.config,
          cwd: process.cwd(),
          env: process.env,
        }).api.status();
        if (globals.json) process.stdout.write(`${JSON.stringify(status)}\n`);
        else process.stdout.write(formatStatus(status));
        return 0;
      });
    });

  program
    .command('history')
    .description('the deployments of an environment, its autoscaler changes and incidents, newest first')
    .argument('<env>', 'environment name')
    .option('--limit <n>', 'how many', '20')
    .action(async (env: string, opts: { limit: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        const { connect } = await import('../control-client.js');
        const client = connect({ config: globals.config, cwd: process.cwd(), env: process.env });
        // `events` is absent from a control plane older than issue 5.
        const { deployments, events = [] } = await client.api.history(env, { limit: Number(opts.limit) });
        if (globals.json) {
          process.stdout.write(`${JSON.stringify({ environment: env, deployments, events })}\n`);
          return 0;
        }
        process.stdout.write(formatHistory(env, deployments, events));
        return 0;
      });
    });
}

/** The text of `tandem history ENV`: deployments with autoscaler changes and incidents in between. */
export function formatHistory(env: string, deployments: DeploymentView[], events: HistoryEvent[]): string {
  const out: string[] = [];
  if (deployments.length === 0) out.push(`no deployments to ${env} yet`);
  for (const entry of mergeHistory(deployments, events)) {
    if (entry.kind === 'event') {
      out.push(`${entry.at.replace('T', ' ').slice(0, 19)}  ${entry.event.summary}`);
      continue;
    }
    const { deployment: d, state, rollouts, trigger } = entry.view;
    const took = d.finishedAt
      ? ` in ${Math.round((Date.parse(d.finishedAt) - Date.parse(d.startedAt)) / 100) / 10}s`
      : '';
    out.push(
      `${d.startedAt.replace('T', ' ').slice(0, 19)}  ${d.id}  ${d.kind.padEnd(8)} ${d.release.padEnd(16)} ${state}${took}${d.fromRelease ? `  (from ${d.fromRelease})` : ''}`,
    );
    if (trigger) out.push(`    ${trigger}`);
    if (d.reason && state !== 'promoted') {
      for (const line of d.reason.split('\n').slice(0, 8)) out.push(`    ${line}`);
    }
    for (const r of rollouts) {
      for (const m of r.analysis?.measurements ?? []) {
        out.push(`    ${r.service} ${new Date(m.at).toISOString().slice(11, 19)} ${describeMeasurement(m)}`);
      }
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

export function formatStatus(status: Status): string {
  const c = colors(colorEnabled());
  const out: string[] = [];
  if (status.environments.length === 0) out.push('no environments in tandem.yaml');
  for (const env of status.environments) {
    const r = env.rollout;
    const rollout = r === null ? 'never deployed' : `${r.kind} of ${r.release} ${r.state} (${r.strategy})`;
    out.push(`${c.bold(env.name)}  ${rollout}`);
    for (const rs of r?.services ?? []) {
      const parts: string[] = [];
      if (rs.weight !== undefined && (rs.state === 'progressing' || rs.state === 'paused'))
        parts.push(`canary at ${rs.weight}%`);
      if (rs.pausedReason) parts.push(rs.pausedReason);
      if (rs.analysis?.last) parts.push(`analysis: ${describeMeasurement(rs.analysis.last)}`);
      if (parts.length > 0) out.push(c.dim(`  ${rs.name}: ${parts.join('; ')}`));
    }
    for (const s of env.services) {
      const where = s.listen === null ? '' : `  http://127.0.0.1:${s.listen}/`;
      const ready = `${s.replicas.ready}/${s.replicas.desired} ready`;
      out.push(
        `  ${s.name}  ${s.release || '-'}  ${s.replicas.ready >= s.replicas.desired ? c.green(ready) : c.yellow(ready)}${where}`,
      );
      const observe = observeLines(s);
      if (observe.autoscale) out.push(c.dim(`    ${observe.autoscale}`));
      if (observe.alerts)
        out.push(`    ${s.alerts?.firing ? c.red(observe.alerts) : c.yellow(observe.alerts)}`);
      if (observe.health) out.push(c.dim(`    ${observe.health}`));
      for (const i of s.instances) {
        const health = i.healthy ? c.green('healthy') : c.red('unhealthy');
        const restarts = i.restarts > 0 ? `  restarts ${i.restarts}` : '';
        out.push(
          `    ${i.id}  ${i.revision}  ${i.state}  ${health}${i.inTraffic ? '  in traffic' : ''}  pid ${i.pid ?? '-'} port ${i.port}${restarts}`,
        );
        for (const line of i.lastLines ?? []) out.push(c.dim(`      | ${line}`));
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** "fail: 100 requests, 30.0% errors, p95 4ms — error rate 30.0% > max 1.0%" */
export function describeMeasurement(m: Measurement): string {
  const c = m.canary;
  const p95 = c.p95Ms === null ? '' : `, p95 ${Math.round(c.p95Ms)}ms`;
  const why = m.reasons.length > 0 ? ` — ${m.reasons[0]}` : '';
  return `${m.verdict}: ${c.requests} requests, ${(c.errorRate * 100).toFixed(1)}% errors${p95}${why}`;
}

const REASON_MAX = 100;

/**
 * The operations lines of a service in `tandem status` (each only when there is something to say):
 *   autoscale 2–6 (rps 200/instance): 2 → 4 at 09:50:12 — rps 412/instance vs target 200: ratio 2.06 → 5…
 *   alerts: 1 firing (web-down), 1 pending
 *   SLO availability 99.9%: 82% of budget left · uptime 1d 99.98%, 30d 99.9%
 */
export function observeLines(s: StatusService): { autoscale?: string; alerts?: string; health?: string } {
  const out: { autoscale?: string; alerts?: string; health?: string } = {};
  const a = s.autoscale;
  if (a) {
    const d = a.lastDecision;
    const head = `autoscale ${a.min}–${a.max} (${describeTarget(a.target)})`;
    if (d === null) out.autoscale = `${head}: no decision yet`;
    else {
      const change = d.from === d.to ? `holding ${d.to}` : `${d.from} → ${d.to}`;
      const reason = d.reason.length > REASON_MAX ? `${d.reason.slice(0, REASON_MAX - 1)}…` : d.reason;
      out.autoscale = `${head}: ${change} at ${new Date(d.at).toISOString().slice(11, 19)}${reason ? ` — ${reason}` : ''}`;
    }
  }
  const al = s.alerts;
  if (al && al.firing + al.pending + al.nodata > 0) {
    const parts: string[] = [];
    if (al.firing > 0)
      parts.push(`${al.firing} firing${al.names.length > 0 ? ` (${al.names.join(', ')})` : ''}`);
    if (al.pending > 0) parts.push(`${al.pending} pending`);
    if (al.nodata > 0) parts.push(`${al.nodata} no data`);
    out.alerts = `alerts: ${parts.join(', ')}`;
  }
  const health: string[] = [];
  for (const o of s.slo ?? []) {
    const left =
      o.remaining === null
        ? 'no data yet'
        : o.remaining <= 0
          ? `budget spent (${Math.round(o.remaining * 100)}%)`
          : `${Math.round(o.remaining * 100)}% of budget left`;
    health.push(`SLO ${o.objective} ${percent(o.target)}: ${left}`);
  }
  const up = s.uptime;
  if (up) {
    const windows = (['1d', '30d', '90d'] as const).flatMap((w) => {
      const v = up[w];
      return v === null ? [] : [`${w} ${percent(v)}`];
    });
    if (windows.length > 0) health.push(`uptime ${windows.join(', ')}`);
  }
  if (health.length > 0) out.health = health.join(' · ');
  return out;
}

function describeTarget(t: { kind: string; value: number }): string {
  const v = Number(t.value.toPrecision(6));
  switch (t.kind) {
    case 'p95':
      return `p95 ${v}ms`;
    case 'cpu':
      return `cpu ${v} cores/instance`;
    default:
      return `${t.kind} ${v}/instance`;
  }
}

/** 0.999 → `99.9%`, 0.99984 → `99.98%`, 1 → `100%`; rounded down, so 99.999% never reads 100%. */
function percent(ratio: number): string {
  return `${Math.floor(ratio * 10_000 + 1e-6) / 100}%`;
}
