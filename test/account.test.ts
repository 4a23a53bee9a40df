/**
 * Account changes (docs/protocol.md 4.5) against real servers: change the password (other sessions
 * closed with 4015, their tokens refused, the new password signs in, the old does not), sign out
 * everywhere, delete the account (messages kept, name reserved, memberships gone with a member-left
 * event), the guest rules and the login throttle on wrong passwords. Then the same revocation across
 * two nodes sharing Redis and PostgreSQL (skipped when those are not installed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorFrame, HistoryFrame, JoinedFrame, MemberEvent, MembersFrame, PasswordChangedFrame, ServerEvent, WelcomeFrame } from '../src/protocol/types.js';
import { ChatClient } from '../src/client/client.js';
import WebSocket from 'ws';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';
import { postgresMissing, startPostgres, type TestPostgres } from './helpers/postgres.js';
import { redisMissing, startRedis, type TestRedis } from './helpers/redis.js';

const PW = 'first password 1';
const PW2 = 'second password 2';
let n = 0;
const rid = () => `a${++n}`;

async function hello(url: string, auth: Record<string, unknown>): Promise<{ c: RawClient; first: WelcomeFrame | ErrorFrame }> {
  const c = await RawClient.open(url);
  c.send({ type: 'hello', v: 1, auth });
  const first = await c.next<WelcomeFrame | ErrorFrame>((e) => e.type === 'welcome' || e.type === 'error');
  return { c, first };
}

async function signedIn(url: string, auth: Record<string, unknown>): Promise<{ c: RawClient; w: WelcomeFrame }> {
  const { c, first } = await hello(url, auth);
  assert.equal(first.type, 'welcome', `hello ${JSON.stringify(auth)}: ${JSON.stringify(first)}`);
  return { c, w: first as WelcomeFrame };
}

/** The hello's outcome: `welcome`, or `<code> <close>`. */
async function outcome(url: string, auth: Record<string, unknown>): Promise<string> {
  const { c, first } = await hello(url, auth);
  if (first.type === 'welcome') {
    c.close();
    return 'welcome';
  }
  const { code } = await c.waitClose();
  return `${(first as ErrorFrame).code} ${code}`;
}

const req = <T extends ServerEvent>(c: RawClient, frame: Record<string, unknown> & { type: string }) => c.request<T>({ id: rid(), ...frame });

