/**
 * JWT sign-in against real servers and a real JWKS server (HTTP on port 0, in this process), as an
 * application's backend would use it: HS256 tokens provision an account on first use and sign the same
 * account in again; RS256/ES256 tokens are verified with the JWKS, through a key rotation (a new kid is
 * fetched when first seen, a removed one is refused once the cached key set has expired); every refusal has
 * its code and close code; the rooms claim makes the user a member; the roles claim grants the admin role
 * only when the operator allowed it; the admin API takes the same tokens; bad tokens are throttled per
 * address; the SDK signs in with a JWT and reconnects with its session token after the JWT expired.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../src/client/index.js';
import { CloseCode } from '../src/protocol/codes.js';
import type { ErrorFrame, MemberEvent, ServerEvent, WelcomeFrame } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { startServer, tempDir, type TestServer } from './helpers/server.js';

const SECRET = 'the-backend-and-scale-chat-share-this-secret';
const ISS = 'https://app.example';
const AUD = 'scale-chat';
const PASSWORD = 'correct horse battery';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function hs256(claims: JWTPayload, o: { exp?: number | string; iss?: string; aud?: string; secret?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(o.iss ?? ISS)
    .setAudience(o.aud ?? AUD)
    .setIssuedAt()
    .setExpirationTime(o.exp ?? '5m')
    .sign(new TextEncoder().encode(o.secret ?? SECRET));
}

interface Key {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function makeKey(kid: string, alg: 'RS256' | 'ES256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

async function signWith(key: Key, claims: JWTPayload, kid = key.kid): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid }).setIssuer(ISS).setAudience(AUD).setExpirationTime('5m').sign(key.privateKey);
}

/** The application's key set, served over real HTTP; `keys` is what it serves now. */
class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** Says hello with `auth`; the welcome (and the open client) or the refusal with its close code. */
async function hello(url: string, auth: Record<string, unknown>): Promise<{ ok: true; c: RawClient; welcome: WelcomeFrame } | { ok: false; error: ErrorFrame; close: number }> {
  const c = await RawClient.open(url);
  c.send({ type: 'hello', v: 1, auth });
  const first = await c.next<ServerEvent>((e) => e.type === 'welcome' || e.type === 'error');
  if (first.type === 'welcome') return { ok: true, c, welcome: first };
  const close = await c.waitClose();
  return { ok: false, error: first as ErrorFrame, close: close.code };
}

