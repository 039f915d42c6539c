/** Incoming push webhooks (GitHub- and GitLab-compatible): verification, parsing, replay protection. */
export {
  createMemoryDeliveryLog,
  DEFAULT_DELIVERY_LOG_CAPACITY,
  type DeliveryLog,
  type MemoryDeliveryLog,
} from './delivery-log.js';
export { verifyGitHub } from './github.js';
export { verifyGitLab } from './gitlab.js';
export { type HeaderBag, header } from './headers.js';
export { type PushEvent, type PushRepository, parsePush, readPush } from './push.js';
export {
  type DeliveryIgnored,
  type PushAccepted,
  type ReceivePushInput,
  type ReceivePushResult,
  receivePush,
} from './receive.js';
export type {
  VerifyResult,
  WebhookErrorCode,
  WebhookEvent,
  WebhookProvider,
  WebhookRejected,
  WebhookVerified,
} from './result.js';