describe('account changes (SQLite)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ ratePerSec: 1000, rateBurst: 1000 });
  });
  after(async () => srv?.cleanup());

  it('changing the password ends the other sessions; the new token and password work, the old ones do not', async () => {
    const a = await signedIn(srv.url, { kind: 'register', name: 'pwuser', password: PW });
    const b = await signedIn(srv.url, { kind: 'login', name: 'pwuser', password: PW });
    const oldToken = a.w.token;

    const wrong = await req<ErrorFrame>(a.c, { type: 'password', current: 'not it at all', next: PW2 });
    assert.equal(wrong.type, 'error');
    assert.equal(wrong.code, 'auth_failed');
    const short = await req<ErrorFrame>(a.c, { type: 'password', current: PW, next: 'short' });
    assert.equal(short.code, 'password_invalid');
    assert.equal(b.c.closed, null, 'refused changes end no session');

    const r = await req<PasswordChangedFrame>(a.c, { type: 'password', current: PW, next: PW2 });
    assert.equal(r.type, 'password_changed');
    assert.ok(r.tokenExpiresAt > Date.now());
    // The other session: told why, then closed with 4015.
    const err = await b.c.next<ErrorFrame>((e) => e.type === 'error');
    assert.equal(err.code, 'token_revoked');
    assert.equal((await b.c.waitClose()).code, 4015);
    // This session goes on.
    assert.equal((await req(a.c, { type: 'ping' })).type, 'pong');
    assert.equal(a.c.closed, null);

    assert.equal(await outcome(srv.url, { kind: 'token', token: oldToken }), 'token_revoked 4015');
    assert.equal(await outcome(srv.url, { kind: 'token', token: b.w.token }), 'token_revoked 4015');
    assert.equal(await outcome(srv.url, { kind: 'token', token: r.token }), 'welcome');
    assert.equal(await outcome(srv.url, { kind: 'login', name: 'pwuser', password: PW }), 'auth_failed 4003');
    assert.equal(await outcome(srv.url, { kind: 'login', name: 'PWUSER', password: PW2 }), 'welcome');
    a.c.close();
  });

  it('wrong current passwords count in the login throttle', async () => {
    const s = await startServer({ loginMaxFailures: 2, loginDelayMs: 60_000 });
    try {
      const a = await signedIn(s.url, { kind: 'register', name: 'guessed', password: PW });
      const codes: string[] = [];
      for (let i = 0; i < 4; i++) codes.push((await req<ErrorFrame>(a.c, { type: 'password', current: `guess ${i} guess`, next: PW2 })).code);
      // Like logins (docs/protocol.md 4.3): two free failures, then a wait; even the right password is refused.
      assert.deepEqual(codes, ['auth_failed', 'auth_failed', 'login_throttled', 'login_throttled']);
      const right = await req<ErrorFrame>(a.c, { type: 'delete_account', password: PW });
      assert.equal(right.code, 'login_throttled');
      assert.ok((right.retryAfterMs ?? 0) > 0);
      // And a login of that name from this address waits too: one throttle for both.
      assert.equal(await outcome(s.url, { kind: 'login', name: 'guessed', password: PW }), 'login_throttled 4008');
      a.c.close();
    } finally {
      await s.cleanup();
    }
  });

  it('sign out everywhere ends every session, this one too, and every token', async () => {
    const a = await signedIn(srv.url, { kind: 'register', name: 'outall', password: PW });
    const b = await signedIn(srv.url, { kind: 'token', token: a.w.token });
    const r = await req(a.c, { type: 'signout_all' });
    assert.equal(r.type, 'signed_out');
    for (const s of [a, b]) {
      assert.equal((await s.c.next<ErrorFrame>((e) => e.type === 'error')).code, 'token_revoked');
      assert.equal((await s.c.waitClose()).code, 4015);
    }
    assert.equal(await outcome(srv.url, { kind: 'token', token: a.w.token }), 'token_revoked 4015');
    assert.equal(await outcome(srv.url, { kind: 'token', token: b.w.token }), 'token_revoked 4015');
    assert.equal(await outcome(srv.url, { kind: 'login', name: 'outall', password: PW }), 'welcome', 'the password still signs in');
  });

  it('guests cannot change a password or delete an account; they can sign out everywhere (the identity is gone)', async () => {
    const g = await signedIn(srv.url, { kind: 'guest', name: 'guesty' });
    assert.equal((await req<ErrorFrame>(g.c, { type: 'password', current: 'whatever1', next: PW2 })).code, 'forbidden');
    assert.equal((await req<ErrorFrame>(g.c, { type: 'delete_account', password: 'whatever1' })).code, 'forbidden');
    assert.equal((await req(g.c, { type: 'signout_all' })).type, 'signed_out');
    assert.equal((await g.c.waitClose()).code, 4015);
    assert.equal(await outcome(srv.url, { kind: 'token', token: g.w.token }), 'token_revoked 4015');
    assert.equal(await outcome(srv.url, { kind: 'guest', name: 'guesty' }), 'welcome', 'the name is free again');
  });

  it('deleting the account: messages kept, memberships gone (member left), DM readable, name reserved, sessions ended', async () => {
    const d = await signedIn(srv.url, { kind: 'register', name: 'leaver', password: PW });
    const d2 = await signedIn(srv.url, { kind: 'token', token: d.w.token });
    const peer = await signedIn(srv.url, { kind: 'register', name: 'stayer', password: PW });
    await req(peer.c, { type: 'create', room: 'club', visibility: 'public' });
    await req(d.c, { type: 'join', room: 'club' });
    await req(d.c, { type: 'send', room: 'club', text: 'bye all' });
    const dm = (await req<JoinedFrame>(d.c, { type: 'dm', user: 'stayer' })).room.id;
    await req(d.c, { type: 'send', room: dm, text: 'bye you' });

    assert.equal((await req<ErrorFrame>(d.c, { type: 'delete_account', password: 'wrong password' })).code, 'auth_failed');
    assert.equal(d2.c.closed, null);
    const from = peer.c.events.length;
    assert.equal((await req(d.c, { type: 'delete_account', password: PW })).type, 'account_deleted');
    for (const s of [d, d2]) {
      const e = await s.c.next<ErrorFrame>((x) => x.type === 'error');
      assert.equal(e.code, 'token_revoked');
      assert.equal((await s.c.waitClose()).code, 4015);
    }
    // The peer sees the member leave the public room.
    const left = await peer.c.next<MemberEvent>((e) => e.type === 'member' && (e as MemberEvent).action === 'left' && (e as MemberEvent).room === 'club');
    assert.equal(left.user.name, 'leaver');
    assert.ok(peer.c.events.length > from);
    const members = await req<MembersFrame>(peer.c, { type: 'members', room: 'club' });
    assert.deepEqual(members.members.map((m) => m.name), ['stayer']);
    // Messages stay, under the name they were sent with.
    const h = await req<HistoryFrame>(peer.c, { type: 'history', room: 'club' });
    assert.ok(h.messages.some((m) => m.text === 'bye all' && m.user === 'leaver'));
    const hd = await req<HistoryFrame>(peer.c, { type: 'history', room: dm });
    assert.ok(hd.messages.some((m) => m.text === 'bye you'), 'the DM stays readable by the peer');
    // Nobody to DM or invite any more; the name stays reserved.
    assert.equal((await req<ErrorFrame>(peer.c, { type: 'dm', user: 'leaver' })).code, 'no_such_user');
    assert.equal((await req<ErrorFrame>(peer.c, { type: 'invite', room: 'club', user: 'leaver' })).code, 'no_such_user');
    assert.equal(await outcome(srv.url, { kind: 'login', name: 'leaver', password: PW }), 'auth_failed 4003');
    assert.equal(await outcome(srv.url, { kind: 'token', token: d.w.token }), 'token_revoked 4015');
    assert.equal(await outcome(srv.url, { kind: 'register', name: 'leaver', password: PW }), 'name_taken 4007');
    assert.equal(await outcome(srv.url, { kind: 'guest', name: 'Leaver' }), 'name_taken 4007');
    peer.c.close();
  });

  it('SDK: changePassword keeps this client signed in with the new token; the other client ends with token_revoked and does not reconnect', async () => {
    const mk = (auth: ConstructorParameters<typeof ChatClient>[0]['auth']) => new ChatClient({ url: srv.url, WebSocket: WebSocket as never, auth, backoff: { baseMs: 10, maxMs: 20 } });
    const one = mk({ kind: 'register', name: 'sdkuser', password: PW });
    await one.connect();
    const two = mk({ kind: 'token', token: one.token! });
    await two.connect();
    const tokens: string[] = [];
    one.on('token', (t) => tokens.push(t.token));
    await assert.rejects(one.changePassword('wrong one!', PW2), (e: { code?: string }) => e.code === 'auth_failed');
    await one.changePassword(PW, PW2);
    assert.equal(tokens.length, 1);
    assert.equal(one.token, tokens[0]);
    await new Promise<void>((resolve) => {
      if (two.state === 'closed') return resolve();
      two.on('state', (s) => s.to === 'closed' && resolve());
    });
    assert.equal(two.closeError?.code, 'token_revoked');
    assert.equal(two.closeError?.closeCode, 4015);
    assert.equal(one.state, 'open');
    // A reconnect of `one` (the server drops it) uses the new token and succeeds.
    assert.equal(await outcome(srv.url, { kind: 'token', token: one.token! }), 'welcome');
    await one.deleteAccount(PW2);
    await new Promise<void>((resolve) => {
      if (one.state === 'closed') return resolve();
      one.on('state', (s) => s.to === 'closed' && resolve());
    });
    assert.equal(one.closeError?.code, 'token_revoked');
    two.close();
  });
});

