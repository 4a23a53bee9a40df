/**
 * Session tokens: `v1.<payload>.<signature>`, payload = base64url JSON {u: userId, e: expiresAtMs, g: generation},
 * signature = base64url HMAC-SHA256(secret, "v1." + payload). Any node with the secret verifies the signature;
 * the generation `g` is the user's `token_gen` when the token was issued: a password change, "sign out
 * everywhere" or the account's deletion bump the stored one, and a token whose `g` differs is revoked
 * (the handshake compares them: `isCurrent`). Tokens without `g` (issued before generations) are generation 0.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenCheck = { ok: true; uid: string; expiresAt: number; gen: number } | { ok: false; reason: 'token_invalid' | 'token_expired' };

export class TokenSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlMs: number,
  ) {
    if (secret.length < 16) throw new Error('token secret must be at least 16 characters');
  }

  /** `gen`: the user's current token generation (UserRecord.tokenGen). */
  issue(uid: string, gen = 0, now = Date.now()): { token: string; expiresAt: number } {
    const expiresAt = now + this.ttlMs;
    const payload = Buffer.from(JSON.stringify({ u: uid, e: expiresAt, g: gen })).toString('base64url');
    return { token: `v1.${payload}.${this.sign(payload)}`, expiresAt };
  }

  verify(token: string, now = Date.now()): TokenCheck {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== 'v1') return { ok: false, reason: 'token_invalid' };
    const [, payload, sig] = parts;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'token_invalid' };
    let data: unknown;
    try {
      data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'token_invalid' };
    }
    if (typeof data !== 'object' || data === null) return { ok: false, reason: 'token_invalid' };
    const d = data as { u?: unknown; e?: unknown; g?: unknown };
    if (typeof d.u !== 'string' || typeof d.e !== 'number') return { ok: false, reason: 'token_invalid' };
    const gen = d.g === undefined ? 0 : d.g;
    if (typeof gen !== 'number' || !Number.isSafeInteger(gen) || gen < 0) return { ok: false, reason: 'token_invalid' };
    if (d.e <= now) return { ok: false, reason: 'token_expired' };
    return { ok: true, uid: d.u, expiresAt: d.e, gen };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update('v1.' + payload).digest('base64url');
  }
}

/** Is a verified token still valid for this user: not revoked by a newer generation, account not deleted? */
export function isCurrent(check: { gen: number }, user: { tokenGen?: number; deletedAt?: number }): boolean {
  return user.deletedAt === undefined && check.gen === (user.tokenGen ?? 0);
}
