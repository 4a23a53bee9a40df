/**
 * The JWT verifier alone (no server): the claims it reads and refuses, and which refusal each broken token
 * gets, with HS256 tokens signed here by jose and an RS256 key made here (alg confusion, `none`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT, generateKeyPair, type JWTPayload } from 'jose';
import { JWT_MAX_ROOMS, JwtVerifier, readClaims, type JwtOptions } from './jwt.js';

const SECRET = 'an-hs256-secret-of-at-least-32-bytes!';
const now = () => Math.floor(Date.now() / 1000);

const opts = (o: Partial<JwtOptions> = {}): JwtOptions => ({
  secret: SECRET,
  jwksUrl: '',
  issuer: 'https://app.example',
  audience: 'scale-chat',
  nameClaim: 'name',
  clockToleranceMs: 5000,
  jwksCacheMs: 600_000,
  jwksCooldownMs: 30_000,
  jwksTimeoutMs: 1000,
  ...o,
});

async function hs256(claims: JWTPayload, { secret = SECRET, iss = 'https://app.example', aud = 'scale-chat', exp = now() + 300 as number | null } = {}): Promise<string> {
  let j = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (iss) j = j.setIssuer(iss);
  if (aud) j = j.setAudience(aud);
  if (exp !== null) j = j.setExpirationTime(exp);
  return j.sign(new TextEncoder().encode(secret));
}

describe('readClaims', () => {
  const base = { sub: 'user-1', exp: now() + 60 };

  it('reads sub, iss, the name claim, rooms and roles', () => {
    const r = readClaims({ ...base, iss: 'https://app.example', name: 'Ann', rooms: ['team', 'team', 'ops'], roles: ['admin'] }, 'name');
    assert.ok(r.ok);
    assert.deepEqual(r.identity, { issuer: 'https://app.example', subject: 'user-1', name: 'Ann', rooms: ['team', 'ops'], roles: ['admin'], expiresAt: base.exp * 1000 });
  });

  it('falls back to preferred_username, then to no name; a configured claim wins', () => {
    const a = readClaims({ ...base, preferred_username: 'ann_p' }, 'name');
    assert.ok(a.ok && a.identity.name === 'ann_p');
    const b = readClaims({ ...base }, 'name');
    assert.ok(b.ok && b.identity.name === null && b.identity.issuer === '');
    const c = readClaims({ ...base, nickname: 'nick', name: 'Full Name', preferred_username: 'p' }, 'nickname');
    assert.ok(c.ok && c.identity.name === 'nick');
    // A name claim that is not a string is not a name: the fallback applies.
    const d = readClaims({ ...base, name: ['x'], preferred_username: 'p' }, 'name');
    assert.ok(d.ok && d.identity.name === 'p');
  });

  it('a single role string is one role', () => {
    const r = readClaims({ ...base, roles: 'admin' }, 'name');
    assert.ok(r.ok && r.identity.roles.length === 1 && r.identity.roles[0] === 'admin');
  });

  it('inherited properties are not claims', () => {
    const r = readClaims(Object.assign(Object.create({ name: 'proto' }) as JWTPayload, base), 'name');
    assert.ok(r.ok && r.identity.name === null);
    const s = readClaims({ ...base }, 'constructor');
    assert.ok(s.ok && s.identity.name === null);
  });

  it('refuses what a well-signed token can still get wrong, naming the claim', () => {
    const bad: [JWTPayload, RegExp][] = [
      [{ exp: base.exp }, /"sub"/],
      [{ ...base, sub: '' }, /"sub"/],
      [{ ...base, sub: 'x'.repeat(256) }, /"sub"/],
      [{ ...base, sub: 42 as unknown as string }, /"sub"/],
      [{ sub: 'u' }, /"exp" is required/],
      [{ ...base, iss: 7 as unknown as string }, /"iss"/],
      [{ ...base, rooms: 'team' }, /"rooms"/],
      [{ ...base, rooms: [1] }, /"rooms"/],
      [{ ...base, rooms: Array.from({ length: JWT_MAX_ROOMS + 1 }, (_, i) => `r${i}`) }, /"rooms"/],
      [{ ...base, rooms: ['x'.repeat(129)] }, /"rooms"/],
      [{ ...base, roles: [{}] }, /"roles"/],
      [{ ...base, roles: Array.from({ length: 21 }, (_, i) => `r${i}`) }, /"roles"/],
    ];
    for (const [payload, re] of bad) {
      const r = readClaims(payload, 'name');
      assert.ok(!r.ok, JSON.stringify(payload));
      assert.equal(r.code, 'jwt_claim_invalid');
      assert.match(r.message, re);
    }
    assert.ok(readClaims({ ...base, rooms: Array.from({ length: JWT_MAX_ROOMS }, (_, i) => `r${i}`) }, 'name').ok);
  });
});

describe('JwtVerifier (HS256)', () => {
  const v = new JwtVerifier(opts());

  it('accepts a good token', async () => {
    const r = await v.verify(await hs256({ sub: 'u1', name: 'ann' }));
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.identity.subject, 'u1');
    assert.equal(r.identity.issuer, 'https://app.example');
  });

  it('gives each broken token its refusal', async () => {
    const good = await hs256({ sub: 'u1' });
    const [h, p] = good.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`;
    const { privateKey } = await generateKeyPair('RS256');
    const rs = await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'RS256' }).setIssuer('https://app.example').setAudience('scale-chat').setExpirationTime('5m').sign(privateKey);
    const cases: [string, string, string][] = [
      ['expired', await hs256({ sub: 'u1' }, { exp: now() - 60 }), 'jwt_expired'],
      ['expired beyond the leeway only', await hs256({ sub: 'u1' }, { exp: now() - 3 }), 'ok'],
      ['wrong secret', await hs256({ sub: 'u1' }, { secret: 'another-secret-of-at-least-32-bytes!!' }), 'jwt_invalid'],
      ['tampered payload', `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', iss: 'https://app.example', aud: 'scale-chat', exp: now() + 60 })).toString('base64url')}.${good.split('.')[2]}`, 'jwt_invalid'],
      ['alg none', unsigned, 'jwt_invalid'],
      ['RS256 when only HS256 is configured', rs, 'jwt_invalid'],
      ['not a JWT', 'hello', 'jwt_invalid'],
      ['too long', 'x'.repeat(9000), 'jwt_invalid'],
      ['wrong issuer', await hs256({ sub: 'u1' }, { iss: 'https://evil.example' }), 'jwt_claim_invalid'],
      ['no issuer', await hs256({ sub: 'u1' }, { iss: '' }), 'jwt_claim_invalid'],
      ['wrong audience', await hs256({ sub: 'u1' }, { aud: 'another-app' }), 'jwt_claim_invalid'],
      ['no exp', await hs256({ sub: 'u1' }, { exp: null }), 'jwt_claim_invalid'],
      ['no sub', await hs256({}), 'jwt_claim_invalid'],
      ['not yet valid', await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://app.example').setAudience('scale-chat').setExpirationTime('10m').setNotBefore(now() + 120).sign(new TextEncoder().encode(SECRET)), 'jwt_claim_invalid'],
    ];
    for (const [what, token, code] of cases) {
      const r = await v.verify(token);
      assert.equal(r.ok ? 'ok' : r.code, code, what);
      if (!r.ok) assert.ok(r.message.length > 10, what);
    }
  });

  it('without a secret and a JWKS URL every token is refused as jwt_disabled', async () => {
    const off = new JwtVerifier(opts({ secret: '' }));
    assert.equal(off.enabled, false);
    const r = await off.verify(await hs256({ sub: 'u1' }));
    assert.ok(!r.ok && r.code === 'jwt_disabled');
  });

  it('issuer and audience are not checked when not configured', async () => {
    const open = new JwtVerifier(opts({ issuer: '', audience: '' }));
    const r = await open.verify(await hs256({ sub: 'u1' }, { iss: 'https://any.example', aud: 'any' }));
    assert.ok(r.ok && r.identity.issuer === 'https://any.example');
  });

  it('a key set that cannot be fetched is unavailable, not the token\'s fault', async () => {
    // A port nothing listens on (bound then closed).
    const { createServer } = await import('node:net');
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const jwks = new JwtVerifier(opts({ secret: '', jwksUrl: `http://127.0.0.1:${port}/jwks.json` }));
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('https://app.example').setAudience('scale-chat').setExpirationTime('5m').sign(privateKey);
    const r = await jwks.verify(token);
    assert.ok(!r.ok && r.code === 'unavailable', JSON.stringify(r));
  });
});