const clusterMissing = redisMissing() ?? postgresMissing();

describe('account changes across two nodes (Redis + PostgreSQL)', { skip: clusterMissing ?? false, timeout: 120_000 }, () => {
  let redis: TestRedis;
  let pg: TestPostgres;
  const nodes: TestServer[] = [];
  before(async () => {
    redis = await startRedis();
    pg = await startPostgres();
    const postgresUrl = await pg.createDatabase('accounts');
    const flags = { redisUrl: redis.url, postgresUrl, ratePerSec: 1000, rateBurst: 1000 };
    nodes.push(await startServer(flags));
    nodes.push(await startServer(flags));
  });
  after(async () => {
    await Promise.all(nodes.map((s) => s.cleanup()));
    await redis?.cleanup();
    await pg?.cleanup();
  });

  it('a password change on node A closes the session on node B; the old token is refused by both', async () => {
    const [A, B] = nodes;
    const a = await signedIn(A.url, { kind: 'register', name: 'twonode', password: PW });
    const b = await signedIn(B.url, { kind: 'token', token: a.w.token });
    const r = await req<PasswordChangedFrame>(a.c, { type: 'password', current: PW, next: PW2 });
    assert.equal(r.type, 'password_changed');
    assert.equal((await b.c.next<ErrorFrame>((e) => e.type === 'error', 10_000)).code, 'token_revoked');
    assert.equal((await b.c.waitClose(10_000)).code, 4015);
    assert.equal(await outcome(A.url, { kind: 'token', token: a.w.token }), 'token_revoked 4015');
    assert.equal(await outcome(B.url, { kind: 'token', token: b.w.token }), 'token_revoked 4015');
    assert.equal(await outcome(B.url, { kind: 'token', token: r.token }), 'welcome');
    assert.equal(await outcome(B.url, { kind: 'login', name: 'twonode', password: PW2 }), 'welcome');
    // Deleting on B ends A's session too.
    const b2 = await signedIn(B.url, { kind: 'token', token: r.token });
    assert.equal((await req(b2.c, { type: 'delete_account', password: PW2 })).type, 'account_deleted');
    assert.equal((await a.c.waitClose(10_000)).code, 4015);
    assert.equal((await b2.c.waitClose(10_000)).code, 4015);
    assert.equal(await outcome(A.url, { kind: 'login', name: 'twonode', password: PW2 }), 'auth_failed 4003');
  });
});
