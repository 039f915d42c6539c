import { TandemError } from '../../errors.js';
import { rejected, type WebhookRejected } from './result.js';

/** Request headers as node:http gives them (lower-case names), or any casing. */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/** A header's value, trimmed; repeated headers joined with ", " as node:http does. */
export function header(headers: HeaderBag, name: string): string | undefined {
  const lower = name.toLowerCase();
  let value = headers[lower];
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
    value = key === undefined ? undefined : headers[key];
  }
  if (Array.isArray(value)) value = value.join(', ');
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Delivery ids are GUIDs/UUIDs; anything long or odd is refused before it reaches a log or the store. */
const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function deliveryIdOrReject(
  value: string | undefined,
  headerNames: string,
): { id: string } | WebhookRejected {
  if (value === undefined) {
    return rejected(
      400,
      'TANDEM_WEBHOOK_DELIVERY_MISSING',
      `the delivery has no id (${headerNames}); Tandem needs it to ignore repeated deliveries`,
    );
  }
  if (!DELIVERY_ID.test(value)) {
    return rejected(
      400,
      'TANDEM_WEBHOOK_DELIVERY_INVALID',
      `the delivery id (${headerNames}) must be up to 128 letters, digits, ".", "_", ":" or "-"`,
    );
  }
  return { id: value };
}

/** An empty secret would accept anything signed with it: a setup error, not a bad request. */
export function assertSecret(secret: string, provider: string): void {
  if (secret.length === 0) {
    throw new TandemError(
      'TANDEM_WEBHOOK_SECRET_NOT_CONFIGURED',
      `no ${provider} webhook secret is configured; set one (a long random string) in Tandem and in the ${provider} webhook settings`,
      { exitCode: 2 },
    );
  }
}
