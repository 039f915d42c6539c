/**
 * Tells owners about rollouts: follows the event log and hands every rollout event, with its
 * deployment's environment and release, to the notification dispatcher (which never blocks).
 */

import { envAndSecrets, interpolate } from '../config/interpolate.js';
import type { LoadedConfig } from '../config/loaded-config.js';
import { logger } from '../log/logger.js';
import { notificationFromEvent } from '../notify/from-event.js';
import { createDispatcher, type Dispatcher, type Notifier } from '../notify/index.js';
import { createSlackNotifier } from '../notify/slack/slack-notifier.js';
import { createWebhookNotifier } from '../notify/webhook/webhook-notifier.js';
import type { SecretSource } from '../pipeline/types.js';
import type { Store } from '../store/store.js';

/** The receivers of `notify:`, with secrets resolved; none when the section is absent. */
export function notifiersOf(
  loaded: LoadedConfig,
  secrets: SecretSource,
  env: Record<string, string | undefined>,
): Notifier[] {
  const value = (text: string) => interpolate(text, envAndSecrets(env, secrets));
  const notify = loaded.config.notify;
  const notifiers: Notifier[] = [];
  for (const w of notify?.webhook ?? []) {
    notifiers.push(
      createWebhookNotifier({
        url: value(w.url),
        ...(w.secret === undefined ? {} : { secret: value(w.secret) }),
      }),
    );
  }
  if (notify?.slack !== undefined) notifiers.push(createSlackNotifier({ url: value(notify.slack.url) }));
  return notifiers;
}

export class RolloutNotifications {
  private after: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly store: Store,
    notifiers: Notifier[],
  ) {
    this.dispatcher = createDispatcher({ notifiers });
  }

  /** Starts after the newest event: what happened before this start was told (or not) then. */
  async start(): Promise<void> {
    const [last] = await this.store.events.list({ order: 'desc', limit: 1 });
    this.after = last?.id ?? 0;
    this.timer = setInterval(() => void this.poll(), 300);
    this.timer.unref();
  }

  async poll(): Promise<void> {
    if (this.after === undefined) return;
    try {
      for (const event of await this.store.events.list({ afterId: this.after, limit: 500 })) {
        this.after = event.id;
        if (!event.type.startsWith('rollout.')) continue;
        const deployment = await this.store.deployments.get(event.subjectId);
        const n = notificationFromEvent(event, {
          ...(deployment ? { environment: deployment.environment, release: deployment.release } : {}),
        });
        if (n !== undefined) this.dispatcher.notify(n);
      }
    } catch (err) {
      logger().warn({ err }, 'could not read events for notifications');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.poll();
    await this.dispatcher.drain(5000);
  }
}
