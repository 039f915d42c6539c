/** Notifications to owners (rollouts, alert groups, incidents): the Notifier seam, its receivers and the dispatcher. */
export { isNotificationDeliveryError, NotificationDeliveryError } from './delivery-error.js';
export {
  createDispatcher,
  DEFAULT_MAX_QUEUE,
  type DeliveryResult,
  type Dispatcher,
  type DispatcherOptions,
  type DrainResult,
  logDeliveryResult,
} from './dispatcher.js';
export { type EventContext, notificationFromEvent, summarize } from './from-event.js';
export { DEFAULT_ATTEMPT_TIMEOUT_MS, parseRetryAfter, redactUrl } from './http.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelayMs, retryPolicy } from './retry-policy.js';
export {
  escapeMrkdwn,
  SLACK_EMOJI,
  type SlackBlock,
  type SlackMessage,
  slackMessage,
} from './slack/format.js';
export { createSlackNotifier, type SlackNotifierOptions } from './slack/slack-notifier.js';
export { type Clock, systemClock, systemTimers, type Timers } from './timers.js';
export {
  ALERT_NOTIFICATION_TYPES,
  type AlertGroupData,
  type AlertNotificationType,
  type AlertPayload,
  isAlertNotificationType,
  isNotificationType,
  NOTIFICATION_TYPES,
  type Notification,
  type NotificationType,
  type Notifier,
  type SendOptions,
} from './types.js';
export { SIGNATURE_HEADER, signBody, verifyBodySignature } from './webhook/signature.js';
export {
  createWebhookNotifier,
  type WebhookNotifierOptions,
  webhookBody,
} from './webhook/webhook-notifier.js';