async function jwtIn(url: string, token: string): Promise<{ c: RawClient; welcome: WelcomeFrame }> {
  const r = await hello(url, { kind: 'jwt', token });
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.error)} (close ${r.close})`);
  return r;
}

async function refusal(url: string, token: string): Promise<{ code: string; close: number; message: string }> {
  const r = await hello(url, { kind: 'jwt', token });
  if (r.ok) {
    r.c.close();
    throw new Error('accepted');
  }
  return { code: r.error.code, close: r.close, message: r.error.message };
}

async function adminMe(srv: TestServer, bearer: string): Promise<{ status: number; body: { admin?: boolean; user?: { id: string; name: string }; error?: string } }> {
  const r = await fetch(`${srv.http}/admin/api/me`, { headers: { authorization: `Bearer ${bearer}` } });
  return { status: r.status, body: (await r.json()) as { admin?: boolean; user?: { id: string; name: string }; error?: string } };
}

describe('JWT sign-in', () => {
  const jwks = new JwksServer();
  let srv: TestServer;
  let k1: Key;
  let k2: Key;

  before(async () => {
    [k1, k2] = await Promise.all([makeKey('key-2026-01', 'RS256'), makeKey('key-2026-02', 'ES256')]);
    jwks.keys = [k1.jwk];
    await jwks.start();
    srv = await startServer({
      jwtSecret: SECRET,
      jwtJwksUrl: jwks.url,
      jwtIssuer: ISS,
      jwtAudience: AUD,
      jwtAdminRole: 'chat-admin',
      jwtJwksCooldownMs: 300,
      jwtJwksCacheMs: 1500,
    });
  });
  after(async () => {
    await srv?.cleanup();
    await jwks.stop();
  });

  it('HS256: the first sign-in provisions an account named by the name claim; the next ones are the same account', async () => {
    const first = await jwtIn(srv.url, await hs256({ sub: 'app-user-1', name: 'Ann' }));
    assert.equal(first.welcome.user.name, 'Ann');
    assert.equal(first.welcome.user.account, true);
    assert.ok(first.welcome.token.startsWith('v1.'), 'a session token, as for every sign-in');
    first.c.close();
    // Another token of the same subject, with another name: the same account, its name kept.
    const second = await jwtIn(srv.url, await hs256({ sub: 'app-user-1', name: 'Annie' }));
    assert.equal(second.welcome.user.id, first.welcome.user.id);
    assert.equal(second.welcome.user.name, 'Ann');
    second.c.close();
    // preferred_username when there is no name claim.
    const p = await jwtIn(srv.url, await hs256({ sub: 'app-user-2', preferred_username: 'pat.k' }));
    assert.equal(p.welcome.user.name, 'pat.k');
    assert.notEqual(p.welcome.user.id, first.welcome.user.id);
    p.c.close();
    // The session token of the welcome resumes the same user, as for any sign-in.
    const resumed = await hello(srv.url, { kind: 'token', token: second.welcome.token });
    assert.ok(resumed.ok);
    assert.equal(resumed.welcome.user.id, first.welcome.user.id);
    resumed.c.close();
  });

  it('a JWT account has no password: password login and registration of its name fail, password and delete_account are forbidden', async () => {
    const { c, welcome } = await jwtIn(srv.url, await hs256({ sub: 'app-user-3', name: 'dora' }));
    const pw = await c.request<ErrorFrame>({ type: 'password', id: 'p1', current: 'whatever-1', next: 'a new password' });
    assert.equal(pw.type, 'error');
    assert.equal(pw.code, 'forbidden');
    assert.match(pw.message, /JWT/);
    const del = await c.request<ErrorFrame>({ type: 'delete_account', id: 'd1', password: 'whatever-1' });
    assert.equal(del.code, 'forbidden');
    c.close();
    const login = await hello(srv.url, { kind: 'login', name: 'dora', password: PASSWORD });
    assert.ok(!login.ok && login.error.code === 'auth_failed' && login.close === CloseCode.authFailed);
    const reg = await hello(srv.url, { kind: 'register', name: 'Dora', password: PASSWORD });
    assert.ok(!reg.ok && reg.error.code === 'name_taken');
    // Still the same account afterwards.
    const again = await jwtIn(srv.url, await hs256({ sub: 'app-user-3', name: 'dora' }));
    assert.equal(again.welcome.user.id, welcome.user.id);
    again.c.close();
  });

  it("a first sign-in with another account's name, without a name, or with a bad name is refused", async () => {
    const reg = await hello(srv.url, { kind: 'register', name: 'erin', password: PASSWORD });
    assert.ok(reg.ok);
    reg.c.close();
    const taken = await refusal(srv.url, await hs256({ sub: 'app-user-4', name: 'ERIN' }));
    assert.deepEqual([taken.code, taken.close], ['name_taken', CloseCode.nameTaken]);
    const none = await refusal(srv.url, await hs256({ sub: 'app-user-4' }));
    assert.deepEqual([none.code, none.close], ['jwt_claim_invalid', CloseCode.jwtClaimInvalid]);
    const bad = await refusal(srv.url, await hs256({ sub: 'app-user-4', name: '<script>' }));
    assert.deepEqual([bad.code, bad.close], ['jwt_claim_invalid', CloseCode.jwtClaimInvalid]);
    assert.match(bad.message, /naming rules/);
    // The subject is not mapped by the refusals: a good name works afterwards.
    const ok = await jwtIn(srv.url, await hs256({ sub: 'app-user-4', name: 'erin2' }));
    assert.equal(ok.welcome.user.name, 'erin2');
    ok.c.close();
  });

  it('every refusal has its code and close code', async () => {
    const cases: [string, string, string, number][] = [
      ['expired', await hs256({ sub: 'x1', name: 'xa' }, { exp: Math.floor(Date.now() / 1000) - 120 }), 'jwt_expired', CloseCode.jwtExpired],
      ['bad signature', await hs256({ sub: 'x1', name: 'xa' }, { secret: 'not-the-secret-but-just-as-long-as-it' }), 'jwt_invalid', CloseCode.jwtInvalid],
      ['malformed', 'eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln', 'jwt_invalid', CloseCode.jwtInvalid],
      ['unknown kid', await signWith(await makeKey('nobody-has-this-kid', 'RS256'), { sub: 'x1', name: 'xa' }), 'jwt_unknown_key', CloseCode.jwtUnknownKey],
      ['wrong audience', await hs256({ sub: 'x1', name: 'xa' }, { aud: 'another-app' }), 'jwt_claim_invalid', CloseCode.jwtClaimInvalid],
      ['wrong issuer', await hs256({ sub: 'x1', name: 'xa' }, { iss: 'https://evil.example' }), 'jwt_claim_invalid', CloseCode.jwtClaimInvalid],
    ];
    for (const [what, token, code, close] of cases) {
      const r = await refusal(srv.url, token);
      assert.deepEqual([r.code, r.close], [code, close], what);
    }
  });

  it('RS256 and ES256 through the JWKS, across a key rotation', async () => {
    const before = jwks.fetches;
    const a = await jwtIn(srv.url, await signWith(k1, { sub: 'rot-1', name: 'rotor' }));
    a.c.close();
    // The application publishes its next key beside the current one, then signs with it: the unknown
    // kid makes the server refetch the key set (once the cooldown since the last fetch has passed).
    jwks.keys = [k1.jwk, k2.jwk];
    await sleep(350);
    const b = await jwtIn(srv.url, await signWith(k2, { sub: 'rot-1', name: 'rotor' }));
    assert.equal(b.welcome.user.id, a.welcome.user.id);
    b.c.close();
    assert.ok(jwks.fetches > before, 'the new kid was fetched');
    // The old key is removed: still trusted from the cached set until that expires (jwtJwksCacheMs 1500)...
    jwks.keys = [k2.jwk];
    const stillCached = await jwtIn(srv.url, await signWith(k1, { sub: 'rot-1' }));
    stillCached.c.close();
    await sleep(1600);
    // ...then refetched: the old kid is refused, the new one accepted.
    const old = await refusal(srv.url, await signWith(k1, { sub: 'rot-1' }));
    assert.deepEqual([old.code, old.close], ['jwt_unknown_key', CloseCode.jwtUnknownKey]);
    const cur = await jwtIn(srv.url, await signWith(k2, { sub: 'rot-1' }));
    cur.c.close();
    // A burst of tokens with unknown kids refetches at most once per cooldown.
    await sleep(350);
    const fetchesBefore = jwks.fetches;
    const stranger = await makeKey('x', 'ES256');
    const burst = await Promise.all(Array.from({ length: 10 }, async (_, i) => refusal(srv.url, await signWith(stranger, { sub: 'b' }, `unknown-${i}`))));
    assert.ok(burst.every((r) => r.code === 'jwt_unknown_key'));
    const burstFetches = jwks.fetches - fetchesBefore;
    assert.ok(burstFetches <= 2, `${burstFetches} fetches for 10 unknown kids`);
    console.log(`# JWKS fetches: ${jwks.fetches} in the whole suite; ${burstFetches} for a burst of 10 tokens with unknown kids`);
  });

  it('the rooms claim makes the user a member of the rooms that exist, and the members see it', async () => {
    const owner = await hello(srv.url, { kind: 'register', name: 'owner', password: PASSWORD });
    assert.ok(owner.ok);
    await owner.c.request({ type: 'create', id: 'c1', room: 'team', visibility: 'public' });
    await owner.c.request({ type: 'create', id: 'c2', room: 'secret', visibility: 'private' });
    const token = await hs256({ sub: 'room-user', name: 'carol', rooms: ['team', 'secret', 'no-such-room', 'general', 'dm:u1:u2'] });
    const carol = await jwtIn(srv.url, token);
    const ids = carol.welcome.rooms.map((r) => r.id).sort();
    assert.deepEqual(ids, ['general', 'secret', 'team']);
    const joined = await owner.c.next<MemberEvent>((e) => e.type === 'member' && e.room === 'team');
    assert.equal(joined.action, 'joined');
    assert.equal(joined.user.name, 'carol');
    carol.c.close();
    // A later token without the claim leaves the memberships as they are.
    const again = await jwtIn(srv.url, await hs256({ sub: 'room-user', name: 'carol' }));
    assert.deepEqual(again.welcome.rooms.map((r) => r.id).sort(), ['general', 'secret', 'team']);
    again.c.close();
    owner.c.close();
    // Too many rooms is the application's bug: refused, by claim.
    const many = await refusal(srv.url, await hs256({ sub: 'room-user', rooms: Array.from({ length: 51 }, (_, i) => `r${i}`) }));
    assert.equal(many.code, 'jwt_claim_invalid');
    assert.match(many.message, /rooms/);
  });

  it('the roles claim grants the admin role (jwtAdminRole set), and a token without it takes it back', async () => {
    const admin = await jwtIn(srv.url, await hs256({ sub: 'boss', name: 'boss', roles: ['chat-admin', 'staff'] }));
    admin.c.close();
    const me = await adminMe(srv, admin.welcome.token);
    assert.equal(me.status, 200);
    assert.equal(me.body.admin, true);
    const stats = await fetch(`${srv.http}/admin/api/stats`, { headers: { authorization: `Bearer ${admin.welcome.token}` } });
    await stats.body?.cancel();
    assert.equal(stats.status, 200);
    const plain = await jwtIn(srv.url, await hs256({ sub: 'boss', name: 'boss', roles: ['staff'] }));
    plain.c.close();
    assert.equal((await adminMe(srv, admin.welcome.token)).body.admin, false);
  });

  it('the admin API takes a JWT bearer: the same account, the role from its claims, the same refusals', async () => {
    const token = await hs256({ sub: 'api-admin', name: 'ops', roles: ['chat-admin'] });
    const me = await adminMe(srv, token);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.user?.name, 'ops');
    assert.equal(me.body.admin, true);
    const rooms = await fetch(`${srv.http}/admin/api/rooms`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(rooms.status, 200);
    await rooms.body?.cancel();
    // The same account as a WebSocket sign-in with a token of the same subject.
    const ws = await jwtIn(srv.url, await hs256({ sub: 'api-admin', name: 'ops' }));
    assert.equal(ws.welcome.user.id, me.body.user?.id);
    ws.c.close();
    const nonAdmin = await adminMe(srv, await hs256({ sub: 'api-user', name: 'viewer' }));
    assert.deepEqual([nonAdmin.status, nonAdmin.body.admin], [200, false]);
    const stats = await fetch(`${srv.http}/admin/api/stats`, { headers: { authorization: `Bearer ${await hs256({ sub: 'api-user', name: 'viewer' })}` } });
    assert.equal(stats.status, 403);
    await stats.body?.cancel();
    const expired = await adminMe(srv, await hs256({ sub: 'api-admin' }, { exp: Math.floor(Date.now() / 1000) - 120 }));
    assert.deepEqual([expired.status, expired.body.error], [401, 'jwt_expired']);
    const forged = await adminMe(srv, await hs256({ sub: 'api-admin', roles: ['chat-admin'] }, { secret: 'not-the-secret-but-just-as-long-as-it' }));
    assert.deepEqual([forged.status, forged.body.error], [401, 'jwt_invalid']);
  });

  it('the HTTP API takes a JWT bearer: the call acts as that user (not a bot), with its rights, and the same refusals', async () => {
    const token = await hs256({ sub: 'api-publisher', name: 'Pia' });
    const watcher = await jwtIn(srv.url, await hs256({ sub: 'api-watcher', name: 'Wes' }));
    try {
      const post = (room: string, body: unknown, bearer = token) =>
        fetch(`${srv.http}/api/v1/rooms/${encodeURIComponent(room)}/messages`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const r = await post('general', { text: 'from my backend, as me', idempotencyKey: 'jwt-api-1' });
      assert.equal(r.status, 201, await r.clone().text());
      const ack = (await r.json()) as { seq: number };
      const msg = await watcher.c.next((f) => f.type === 'msg' && (f as { seq?: number }).seq === ack.seq);
      assert.equal((msg as { user: string }).user, 'Pia');
      assert.equal((msg as { bot?: boolean }).bot, undefined, 'a JWT user is not a bot');
      // The same key again: the same message.
      const again = await post('general', { text: 'from my backend, as me', idempotencyKey: 'jwt-api-1' });
      assert.equal(((await again.json()) as { seq: number }).seq, ack.seq);
      // The user's own rights: not a member of a private room it was not invited to.
      const owner = await jwtIn(srv.url, await hs256({ sub: 'api-owner', name: 'Oda' }));
      owner.c.send({ type: 'create', id: 'c1', room: 'jwt-private', visibility: 'private' });
      await owner.c.next((f) => f.type === 'joined');
      owner.c.close();
      const refused = await post('jwt-private', { text: 'let me in', idempotencyKey: 'jwt-api-2' });
      assert.ok(refused.status === 403 || refused.status === 404, `status ${refused.status}`);
      await refused.body?.cancel();
      // History reads as the user.
      const h = await fetch(`${srv.http}/api/v1/rooms/general/messages?limit=5`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(h.status, 200);
      assert.ok(((await h.json()) as { messages: { seq: number }[] }).messages.some((m) => m.seq === ack.seq));
      // Refusals carry the JWT codes.
      const expired = await post('general', { text: 'x', idempotencyKey: 'jwt-api-3' }, await hs256({ sub: 'api-publisher' }, { exp: Math.floor(Date.now() / 1000) - 120 }));
      assert.deepEqual([expired.status, ((await expired.json()) as { error: { code: string } }).error.code], [401, 'jwt_expired']);
    } finally {
      watcher.c.close();
    }
  });
});

