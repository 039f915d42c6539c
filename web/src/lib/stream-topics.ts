/**
 * Which stream messages are which (the server names each SSE event after its topic: `events`
 * or `logs`; a bare `message` is told apart by its fields). Pure.
 */
export type Topic = 'events' | 'logs';

export const EVENT_NAMES: Record<Topic, readonly string[]> = {
  events: ['events', 'event'],
  logs: ['logs', 'log'],
};

/** The topic of a message: by its SSE event name, else by its shape. */
export function topicOf(eventName: string, data: unknown): Topic {
  if (EVENT_NAMES.logs.includes(eventName)) return 'logs';
  if (EVENT_NAMES.events.includes(eventName)) return 'events';
  if (typeof data === 'object' && data !== null) {
    const o = data as Record<string, unknown>;
    if (o.topic === 'logs' || o.topic === 'events') return o.topic;
    if (
      typeof o.type !== 'string' &&
      (Array.isArray(o.lines) || typeof o.line === 'string' || typeof o.text === 'string')
    )
      return 'logs';
  }
  return 'events';
}

/** Parses an SSE data field: JSON when it is, the raw text otherwise. */
export function parseData(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Waits between reconnects after the server closed the stream: 1 s, 2 s, 4 s… up to 30 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
}
