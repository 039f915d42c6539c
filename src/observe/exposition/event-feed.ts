/**
 * Turns the store's events (src/store/repositories/{deployments,runs}.ts) into metric updates.
 * Rollout events name the deployment (their subject) and the service but not the environment nor
 * the strategy, so the feed remembers what `deployment.started` said about recent deployments
 * (a bounded book: the oldest are forgotten first; an unknown one is labelled `unknown`).
 */
import type { StoredEvent } from '../../store/repositories/events.js';

export const UNKNOWN = 'unknown';

/** Rollout states counted in tandem_rollouts_total, each when a rollout enters it. */
export const ROLLOUT_OUTCOMES: ReadonlySet<string> = new Set(['promoted', 'aborted', 'rolled-back']);
/** Rollout states after which the service's rollout is over. */
const ROLLOUT_DONE: ReadonlySet<string> = new Set(['promoted', 'rolled-back']);
/** Deployment states that end one (the `deployment.<state>` events of finish() and start()). */
const DEPLOYMENT_ENDS: ReadonlySet<string> = new Set(['succeeded', 'failed', 'superseded']);

/**
 * Incident events. The incidents module appends these with the incident id as subject; they keep
 * tandem_incidents_open current between two setOpenIncidents() calls.
 */
export const INCIDENT_OPENED = 'incident.opened';
export const INCIDENT_RESOLVED = 'incident.resolved';

export interface EventSink {
  rolloutOutcome(labels: { environment: string; service: string; strategy: string; outcome: string }): void;
  rolloutInProgress(environment: string, service: string, inProgress: boolean): void;
  deploymentEnded(labels: { environment: string; kind: string; state: string }): void;
  pipelineRunFinished(status: string, durationSeconds: number | undefined): void;
  incidentOpened(id: string): void;
  incidentResolved(id: string): void;
}

interface BookEntry {
  environment: string;
  kind: string;
  strategy: string;
  /** Services whose rollout in this deployment is under way. */
  active: Set<string>;
}

export class EventFeed {
  private readonly book = new Map<string, BookEntry>();

  constructor(
    private readonly sink: EventSink,
    private readonly maxDeployments = 256,
  ) {}

  /**
   * Seeds a deployment that started before this process (a control plane restarted mid-rollout),
   * so its later events get the right labels.
   */
  trackDeployment(id: string, info: { environment: string; kind: string; strategy?: string | null }): void {
    const known = this.book.get(id);
    if (known !== undefined) {
      known.environment = info.environment;
      known.kind = info.kind;
      if (info.strategy) known.strategy = info.strategy;
      return;
    }
    this.remember(id, {
      environment: info.environment,
      kind: info.kind,
      strategy: info.strategy || UNKNOWN,
      active: new Set(),
    });
  }

  onEvent(e: StoredEvent): void {
    const d = e.data;
    if (e.type === 'deployment.started') {
      const environment = str(d.environment) ?? UNKNOWN;
      this.trackDeployment(e.subjectId, {
        environment,
        kind: str(d.kind) ?? UNKNOWN,
        strategy: str(d.strategy),
      });
      const entry = this.book.get(e.subjectId)!;
      for (const service of Array.isArray(d.services) ? d.services : []) {
        if (typeof service !== 'string') continue;
        entry.active.add(service);
        this.sink.rolloutInProgress(environment, service, true);
      }
      return;
    }
    if (e.type.startsWith('deployment.')) {
      const state = e.type.slice('deployment.'.length);
      if (DEPLOYMENT_ENDS.has(state)) this.deploymentEnded(e.subjectId, state, str(d.environment));
      return;
    }
    if (e.type.startsWith('rollout.') && e.type !== 'rollout.step') {
      const service = str(d.service);
      if (service === undefined) return;
      this.rolloutChanged(e.subjectId, service, e.type.slice('rollout.'.length), str(d.strategy));
      return;
    }
    if (e.type === 'pipeline.run.finished') {
      const ms = typeof d.durationMs === 'number' && Number.isFinite(d.durationMs) ? d.durationMs : undefined;
      this.sink.pipelineRunFinished(str(d.status) ?? UNKNOWN, ms === undefined ? undefined : ms / 1000);
      return;
    }
    if (e.type === INCIDENT_OPENED) this.sink.incidentOpened(e.subjectId);
    else if (e.type === INCIDENT_RESOLVED) this.sink.incidentResolved(e.subjectId);
  }

  private rolloutChanged(deploymentId: string, service: string, state: string, strategy?: string): void {
    const entry = this.entry(deploymentId);
    const environment = entry?.environment ?? UNKNOWN;
    if (ROLLOUT_OUTCOMES.has(state)) {
      this.sink.rolloutOutcome({
        environment,
        service,
        strategy: strategy ?? entry?.strategy ?? UNKNOWN,
        outcome: state,
      });
    }
    // Without its deployment the environment is unknown, and a gauge labelled `unknown` could be
    // left at 1 for good (start() appends `rollout.awaiting-approval` before `deployment.started`,
    // which marks its services itself).
    if (entry === undefined) return;
    const inProgress = !ROLLOUT_DONE.has(state);
    if (inProgress) entry.active.add(service);
    else entry.active.delete(service);
    this.sink.rolloutInProgress(environment, service, inProgress);
  }

  private deploymentEnded(id: string, state: string, environment?: string): void {
    const entry = this.entry(id);
    const env = environment ?? entry?.environment ?? UNKNOWN;
    this.sink.deploymentEnded({ environment: env, kind: entry?.kind ?? UNKNOWN, state });
    // Rollouts left mid-way (a failed or superseded deployment) are over with it.
    for (const service of entry?.active ?? []) this.sink.rolloutInProgress(env, service, false);
    entry?.active.clear();
  }

  private entry(id: string): BookEntry | undefined {
    return this.book.get(id);
  }

  private remember(id: string, entry: BookEntry): void {
    this.book.set(id, entry);
    while (this.book.size > this.maxDeployments) {
      const oldest = this.book.keys().next().value;
      if (oldest === undefined) break;
      this.book.delete(oldest);
    }
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
