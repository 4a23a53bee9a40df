/**
 * Session tokens: `v1.<payload>.<signature>`, payload = base64url JSON {u: userId, e: expiresAtMs},
 * signature = base64url HMAC-SHA256(secret, "v1." + payload). Stateless: any node with the secret verifies.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenCheck = { ok: true; uid: string; expiresAt: number } | { ok: false; reason: 'token_invalid' | 'token_expired' };

export class TokenSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlMs: number,
  ) {
    if (secret.length < 16) throw new Error('token secret must be at least 16 characters');
  }

  issue(uid: string, now = Date.now()): { token: string; expiresAt: number } {
    const expiresAt = now + this.ttlMs;
    const payload = Buffer.from(JSON.stringify({ u: uid, e: expiresAt })).toString('base64url');
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
    const d = data as { u?: unknown; e?: unknown };
    if (typeof d.u !== 'string' || typeof d.e !== 'number') return { ok: false, reason: 'token_invalid' };
    if (d.e <= now) return { ok: false, reason: 'token_expired' };
    return { ok: true, uid: d.u, expiresAt: d.e };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update('v1.' + payload).digest('base64url');
  }
}
