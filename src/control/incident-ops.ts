/**
 * The operator surface of incidents, silences and alerts (issue 5): what the API and the
 * `tandem incident|silence|alerts` verbs call. Reads and writes the store; the evaluator and the
 * router own the alert logic. Writes need role operator or admin.
 */
import { TandemError } from '../errors.js';
import { type Matcher, parseMatcher } from '../observe/routing/matchers.js';
import { matches, validateSilence } from '../observe/routing/silences.js';
import type { IncidentState } from '../store/database.js';
import type { StoredEvent } from '../store/repositories/events.js';
import { type Incident, normalizeIncidentId } from '../store/repositories/incidents.js';
import { MATCH_OPS, type Silence, type SilenceMatcher } from '../store/repositories/silences.js';
import type { Store } from '../store/store.js';
import { unknownIdError } from '../util/did-you-mean.js';
import { parseDuration } from '../util/duration.js';
import type { Actor } from './control-plane.js';
import type { Clock } from './ports.js';

export const DEFAULT_SILENCE_MS = 60 * 60 * 1000;
export const MAX_SILENCE_MS = 30 * 24 * 60 * 60 * 1000;
export const MAX_INCIDENT_LIMIT = 500;

export interface IncidentFilter {
  /** Every state when omitted. */
  state?: IncidentState;
  environment?: string;
  service?: string;
  /** 20 by default, at most 500. */
  limit?: number;
}

export interface LinkedRelease {
  id: string;
  /** Deployed shortly before the incident: counts towards change-failure rate. */
  suspect: boolean;
  /** Null when the release is no longer in the store. */
  commit: string | null;
  ref: string | null;
  status: string | null;
  createdAt: string | null;
}

export interface AttachedAlert {
  fingerprint: string;
  /** The rule and its current state; null when the alert instance no longer exists. */
  rule: string | null;
  state: string | null;
}

export interface IncidentDetail {
  incident: Incident;
  releases: LinkedRelease[];
  alerts: AttachedAlert[];
  /** The incident's events, oldest first. */
  timeline: StoredEvent[];
}

export interface SilenceView extends Silence {
  /** `pending` has not started yet; `expired` ended (by time or by hand). */
  state: 'active' | 'pending' | 'expired';
}

export interface NewSilenceRequest {
  /** `service=web`, `severity!=info`, `alertname=~web-.*`. */
  matchers: string[];
  /** How long from now (ms); 1h by default. Exclusive with `until`. */
  duration?: number;
  /** ISO-8601 end. */
  until?: string;
  comment: string;
}

/** One alert instance as `tandem alerts` shows it. */
export interface AlertRow {
  fingerprint: string;
  /** The rule's name (alertname). */
  alert: string;
  environment: string;
  service: string;
  /** `inactive`, `pending`, `firing`, `nodata`… */
  state: string;
  severity: string | null;
  /** The last measurement; null when there was no data. */
  value: number | null;
  /** ISO-8601: when the current state began (null when the record does not say). */
  since: string | null;
  labels: Record<string, string>;
  /** The id of an active silence covering it. */
  silenced: string | null;
  updatedAt: string;
}

export interface IncidentOpsDeps {
  store: Store;
  clock: Clock;
}

export class IncidentOps {
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(deps: IncidentOpsDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
  }

