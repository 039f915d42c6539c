/**
 * `tandem up`: loads the config, adopts or starts the agent, starts the control plane and its
 * API, writes server.json, and deploys HEAD to every environment that never had a deploy.
 */
import type { Server } from 'node:http';
import { ensureAgent } from '../agent/ensure-agent.js';
import { loadConfig } from '../config/load.js';
import { ControlPlane } from '../control/control-plane.js';
import type { AgentApi } from '../control/ports.js';
import { planEnvironments } from '../delivery/environment-plan.js';
import { TandemError } from '../errors.js';
import { logger } from '../log/logger.js';
import { openVault } from '../secrets/vault.js';
import { openStore, stateDir } from '../store/open.js';
import type { StoredEvent } from '../store/repositories/events.js';
import type { Store } from '../store/store.js';
import { createApiServer } from './api-server.js';
import { createAuditLog, createRequestAuth, ensureLocalToken } from './auth/index.js';
import { accessRoutes } from './routes/access-routes.js';
import { insightRoutes } from './routes/insight-routes.js';
import { secretRoutes } from './routes/secret-routes.js';
import { readServerFileAt, removeServerFile, serverFilePath, writeServerFile } from './server-file.js';
import { createStaticSite, defaultWebRoot } from './static.js';

export interface ServeOptions {
  config?: string;
  cwd: string;
  port: number;
  host: string;
  env: Record<string, string | undefined>;
  /** The CLI entry point (dist/cli/main.js), to start the agent with. */
  cliPath: string;
  /** Deploy HEAD to environments that never had a deploy (default true). */
  initialDeploy: boolean;
  /** Lines for the person watching (the foreground `tandem up`). */
  print(line: string): void;
}

export interface Serving {
  url: string;
  plane: ControlPlane;
  /** Resolves when the control plane has stopped (after `tandem down` or stop()). */
  done: Promise<void>;
  /** Stops the control plane; with `everything`, also the agent (data plane and services). */
  stop(everything: boolean): Promise<void>;
  /** The CLI's admin token file (`.tandem/run/token`), null when another admin token exists. */
  tokenFile: string | null;
  /** Whether this start created it (the first start prints how to log in). */
  tokenCreated: boolean;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

export async function serve(opts: ServeOptions): Promise<Serving> {
  const loaded = await loadConfig({ config: opts.config, cwd: opts.cwd });
  const authEnabled = loaded.config.server?.auth !== false;
  if (!LOOPBACK_HOSTS.has(opts.host) && !authEnabled) {
    throw new TandemError(
      'TANDEM_NON_LOOPBACK_BIND',
      `refusing to bind the API to ${opts.host} with \`server.auth: false\`: anyone who can reach it could deploy; turn auth on (remove \`server.auth: false\`) or use --host 127.0.0.1`,
      { exitCode: 2 },
    );
  }
  planEnvironments(loaded, { env: opts.env, secrets: undefined });
  const running = readServerFileAt(serverFilePath(loaded.dir));
  if (running !== undefined && (await answers(running.url))) {
    throw new TandemError(
      'TANDEM_ALREADY_UP',
      `a control plane for this project already runs at ${running.url} (pid ${running.pid}); \`tandem down\` stops it`,
    );
  }

  const store = await openStore(loaded.dir);
  await failInterruptedReleases(store);
  const agent = await ensureAgent({
    stateDir: stateDir(loaded.dir),
    cliPath: opts.cliPath,
    env: opts.env as NodeJS.ProcessEnv,
  });
  const plane = new ControlPlane({ loaded, store, agent, env: opts.env });
  // A failed start (a listen port in use...) must not leave behind an agent that runs nothing.
  const abandon = async (err: unknown): Promise<never> => {
    await plane.stop().catch(() => undefined);
    await stopIdleAgent(agent);
    throw err;
  };
  await plane.start().catch(abandon);
  const printer = await followEvents(store, opts.print);

  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let stopping: Promise<void> | undefined;
  let agentDown: Promise<void> | undefined;
  // Stopping the control plane and stopping the agent are separate steps, so a `tandem down`
  // during a SIGTERM-initiated stop still stops the services.
  const stop = async (everything: boolean): Promise<void> => {
    stopping ??= (async () => {
      server.close();
      server.closeAllConnections();
      clearInterval(printer);
      await plane.stop();
      removeServerFile(loaded.dir, process.pid, opts.env);
    })();
    await stopping;
    if (everything) {
      agentDown ??= agent.shutdown().catch((err: unknown) => logger().warn({ err }, 'agent shutdown failed'));
      await agentDown;
    }
    finish();
  };
  // The CLI's admin token (`.tandem/run/token`, 0600), created on the first start.
  const local = await ensureLocalToken({ store, stateDir: stateDir(loaded.dir) });
  const site = createStaticSite({ root: defaultWebRoot() });
  const server = createApiServer({
    plane,
    auth: createRequestAuth({ store, authEnabled }),
    audit: createAuditLog(store).record,
    extraRoutes: [
      ...accessRoutes({ store }),
      ...insightRoutes({ store, plane, agent, env: opts.env }),
      // The vault the control plane reads for runs and deploys: same store, root and env.
      ...secretRoutes({ vault: () => openVault(store, loaded.dir, opts.env) }),
    ],
    fallback: (req, res) => site.handle(req, res),
    onShutdown: () => void stop(true),
  });
  const url = await listen(server, opts.port, opts.host).catch(abandon);
  writeServerFile(
    {
      url,
      pid: process.pid,
      project: loaded.config.project,
      root: loaded.dir,
      config: loaded.file,
      startedAt: new Date().toISOString(),
    },
    opts.env,
  );

  if (opts.initialDeploy) void deployNeverDeployed(plane, store, opts.print);
  return { url, plane, done, stop, tokenFile: local.path, tokenCreated: local.created };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/api/v1/health', url), { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new TandemError(
              'TANDEM_PORT_IN_USE',
              `port ${port} on ${host} is in use (another \`tandem up\`?); pass --port to use another`,
            )
          : err,
      );
    });
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address !== null ? address.port : port;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${actual}`);
    });
  });
}

async function deployNeverDeployed(
  plane: ControlPlane,
  store: Store,
  print: (line: string) => void,
): Promise<void> {
  const status = await plane.status();
  for (const env of status.environments) {
    if ((await store.deployments.history(env.name, 1)).length > 0) continue;
    // An environment fed by another gets its first release when that one promotes it.
    const plan = plane.environments().find((p) => p.name === env.name);
    if (plan?.auto && plan.promoteFrom !== null) continue;
    print(`deploying HEAD to ${env.name} (first deploy; building the release runs the pipeline)`);
    try {
      await plane.deploy({ environment: env.name });
    } catch (err) {
      print(`first deploy to ${env.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      logger().warn({ err, environment: env.name }, 'first deploy failed');
    }
  }
}

