import { DEFAULT_ATTEMPT_TIMEOUT_MS, parseReceiverUrl, postJson, redactUrl } from '../http.js';
import type { Notification, Notifier } from '../types.js';
import { slackMessage } from './format.js';

export interface SlackNotifierOptions {
  /** The incoming-webhook URL. Its path is the credential, so it is never logged. */
  url: string;
  /** Per attempt; 5 s by default. */
  timeoutMs?: number;
}

export function createSlackNotifier(options: SlackNotifierOptions): Notifier {
  const url = parseReceiverUrl(options.url, 'the Slack notifier URL');
  const name = `slack ${redactUrl(url, { path: false })}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;

  return {
    name,
    async send(n: Notification, sendOptions = {}) {
      await postJson({
        url,
        name,
        body: JSON.stringify(slackMessage(n)),
        headers: {},
        timeoutMs,
        ...(sendOptions.signal === undefined ? {} : { signal: sendOptions.signal }),
      });
    },
  };
}