describe('JWT sign-in, other configurations', () => {
  it('roles are ignored without jwtAdminRole; a JWKS algorithm is refused with only a secret', async () => {
    const srv = await startServer({ jwtSecret: SECRET, jwtIssuer: ISS, jwtAudience: AUD });
    try {
      const r = await jwtIn(srv.url, await hs256({ sub: 'boss', name: 'boss', roles: ['chat-admin', 'admin'] }));
      r.c.close();
      assert.equal((await adminMe(srv, r.welcome.token)).body.admin, false);
      const rs = await refusal(srv.url, await signWith(await makeKey('k', 'RS256'), { sub: 'boss' }));
      assert.deepEqual([rs.code, rs.close], ['jwt_invalid', CloseCode.jwtInvalid]);
    } finally {
      await srv.cleanup();
    }
  });

  it('a server without JWT configuration refuses jwt hellos with jwt_disabled', async () => {
    const srv = await startServer();
    try {
      const r = await refusal(srv.url, await hs256({ sub: 'u', name: 'someone' }));
      assert.deepEqual([r.code, r.close], ['jwt_disabled', CloseCode.jwtDisabled]);
      // The admin API reads such a bearer as a session token: not one.
      const me = await adminMe(srv, await hs256({ sub: 'u' }));
      assert.deepEqual([me.status, me.body.error], [401, 'token_invalid']);
    } finally {
      await srv.cleanup();
    }
  });

  it('bad tokens are throttled per address: past the bound even a good token waits (login_throttled)', async () => {
    // loginMaxFailures 1: ADDRESS_FACTOR (10) failed verifications per address per window.
    const srv = await startServer({ jwtSecret: SECRET, loginMaxFailures: 1 });
    try {
      const bad = await hs256({ sub: 'u', name: 'someone' }, { secret: 'not-the-secret-but-just-as-long-as-it' });
      for (let i = 0; i < 10; i++) assert.equal((await refusal(srv.url, bad)).code, 'jwt_invalid', `attempt ${i + 1}`);
      const t = await hello(srv.url, { kind: 'jwt', token: await hs256({ sub: 'u', name: 'someone' }) });
      assert.ok(!t.ok);
      assert.deepEqual([t.error.code, t.close], ['login_throttled', CloseCode.loginThrottled]);
      assert.ok((t.error.retryAfterMs ?? 0) > 0);
    } finally {
      await srv.cleanup();
    }
  });

  it('the SDK signs in with a JWT and, after the JWT expired, reconnects with its session token', async () => {
    const dir = tempDir();
    const config = { jwtSecret: SECRET, jwtClockToleranceMs: 0 };
    let srv = await startServer(config, dir);
    const port = srv.port;
    try {
      const token = await hs256({ sub: 'sdk-user', name: 'sdkuser' }, { exp: Math.floor(Date.now() / 1000) + 2 });
      const chat = new ChatClient({
        url: srv.url,
        WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'],
        auth: { kind: 'jwt', token },
        backoff: { baseMs: 50, maxMs: 300 },
      });
      const states: string[] = [];
      chat.on('state', (c) => states.push(c.to));
      const welcome = await chat.connect();
      assert.equal(welcome.user.name, 'sdkuser');
      await chat.send('general', 'before');
      await sleep(2500); // the JWT has expired now
      const late = new ChatClient({ url: srv.url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth: { kind: 'jwt', token } });
      await assert.rejects(late.connect(), (e: { code?: string }) => e.code === 'jwt_expired');
      await srv.stop(); // the SDK sees 1012 and reconnects
      srv = await startServer({ ...config, port }, dir);
      const end = Date.now() + 10_000;
      while (!states.includes('reconnecting') || chat.state !== 'open') {
        if (Date.now() > end) throw new Error(`not reconnected: ${chat.state} ${chat.closeError?.code ?? ''}`);
        await sleep(20);
      }
      await sleep(100);
      assert.equal(chat.state, 'open');
      assert.equal(chat.user?.id, welcome.user.id);
      const ack = await chat.send('general', 'after');
      assert.ok(ack.seq > 1);
      chat.close();
    } finally {
      await srv.cleanup();
    }
  });
});
