/**
 * The JWT verifier: checks a token signed by the application's own backend and reads the documented
 * claims (docs/integration.md#2-your-own-sign-in-jwt). Verification is jose's (`jwtVerify`); this file pins what it may accept:
 *
 * - algorithms: HS256 with the shared secret (`jwtSecret`), RS256 and ES256 with the keys of the
 *   application's JWKS (`jwtJwksUrl`); nothing else, never `none`. The key is chosen by the token's
 *   `alg`: an HS256 token is never checked against a public key, nor an RS256 one against the secret.
 * - the JWKS: jose's remote key set, fetched at the first use, kept `jwtJwksCacheMs`, refetched at most every
 *   `jwtJwksCooldownMs` when a token names a key id it does not hold (key rotation), each fetch bounded by
 *   `jwtJwksTimeoutMs`. A key set that cannot be fetched is `unavailable` (transient), not the token's fault.
 * - claims: `sub` and `exp` required; `iss` and `aud` equal to `jwtIssuer` / `jwtAudience` when these are
 *   set; `exp`/`nbf` with `jwtClockToleranceMs` of leeway; the name, `rooms` and `roles` claims read by
 *   `readClaims` (bounded, typed; anything else is refused with `jwt_claim_invalid`).
 *
 * What a verified identity becomes (account, rooms, admin role) is jwt-accounts.ts.
 */
import { webcrypto } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config.js';

/** Most entries of the `rooms` claim (more: the token is refused). */
export const JWT_MAX_ROOMS = 50;
/** Most entries of the `roles` claim. */
export const JWT_MAX_ROLES = 20;
/** Longest `sub` and `iss` (the mapping's key). */
export const JWT_MAX_ID_LENGTH = 255;
/** Longest token (a hello's `jwt` auth has the same bound). */
export const JWT_MAX_LENGTH = 8192;

/** The identity a verified token carries. */
export interface JwtIdentity {
  /** `iss`, '' when the token has none. */
  issuer: string;
  subject: string;
  /** The name claim (or `preferred_username`) as given, not yet checked against the naming rules; null when absent. */
  name: string | null;
  /** Room ids to be a member of (deduplicated, at most JWT_MAX_ROOMS). */
  rooms: string[];
  roles: string[];
  /** `exp`, ms since epoch. */
  expiresAt: number;
}

export type JwtRefusalCode = 'jwt_expired' | 'jwt_invalid' | 'jwt_unknown_key' | 'jwt_claim_invalid' | 'jwt_disabled' | 'unavailable';

export type JwtCheck = { ok: true; identity: JwtIdentity } | { ok: false; code: JwtRefusalCode; message: string };

export interface JwtOptions {
  /** HS256 secret (at least 32 bytes); '' for none. */
  secret: string;
  /** JWKS URL for RS256/ES256; '' for none. */
  jwksUrl: string;
  issuer: string;
  audience: string;
  nameClaim: string;
  clockToleranceMs: number;
  jwksCacheMs: number;
  jwksCooldownMs: number;
  jwksTimeoutMs: number;
}

export function jwtOptions(c: Config): JwtOptions {
  return {
    secret: c.jwtSecret,
    jwksUrl: c.jwtJwksUrl,
    issuer: c.jwtIssuer,
    audience: c.jwtAudience,
    nameClaim: c.jwtNameClaim,
    clockToleranceMs: c.jwtClockToleranceMs,
    jwksCacheMs: c.jwtJwksCacheMs,
    jwksCooldownMs: c.jwtJwksCooldownMs,
    jwksTimeoutMs: c.jwtJwksTimeoutMs,
  };
}

type ClaimsResult = { ok: true; identity: JwtIdentity } | { ok: false; code: 'jwt_claim_invalid'; message: string };

const claimFail = (message: string): ClaimsResult => ({ ok: false, code: 'jwt_claim_invalid', message });

/** A claim of the payload, own properties only (the payload is parsed JSON: `constructor` is just a claim). */
function claim(payload: JWTPayload, key: string): unknown {
  return Object.hasOwn(payload, key) ? payload[key] : undefined;
}

/** Bounded array of short strings, or a single string; null when it is neither. */
function stringList(v: unknown, max: number, maxLength: number): string[] | null {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length > max) return null;
  const out = new Set<string>();
  for (const x of list) {
    if (typeof x !== 'string' || x.length < 1 || x.length > maxLength) return null;
    out.add(x);
  }
  return [...out];
}

/**
 * Reads the documented claims of a payload whose signature and standard claims jose has checked. Pure:
 * what a well-signed token may still get wrong (the application's bugs) is refused here, by claim.
 */