/** Prints the timeline as it is written (deployments, rollouts, releases). */
async function followEvents(store: Store, print: (line: string) => void): Promise<NodeJS.Timeout> {
  const [last] = await store.events.list({ order: 'desc', limit: 1 });
  let after = last?.id ?? 0;
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const e of await store.events.list({ afterId: after, limit: 200 })) {
        after = e.id;
        const line = describeEvent(e);
        if (line !== undefined) print(line);
      }
    } catch (err) {
      logger().warn({ err }, 'could not read events');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void poll(), 300);
  timer.unref();
  return timer;
}

export function describeEvent(e: StoredEvent): string | undefined {
  const d = e.data as Record<string, unknown>;
  const reason = typeof d.reason === 'string' ? `: ${d.reason}` : '';
  switch (e.type) {
    case 'release.created':
      return `release ${e.subjectId} created from ${String(d.commit ?? '').slice(0, 7)}`;
    case 'release.ready':
      return `release ${e.subjectId} ready`;
    case 'release.failed':
      return `release ${e.subjectId} failed${reason}`;
    case 'deployment.started':
      return `${d.environment}: ${d.kind} of ${d.release} started (${d.strategy ?? 'no rollout'})`;
    case 'deployment.succeeded':
      return `${d.environment}: deployment ${e.subjectId} succeeded`;
    case 'deployment.failed':
      return `${d.environment}: deployment ${e.subjectId} failed${reason}`;
    case 'deployment.superseded':
      return `deployment ${e.subjectId} superseded by ${d.by}`;
    case 'service.scaled':
      return `${d.environment}.${d.service} scaled to ${d.replicas}`;
    default:
      if (e.type === 'rollout.step')
        return `  ${d.service}: canary at ${d.weight}% (step ${Number(d.step) + 1})`;
      if (e.type.startsWith('rollout.'))
        return `  ${d.service}: rollout ${e.type.slice('rollout.'.length)}${reason}`;
      return undefined;
  }
}

/** Shuts the agent down if no instance runs on it (services that run are never stopped here). */
async function stopIdleAgent(agent: AgentApi): Promise<void> {
  try {
    if ((await agent.state()).instances.length === 0) await agent.shutdown();
  } catch (err) {
    logger().warn({ err }, 'could not stop the idle agent');
  }
}

/** A release left `building` was being built by a control plane that died: it will never finish. */
async function failInterruptedReleases(store: Store): Promise<void> {
  for (const r of await store.releases.list({ limit: 100 })) {
    if (r.status === 'building') {
      await store.releases.markFailed(r.id, 'the control plane stopped while building it; deploy again');
    }
  }
}
