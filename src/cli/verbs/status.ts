import type { Command } from 'commander';
import type { DeploymentView } from '../../control/control-plane.js';
import type { Status } from '../../control/status.js';
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
        }).get<Status>('/v1/status');
        if (globals.json) process.stdout.write(`${JSON.stringify(status)}\n`);
        else process.stdout.write(formatStatus(status));
        return 0;
      });
    });

  program
    .command('history')
    .description('the deployments of an environment, newest first')
    .argument('<env>', 'environment name')
    .option('--limit <n>', 'how many', '20')
    .action(async (env: string, opts: { limit: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        const { connect } = await import('../control-client.js');
        const client = connect({ config: globals.config, cwd: process.cwd(), env: process.env });
        const { deployments } = await client.get<{ deployments: DeploymentView[] }>(
          `/v1/environments/${encodeURIComponent(env)}/history?limit=${encodeURIComponent(opts.limit)}`,
        );
        if (globals.json) {
          process.stdout.write(`${JSON.stringify({ environment: env, deployments })}\n`);
          return 0;
        }
        if (deployments.length === 0) process.stdout.write(`no deployments to ${env} yet\n`);
        for (const { deployment: d, state, rollouts, trigger } of deployments) {
          const took = d.finishedAt
            ? ` in ${Math.round((Date.parse(d.finishedAt) - Date.parse(d.startedAt)) / 100) / 10}s`
            : '';
          process.stdout.write(
            `${d.startedAt.replace('T', ' ').slice(0, 19)}  ${d.id}  ${d.kind.padEnd(8)} ${d.release.padEnd(16)} ${state}${took}${d.fromRelease ? `  (from ${d.fromRelease})` : ''}\n`,
          );
          if (trigger) process.stdout.write(`    ${trigger}\n`);
          if (d.reason && state !== 'promoted') {
            for (const line of d.reason.split('\n').slice(0, 8)) process.stdout.write(`    ${line}\n`);
          }
          for (const r of rollouts) {
            for (const m of r.analysis?.measurements ?? []) {
              process.stdout.write(
                `    ${r.service} ${new Date(m.at).toISOString().slice(11, 19)} ${describeMeasurement(m)}\n`,
              );
            }
          }
        }
        return 0;
      });
    });
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