export function readClaims(payload: JWTPayload, nameClaim: string): ClaimsResult {
  const sub = claim(payload, 'sub');
  if (typeof sub !== 'string' || sub.length < 1 || sub.length > JWT_MAX_ID_LENGTH) return claimFail(`"sub" must be a string of 1-${JWT_MAX_ID_LENGTH} characters (the user's id in your application)`);
  const iss = claim(payload, 'iss') ?? '';
  if (typeof iss !== 'string' || iss.length > JWT_MAX_ID_LENGTH) return claimFail(`"iss" must be a string of at most ${JWT_MAX_ID_LENGTH} characters`);
  const exp = claim(payload, 'exp');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return claimFail('"exp" is required: tokens without an expiry are refused');
  let name: string | null = null;
  for (const key of [nameClaim, 'preferred_username']) {
    const v = claim(payload, key);
    if (typeof v === 'string') {
      name = v;
      break;
    }
  }
  const roomsClaim = claim(payload, 'rooms');
  const rooms = roomsClaim === undefined ? [] : stringList(roomsClaim, JWT_MAX_ROOMS, 128);
  if (!rooms || typeof roomsClaim === 'string') return claimFail(`"rooms" must be an array of at most ${JWT_MAX_ROOMS} room ids`);
  const rolesClaim = claim(payload, 'roles');
  const roles = rolesClaim === undefined ? [] : stringList(rolesClaim, JWT_MAX_ROLES, 64);
  if (!roles) return claimFail(`"roles" must be a string or an array of at most ${JWT_MAX_ROLES} strings`);
  return { ok: true, identity: { issuer: iss, subject: sub, name, rooms, roles, expiresAt: exp * 1000 } };
}

/** The JWKS could not be fetched (network, timeout, not a key set): the sign-in may succeed later. */
class KeySetUnavailable extends Error {}

/** Which refusal a jose error is (or the key set's failure). */
export function refusalOf(err: unknown): { code: JwtRefusalCode; message: string } {
  if (err instanceof KeySetUnavailable) return { code: 'unavailable', message: 'the key set of this server cannot be fetched now: retry later' };
  if (err instanceof errors.JWTExpired) return { code: 'jwt_expired', message: 'the token has expired: get a new one from the application' };
  if (err instanceof errors.JWKSNoMatchingKey) return { code: 'jwt_unknown_key', message: 'the token is signed with a key this server does not know (kid)' };
  if (err instanceof errors.JWTClaimValidationFailed) {
    const what = err.claim === 'nbf' ? 'the token is not valid yet (nbf)' : `the token's "${err.claim}" claim is ${err.reason === 'missing' ? 'missing' : 'not the one this server expects'}`;
    return { code: 'jwt_claim_invalid', message: what };
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return { code: 'jwt_invalid', message: 'the token is signed with an algorithm this server does not accept' };
  if (err instanceof errors.JWSSignatureVerificationFailed) return { code: 'jwt_invalid', message: 'the token signature is not valid' };
  // JWSInvalid, JWTInvalid, JOSENotSupported, JWKSMultipleMatchingKeys, JWKInvalid, a key of the wrong type...
  return { code: 'jwt_invalid', message: 'the token is malformed or cannot be verified' };
}

export class JwtVerifier {
  /** The HS256 secret, imported once (a raw secret would be imported at every verification: 7x slower). */
  private readonly secret: Promise<CryptoKey> | null;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | null;
  private readonly algorithms: string[];
  private readonly getKey: JWTVerifyGetKey;

  constructor(private readonly o: JwtOptions) {
    this.secret = o.secret
      ? (webcrypto.subtle.importKey('raw', new TextEncoder().encode(o.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']) as Promise<CryptoKey>)
      : null;
    this.secret?.catch(() => {}); // awaited (and its failure seen) at the first verification, never unhandled
    this.jwks = o.jwksUrl
      ? createRemoteJWKSet(new URL(o.jwksUrl), { timeoutDuration: o.jwksTimeoutMs, cooldownDuration: o.jwksCooldownMs, cacheMaxAge: o.jwksCacheMs })
      : null;
    this.algorithms = [...(this.secret ? ['HS256'] : []), ...(this.jwks ? ['RS256', 'ES256'] : [])];
    const secret = this.secret;
    const jwks = this.jwks;
    this.getKey = async (header, token) => {
      if (header.alg === 'HS256' && secret) return secret;
      if (!jwks) throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
      try {
        return await jwks(header, token);
      } catch (err) {
        if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
        // Timeout, connection refused, a non-200 answer or a body that is no key set: not the token's fault.
        throw new KeySetUnavailable(String(err));
      }
    };
  }

  /** Is JWT sign-in configured (a secret or a JWKS URL)? */
  get enabled(): boolean {
    return this.algorithms.length > 0;
  }

  async verify(token: string): Promise<JwtCheck> {
    if (!this.enabled) return { ok: false, code: 'jwt_disabled', message: 'this server does not accept JWT sign-in' };
    if (token.length > JWT_MAX_LENGTH) return { ok: false, code: 'jwt_invalid', message: `tokens are at most ${JWT_MAX_LENGTH} characters` };
    const o = this.o;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        algorithms: this.algorithms,
        issuer: o.issuer || undefined,
        audience: o.audience || undefined,
        clockTolerance: Math.round(o.clockToleranceMs / 1000),
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      return { ok: false, ...refusalOf(err) };
    }
    return readClaims(payload, o.nameClaim);
  }
}
