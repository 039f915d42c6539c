/**
 * Seeds a Tandem store (and metrics store) with a large, realistic history for the API
 * benchmark: N services in each environment, each deployed by canary again and again, with
 * pipeline runs, releases, alerts, autoscaler decisions and incidents in between, up to a given
 * number of events. Rows are written in bulk inside one transaction, in the shapes the
 * repositories write (same event types and data, environment and service filled in as
 * EventsRepository.append does), so every read path sees what production would.
 */
import type { Rollout } from '../src/delivery/types.js';
import type { MetricsStore, Sample } from '../src/observe/metrics/types.js';
import { LATENCY_BUCKETS_MS } from '../src/proxy/types.js';
import type { Store } from '../src/store/store.js';

export interface SeedOptions {
  services: number;
  environments: readonly string[];
  /** Total events to write (about: the last cycle is written whole). */
  events: number;
  /** The end of the history (ms). */
  now: number;
  /** Deploy cycles (each deploys every service of every environment once). */
  cycles?: number;
}

export interface SeedResult {
  services: string[];
  events: number;
  deployments: number;
  rollouts: number;
  runs: number;
  releases: number;
  openIncidents: number;
  firingAlerts: number;
}

const DAY = 86_400_000;
const ROWS_PER_INSERT = 400;

export function serviceNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `svc${String(i).padStart(4, '0')}`);
}

/** A tandem.yaml with `services` services in every environment (production as a canary). */
export function seedConfig(opts: Pick<SeedOptions, 'services' | 'environments'>): string {
  const names = serviceNames(opts.services);
  const lines = [
    'project: bench',
    'owners: { team: platform }',
    'pipeline:',
    '  jobs:',
    '    build: { run: "true" }',
    'services:',
  ];
  names.forEach((name, i) => {
    lines.push(`  ${name}:`, '    run: node app.js', '    replicas: 2');
    if (i % 10 === 0) lines.push('    autoscale: { min: 2, max: 8, target: { rps: 200 } }');
    if (i % 3 === 0) lines.push(`    owners: { team: team${i % 7} }`);
  });
  lines.push('environments:');
  opts.environments.forEach((env, e) => {
    lines.push(`  ${env}:`, `    listen: { ${names[0]}: ${21000 + e} }`);
    if (env === 'production')
      lines.push('    strategy: canary', '    steps:', '      - { weight: 10 }', '      - { weight: 50 }');
  });
  return `${lines.join('\n')}\n`;
}

interface EventRow {
  at: string;
  type: string;
  subject_kind: string;
  subject_id: string;
  data: string;
  environment: string | null;
  service: string | null;
}

