import type { StoredEvent } from '../store/repositories/events.js';
import type { Notification, NotificationType } from './types.js';

/**
 * Which stored events owners hear about, and the line they read. Rollout events are
 * `rollout.<state>` with `{ rollout, service, from, step, reason? }` about a deployment
 * (src/store/repositories/deployments.ts); the deployment's environment and release come from
 * the caller, who has the deployment at hand.
 */

export interface EventContext {
  environment?: string;
  release?: string;
}

/** The notification for `event`, or undefined when the event is not one owners are told about. */
export function notificationFromEvent(
  event: StoredEvent,
  context: EventContext = {},
): Notification | undefined {
  const type = notificationType(event);
  if (type === undefined) return undefined;
  const data = event.data;
  const environment = context.environment ?? stringField(data, 'environment');
  const service = stringField(data, 'service');
  const release = context.release ?? stringField(data, 'release');
  const n: Notification = {
    // The event id: the same on every retry and after a restart, so receivers can dedupe.
    id: `tandem-event-${event.id}`,
    type,
    at: event.at,
    ...(environment === undefined ? {} : { environment }),
    ...(service === undefined ? {} : { service }),
    ...(release === undefined ? {} : { release }),
    summary: '',
    data,
  };
  n.summary = summarize(n);
  return n;
}

function notificationType(event: StoredEvent): NotificationType | undefined {
  switch (event.type) {
    case 'rollout.started':
    case 'rollout.step':
    case 'rollout.paused':
    case 'rollout.awaiting-approval':
    case 'rollout.promoted':
    case 'rollout.aborted':
    case 'rollout.rolled-back':
      return event.type;
    case 'rollout.progressing': {
      // Entering `progressing` from the start is the rollout starting; from `paused` it is resuming
      // on its current step.
      const from = event.data.from;
      return from === 'pending' || from === 'awaiting-approval' || from === undefined
        ? 'rollout.started'
        : 'rollout.step';
    }
    default:
      return undefined;
  }
}

/** Rollout types only; other notifications come with their own summary. */
const VERB: Partial<Record<NotificationType, string>> = {
  'rollout.started': 'started',
  'rollout.step': 'moved on',
  'rollout.paused': 'paused',
  'rollout.awaiting-approval': 'awaiting approval',
  'rollout.promoted': 'promoted',
  'rollout.aborted': 'aborted',
  'rollout.rolled-back': 'rolled back',
};

/**
 * "production: rollout of r12-ab12cd3 aborted — error rate 31% > 1%"; the service is named when
 * known ("production: web rollout of r12-ab12cd3 …"), the step and weight when given.
 */
export function summarize(n: Omit<Notification, 'summary' | 'id'>): string {
  const where = n.environment === undefined ? '' : `${n.environment}: `;
  const what = `${n.service === undefined ? '' : `${n.service} `}rollout${n.release === undefined ? '' : ` of ${n.release}`}`;
  let verb = VERB[n.type] ?? n.type;
  if (n.type === 'rollout.step') {
    const step = numberField(n.data, 'step');
    const weight = numberField(n.data, 'weight');
    verb =
      step === undefined
        ? 'moved on'
        : `at step ${step}${weight === undefined ? '' : ` (${weight}% of traffic)`}`;
  }
  const reason = stringField(n.data, 'reason');
  return `${where}${what} ${verb}${reason === undefined ? '' : ` — ${reason}`}`;
}

function stringField(data: Record<string, unknown>, key: string): string | undefined {
  const v = data[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function numberField(data: Record<string, unknown>, key: string): number | undefined {
  const v = data[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