  /** Newest first. */
  async incidents(filter: IncidentFilter = {}): Promise<Incident[]> {
    if (filter.state !== undefined && filter.state !== 'open' && filter.state !== 'resolved') {
      throw usage(
        'TANDEM_BAD_INCIDENT_STATE',
        `incident state must be open or resolved, got "${filter.state}"`,
      );
    }
    const limit = filter.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_INCIDENT_LIMIT) {
      throw usage(
        'TANDEM_BAD_LIMIT',
        `limit must be a whole number from 1 to ${MAX_INCIDENT_LIMIT}, got ${limit}`,
      );
    }
    return this.store.incidents.list({ ...filter, limit });
  }

  /** The incident with its linked releases, attached alerts and timeline. */
  async incident(id: string): Promise<IncidentDetail> {
    const incident = await this.store.incidents.get(id);
    if (incident === undefined) throw await this.incidentNotFound(id);
    const timeline = await this.store.events.list({ subjectKind: 'incident', subjectId: incident.id });
    const opened = timeline.find((e) => e.type === 'incident.opened');
    const suspects = new Set(stringArray(opened?.data.suspects));
    const releases = await Promise.all(
      incident.releases.map(async (rid): Promise<LinkedRelease> => {
        const r = await this.store.releases.get(rid);
        return {
          id: rid,
          suspect: suspects.has(rid),
          commit: r?.commit ?? null,
          ref: r?.ref ?? null,
          status: r?.status ?? null,
          createdAt: r?.createdAt ?? null,
        };
      }),
    );
    const states = new Map((await this.store.alertStates.loadAll()).map((s) => [s.fingerprint, s]));
    const alerts = incident.alerts.map((fingerprint) => {
      const s = states.get(fingerprint);
      return { fingerprint, rule: s?.rule ?? null, state: s?.state ?? null };
    });
    return { incident, releases, alerts, timeline };
  }

  async resolveIncident(id: string, actor: Actor, note?: string): Promise<Incident> {
    requireOperator(actor, 'resolve incidents');
    const text = note?.trim() ? note.trim() : null;
    return this.store.incidents.resolve(id, actor.principal, text, this.now());
  }

  /** Active silences, newest first; with `all`, also the pending and expired ones. */
  async silences(opts: { all?: boolean } = {}): Promise<SilenceView[]> {
    const now = this.now();
    const list = await this.store.silences.list(opts.all ? { limit: 200 } : { active: now, limit: 1000 });
    return list.map((s) => ({ ...s, state: silenceState(s, now) }));
  }

  async createSilence(req: NewSilenceRequest, actor: Actor): Promise<SilenceView> {
    requireOperator(actor, 'create silences');
    const now = this.now();
    const matchers = parseSilenceMatchers(req.matchers);
    const comment = req.comment?.trim() ?? '';
    if (comment === '') {
      throw invalid('give a --comment saying why (it is shown to whoever sees the silenced alerts)');
    }
    const endsAt = silenceEnd(req, now);
    const startsAt = now.toISOString();
    validateSilence({ id: '', matchers, startsAt, endsAt: endsAt.toISOString(), createdBy: '', comment });
    const silence = await this.store.silences.create({
      matchers: matchers as SilenceMatcher[],
      startsAt: now,
      endsAt,
      createdBy: actor.principal,
      comment,
      at: now,
    });
    return { ...silence, state: silenceState(silence, now) };
  }

  async expireSilence(id: string, actor: Actor): Promise<SilenceView> {
    requireOperator(actor, 'expire silences');
    const now = this.now();
    const silence = await this.store.silences.expire(id, actor.principal, now);
    return { ...silence, state: silenceState(silence, now) };
  }

  /** Every alert instance, newest first, each marked with the active silence covering it. */
  async alerts(): Promise<AlertRow[]> {
    const now = this.now();
    const [states, active] = await Promise.all([
      this.store.alertStates.loadAll(),
      this.store.silences.list({ active: now, limit: 1000 }),
    ]);
    const rows = states.map((s): AlertRow => {
      const record = asObject(s.record);
      const inner = asObject(record.state); // the evaluator's AlertState, when nested
      const labels: Record<string, string> = {
        alertname: s.rule,
        environment: s.environment,
        service: s.service,
        ...stringRecord(record.labels),
      };
      const severity = labels.severity ?? (typeof record.severity === 'string' ? record.severity : null);
      return {
        fingerprint: s.fingerprint,
        alert: s.rule,
        environment: s.environment,
        service: s.service,
        state: s.state,
        severity,
        value: firstNumber(record.value, record.lastValue, inner.lastValue),
        since: isoOf(record.since) ?? isoOf(inner.since),
        labels,
        silenced: active.find((sil) => covers(sil, labels))?.id ?? null,
        updatedAt: s.updatedAt,
      };
    });
    return rows.sort(
      (a, b) =>
        (b.since ?? b.updatedAt).localeCompare(a.since ?? a.updatedAt) ||
        a.fingerprint.localeCompare(b.fingerprint),
    );
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  private async incidentNotFound(id: string): Promise<TandemError> {
    const ids = (await this.store.incidents.list({ limit: 1000 })).map((i) => i.id);
    return unknownIdError({
      code: 'TANDEM_INCIDENT_NOT_FOUND',
      what: 'incident',
      id,
      known: ids,
      list: 'tandem incident list --all',
      compare: normalizeIncidentId(id),
    });
  }
}