/** A deterministic pseudo-random sequence (the same history on every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export async function seedStore(store: Store, opts: SeedOptions): Promise<SeedResult> {
  const random = rng(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const names = serviceNames(opts.services);
  const envs = opts.environments;
  const cycles = opts.cycles ?? 20;
  const perCycleDeploy = envs.length * (2 * names.length + 2);
  const runsPerCycle = 30;
  const perCyclePipeline = runsPerCycle * 11 + 2;
  const fillerPerCycle = Math.max(
    0,
    Math.floor((opts.events - cycles * (perCycleDeploy + perCyclePipeline)) / cycles),
  );
  const start = opts.now - 30 * DAY;
  const span = (opts.now - 60_000 - start) / cycles;

  const events: EventRow[] = [];
  const ev = (
    at: number,
    type: string,
    kind: string,
    id: string,
    data: Record<string, unknown>,
    environment: string | null = null,
    service: string | null = null,
  ) =>
    events.push({
      at: new Date(at).toISOString(),
      type,
      subject_kind: kind,
      subject_id: id,
      data: JSON.stringify(data),
      environment,
      service,
    });

  const runs: Array<Record<string, unknown>> = [];
  const jobs: Array<Record<string, unknown>> = [];
  const releases: Array<Record<string, unknown>> = [];
  const deployments: Array<Record<string, unknown>> = [];
  const rollouts: Array<Record<string, unknown>> = [];
  const incidents: Array<Record<string, unknown>> = [];
  let incidentSeq = 0;
  let releaseSeq = 0;
  let previousRelease: string | null = null;
  const openIncident = new Map<string, string>();

  for (let c = 0; c < cycles; c++) {
    const t0 = start + c * span;
    const last = c === cycles - 1;
    // Pushes and pipeline runs; the last of the cycle builds the release.
    let t = t0;
    let runId = '';
    const commit = (c * 7919 + 1).toString(16).padStart(40, 'a');
    for (let r = 0; r < runsPerCycle; r++) {
      runId = `run-${c}-${r}`;
      t += 20_000;
      const started = new Date(t).toISOString();
      ev(t, 'pipeline.run.started', 'pipeline_run', runId, {
        project: 'bench',
        branch: 'main',
        commit,
        jobs: ['lint', 'test', 'build'],
      });
      for (const [j, job] of ['lint', 'test', 'build'].entries()) {
        const status =
          r % 9 === 0 && job === 'test' ? 'failed' : j === 0 && r % 2 === 0 ? 'cached' : 'passed';
        ev(t + 1000 * j, 'pipeline.job.attempt.started', 'pipeline_run', runId, { job, attempt: 1 });
        ev(t + 1000 * j + 900, 'pipeline.job.attempt.finished', 'pipeline_run', runId, {
          job,
          attempt: 1,
          status: status === 'cached' ? 'passed' : status,
          exitCode: status === 'failed' ? 1 : 0,
          durationMs: 900,
        });
        ev(t + 1000 * j + 950, 'pipeline.job.finished', 'pipeline_run', runId, {
          job,
          status,
          durationMs: 900,
          attempts: 1,
          cacheKey: `k${c}${r}${j}`,
        });
        jobs.push({
          run_id: runId,
          name: job,
          position: j,
          status,
          cache_key: `k${c}${r}${j}`,
          attempts: 1,
          duration_ms: 900,
          reason: status === 'cached' ? 'cache hit' : null,
          log_path: `.tandem/runs/${runId}/${job}.log`,
          finished_at: new Date(t + 1000 * j + 950).toISOString(),
        });
      }
      const failed = r % 9 === 0;
      ev(t + 3000, 'pipeline.run.finished', 'pipeline_run', runId, {
        status: failed ? 'failed' : 'passed',
        durationMs: 3000,
        jobs: [],
      });
      runs.push({
        id: runId,
        project: 'bench',
        branch: 'main',
        commit,
        status: failed ? 'failed' : 'passed',
        started_at: started,
        finished_at: new Date(t + 3000).toISOString(),
        duration_ms: 3000,
      });
    }
    releaseSeq += 1;
    const release = `r${releaseSeq}-${commit.slice(0, 7)}`;
    t += 10_000;
    ev(t, 'release.created', 'release', release, {
      project: 'bench',
      commit,
      ref: 'main',
      dir: `releases/${release}/src`,
    });
    ev(t + 5000, 'release.ready', 'release', release, { runId });
    releases.push({
      id: release,
      seq: releaseSeq,
      project: 'bench',
      commit,
      ref: 'main',
      run_id: runId,
      dir: `releases/${release}/src`,
      config: '{}',
      status: 'ready',
      reason: null,
      created_at: new Date(t).toISOString(),
      finished_at: new Date(t + 5000).toISOString(),
    });

    // Each environment deploys the release to every service as a canary.
    for (const env of envs) {
      t += 60_000;
      const id = `d${c}-${env}`;
      const progressing = last && env === 'production';
      ev(
        t,
        'deployment.started',
        'deployment',
        id,
        {
          environment: env,
          kind: 'deploy',
          release,
          from: previousRelease,
          services: names,
          strategy: 'canary',
          trigger: 'manual',
        },
        env,
      );
      deployments.push({
        id,
        environment: env,
        kind: 'deploy',
        release,
        from_release: previousRelease,
        state: progressing ? 'progressing' : 'succeeded',
        reason: null,
        started_at: new Date(t).toISOString(),
        finished_at: progressing ? null : new Date(t + 120_000).toISOString(),
      });
      for (const s of names) {
        const rid = `${id}.${s}`;
        ev(
          t + 1000,
          'rollout.progressing',
          'deployment',
          id,
          { rollout: rid, service: s, from: 'pending', step: 0 },
          env,
          s,
        );
        const record: Rollout = {
          id: rid,
          service: s,
          strategy: { name: 'canary', steps: [{ weight: 10 }, { weight: 50 }] },
          from: previousRelease,
          to: release,
          replicas: 2,
          state: progressing ? 'progressing' : 'promoted',
          step: progressing ? 1 : 2,
          startedAt: t,
          stepStartedAt: t + 60_000,
          updatedAt: t + 60_000,
          ...(progressing
            ? {
                analysis: {
                  measurements: Array.from({ length: 6 }, (_, m) => ({
                    at: t + 10_000 * (m + 1),
                    windowMs: 10_000,
                    verdict: 'pass' as const,
                    canary: { requests: 120, errorRate: 0.001, p50Ms: 4, p95Ms: 18, p99Ms: 40 },
                    stable: { requests: 1080, errorRate: 0.001, p50Ms: 4, p95Ms: 17, p99Ms: 38 },
                    reasons: [],
                  })),
                  failures: 0,
                  inconclusive: 0,
                  outcome: 'continue' as const,
                },
              }
            : {}),
        };
        if (progressing)
          ev(
            t + 60_000,
            'rollout.step',
            'deployment',
            id,
            { rollout: rid, service: s, step: 1, weight: 50 },
            env,
            s,
          );
        else
          ev(
            t + 110_000,
            'rollout.promoted',
            'deployment',
            id,
            { rollout: rid, service: s, from: 'progressing', step: 2 },
            env,
            s,
          );
        rollouts.push({
          id: rid,
          deployment_id: id,
          environment: env,
          service: s,
          state: record.state,
          record: JSON.stringify(record),
          updated_at: new Date(t + 60_000).toISOString(),
        });
      }
      if (!progressing) ev(t + 120_000, 'deployment.succeeded', 'deployment', id, { environment: env }, env);
    }
    previousRelease = release;

    // Between deploys: alerts, autoscaler decisions and incidents on random services.
    for (let f = 0; f < fillerPerCycle; f++) {
      t += Math.max(1000, (span - (t - t0)) / Math.max(1, fillerPerCycle - f) / 2);
      const env = pick(envs);
      const s = pick(names);
      const kind = random();
      if (kind < 0.55) {
        const fp = `${env}.${s}.errors`;
        const firing = f % 2 === 0;
        ev(
          t,
          firing ? 'alert.firing' : 'alert.resolved',
          'alert',
          fp,
          {
            rule: 'errors',
            environment: env,
            service: s,
            from: firing ? 'pending' : 'firing',
            value: 0.07,
            threshold: 0.05,
            severity: 'page',
          },
          env,
          s,
        );
      } else if (kind < 0.92) {
        const to = 2 + Math.floor(random() * 6);
        ev(
          t,
          'service.scaled',
          'service',
          `${env}.${s}`,
          {
            environment: env,
            service: s,
            replicas: to,
            by: 'autoscaler',
            decision: { from: 2, to, reason: `rps ${to * 90}/instance against target 200`, limitedBy: null },
          },
          env,
          s,
        );
      } else {
        const key = `${env}.${s}`;
        const open = openIncident.get(key);
        if (open === undefined) {
          incidentSeq += 1;
          const incident = `inc-${incidentSeq}`;
          openIncident.set(key, incident);
          ev(
            t,
            'incident.opened',
            'incident',
            incident,
            {
              environment: env,
              service: s,
              title: 'errors above 5%',
              severity: 'page',
              cause: { kind: 'alert', ref: `${key}.errors` },
              releases: [release],
              suspects: [],
            },
            env,
            s,
          );
          incidents.push({
            id: incident,
            seq: incidentSeq,
            environment: env,
            service: s,
            title: 'errors above 5%',
            severity: 'page',
            state: 'open',
            opened_at: new Date(t).toISOString(),
            resolved_at: null,
            resolved_by: null,
            cause_kind: 'alert',
            cause_ref: `${key}.errors`,
            releases: JSON.stringify([release]),
            alerts: JSON.stringify([`${key}.errors`]),
            resolution: null,
          });
        } else {
          openIncident.delete(key);
          ev(
            t,
            'incident.resolved',
            'incident',
            open,
            { environment: env, service: s, severity: 'page', by: 'tandem', note: null, durationMs: 600_000 },
            env,
            s,
          );
          const row = incidents.find((i) => i.id === open);
          if (row !== undefined)
            Object.assign(row, {
              state: 'resolved',
              resolved_at: new Date(t).toISOString(),
              resolved_by: 'tandem',
            });
        }
      }
    }
  }

  // Production still runs the release before the canary in progress; the others run the last one.
  const serving = (env: string) => releases.at(env === 'production' ? -2 : -1)?.id as string;
  const states = envs.flatMap((env) =>
    names.map((service) => ({
      environment: env,
      service,
      release: serving(env),
      replicas: 2,
      updated_at: new Date(opts.now - DAY).toISOString(),
    })),
  );
  const alertStates = envs.flatMap((env) =>
    names.map((service, i) => ({
      fingerprint: `${env}.${service}.errors`,
      rule: 'errors',
      environment: env,
      service,
      state: i % 50 === 0 ? 'firing' : 'inactive',
      record: '{}',
      updated_at: new Date(opts.now).toISOString(),
    })),
  );

  await store.transaction(async (trx) => {
    const bulk = async (
      table: Parameters<typeof trx.insertInto>[0],
      rows: Array<Record<string, unknown>>,
    ) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        // Rows are built to each table's shape above.
        await trx
          .insertInto(table)
          .values(rows.slice(i, i + ROWS_PER_INSERT) as never)
          .execute();
      }
    };
    await bulk('pipeline_runs', runs);
    await bulk('pipeline_jobs', jobs);
    await bulk('releases', releases);
    await bulk('deployments', deployments);
    await bulk('rollouts', rollouts);
    await bulk('service_state', states);
    await bulk('incidents', incidents);
    await bulk('alert_states', alertStates);
    await bulk('events', events as unknown as Array<Record<string, unknown>>);
  });
  return {
    services: names,
    events: events.length,
    deployments: deployments.length,
    rollouts: rollouts.length,
    runs: runs.length,
    releases: releases.length,
    openIncidents: incidents.filter((i) => i.state === 'open').length,
    firingAlerts: alertStates.filter((a) => a.state === 'firing').length,
  };
}

/** Six 10-second ticks of traffic for every service aggregate, ending at `now`. */
export function seedMetrics(
  metrics: MetricsStore,
  names: readonly string[],
  environments: readonly string[],
  now: number,
): number {
  let written = 0;
  for (let tick = 5; tick >= 0; tick--) {
    const samples = trafficTick(names, environments, now - tick * 10_000);
    metrics.write(samples);
    written += samples.length;
  }
  return written;
}

/** One 10-second tick of traffic for every service aggregate (service-level samples). */
export function trafficTick(names: readonly string[], environments: readonly string[], at: number): Sample[] {
  const buckets = LATENCY_BUCKETS_MS.length + 1;
  const samples: Sample[] = [];
  for (const environment of environments) {
    for (const [i, service] of names.entries()) {
      const requests = 100 + (i % 50) * 10;
      const latency = new Array<number>(buckets).fill(0);
      latency[2] = Math.floor(requests * 0.5);
      latency[4] = Math.floor(requests * 0.45);
      latency[6] = requests - (latency[2] as number) - (latency[4] as number);
      samples.push({
        environment,
        service,
        instance: '',
        at,
        intervalMs: 10_000,
        revision: 'r1',
        requests,
        errors: i % 13 === 0 ? 3 : 0,
        latency,
        latencySumMs: requests * 12,
        inflight: 2,
        cpuSeconds: 0.5,
        rssBytes: 64 * 1024 * 1024,
        healthy: 2,
        instances: 2,
      });
    }
  }
  return samples;
}
