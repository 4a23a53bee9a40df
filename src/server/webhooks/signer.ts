/**
 * Webhook signatures (docs/integration.md#3-webhooks): `X-ScaleChat-Signature: v1=<hex>`, the HMAC-SHA256 of
 * `<timestamp>.<raw body>` with the endpoint's secret (the whole `whsec_...` string is the key), where
 * `<timestamp>` is the `X-ScaleChat-Timestamp` header (Unix seconds) of that attempt.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + 64 hex digits (32 random bytes). */
export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('hex');
}

/** The signature header's value for one attempt. */
export function sign(secret: string, timestamp: number, body: string): string {
  return 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * What a receiver does (the docs' snippet, as a function the tests use): a `v1=` signature that matches,
 * compared in constant time, and a timestamp within `toleranceSec` of `nowSec`.
 */
export function verify(secret: string, headers: { timestamp: string | undefined; signature: string | undefined }, body: string, nowSec = Math.floor(Date.now() / 1000), toleranceSec = 300): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isSafeInteger(ts) || Math.abs(nowSec - ts) > toleranceSec) return false;
  const want = Buffer.from(sign(secret, ts, body));
  const got = Buffer.from(headers.signature ?? '');
  return got.length === want.length && timingSafeEqual(got, want);
}