/** Same wording as the control plane's protected-environment refusal. */
function requireOperator(actor: Actor, action: string): void {
  if (actor.roles.includes('operator') || actor.roles.includes('admin')) return;
  throw new TandemError(
    'TANDEM_FORBIDDEN',
    `only an operator may ${action} (you: ${actor.principal}, roles ${actor.roles.join(', ') || 'none'})`,
    { exitCode: 2 },
  );
}

/** "2h", "30m", "1d" → ms, within (0, 30 days]; a TandemError (exit 2) otherwise. */
export function parseSilenceDuration(text: string): number {
  const ms = parseDuration(text.trim());
  if (ms === undefined) {
    throw invalid(`"${text}" is not a duration; write e.g. 30m, 2h or 1d`);
  }
  return ms;
}

function parseSilenceMatchers(texts: readonly string[]): Matcher[] {
  if (!Array.isArray(texts) || texts.length === 0) {
    throw invalid('give at least one matcher, e.g. service=web (an empty silence would mute everything)');
  }
  return texts.map((text) => {
    const m = parseMatcher(text);
    // The store keeps =, != and =~ (Alertmanager's !~ has no column yet).
    if (!(MATCH_OPS as readonly string[]).includes(m.op)) {
      throw invalid(`matcher ${text}: silences take ${MATCH_OPS.join(', ')} (not ${m.op})`);
    }
    return m;
  });
}

function silenceEnd(req: NewSilenceRequest, now: Date): Date {
  if (req.duration !== undefined && req.until !== undefined) {
    throw invalid('give --duration or --until, not both');
  }
  const max = `at most 30 days (${Math.round(MAX_SILENCE_MS / 86_400_000)}d)`;
  if (req.until !== undefined) {
    const end = Date.parse(req.until);
    if (!/^\d{4}-\d{2}-\d{2}/.test(req.until) || Number.isNaN(end)) {
      throw invalid(`--until "${req.until}" is not an ISO-8601 time (e.g. 2025-01-31T18:00:00Z)`);
    }
    if (end <= now.getTime()) {
      throw invalid(`--until ${new Date(end).toISOString()} is in the past`);
    }
    if (end - now.getTime() > MAX_SILENCE_MS) {
      throw invalid(`--until ${new Date(end).toISOString()} is too far away: a silence lasts ${max}`);
    }
    return new Date(end);
  }
  const ms = req.duration ?? DEFAULT_SILENCE_MS;
  if (!Number.isFinite(ms) || ms <= 0) throw invalid(`the duration must be positive, got ${ms}ms`);
  if (ms > MAX_SILENCE_MS) throw invalid(`a silence lasts ${max}; use a shorter --duration`);
  return new Date(now.getTime() + ms);
}

function silenceState(s: Silence, now: Date): SilenceView['state'] {
  const t = now.toISOString();
  if (s.expiredAt !== null || s.endsAt <= t) return 'expired';
  return s.startsAt > t ? 'pending' : 'active';
}

/** A silence whose pattern no longer compiles covers nothing rather than breaking the list. */
function covers(silence: Silence, labels: Record<string, string>): boolean {
  try {
    return matches(silence, labels);
  } catch {
    return false;
  }
}

function invalid(message: string): TandemError {
  return new TandemError('TANDEM_SILENCE_INVALID', `cannot create the silence: ${message}`, { exitCode: 2 });
}

function usage(code: string, message: string): TandemError {
  return new TandemError(code, message, { exitCode: 2 });
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function stringRecord(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(asObject(value)).filter(([, v]) => typeof v === 'string'),
  ) as Record<string, string>;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function firstNumber(...values: unknown[]): number | null {
  const found = values.find((v) => typeof v === 'number' && Number.isFinite(v));
  return (found as number | undefined) ?? null;
}

/** ms since epoch or an ISO string → ISO string. */
function isoOf(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return null;
}
