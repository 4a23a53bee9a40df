/**
 * The HTTP API for backends against a real server (docs/api.md): an admin makes an API key (shown once,
 * listed without its secret, audited); its bot publishes over HTTP and a WebSocket client in the room sees
 * the message with `bot: true`, in seq order with WebSocket sends, acknowledged with the committed seq;
 * the same idempotency key gives the same result and one message; history, rooms, members and online
 * users; the bot over WebSocket; revoking the key closes the bot's connections (4016) and refuses it
 * everywhere; the key's rate limit answers 429 with Retry-After; bad input gets its status and code.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { AdminApiKeysResponse } from '../src/protocol/admin.js';
import type { AckFrame, ErrorFrame, MemberEvent, MsgEvent, RoomAddedEvent, RoomRemovedEvent, WelcomeFrame } from '../src/protocol/types.js';
import { adminCli, CLI } from './helpers/admin.js';
import { adminAccount, call, createKey } from './helpers/api.js';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
let adminToken: string;
let admin: RawClient;
let key: string;
let n = 0;
const uniq = (p: string) => `${p}${++n}`;

before(async () => {
  srv = await startServer({ ratePerSec: 1000, rateBurst: 1000, apiRatePerSec: 1000, apiRateBurst: 1000 });
  const a = await adminAccount(srv, 'keymaster');
  admin = a.c;
  adminToken = a.token;
  key = (await createKey(srv, adminToken, 'newsbot', ['publish', 'rooms', 'history'])).key;
});
after(async () => {
  admin?.close();
  await srv?.cleanup();
});

describe('API keys (admin API)', () => {
  it('a key is shown once, listed without its secret, and audited; its bot name is taken like an account name', async () => {
    const made = await createKey(srv, adminToken, 'relaybot', ['history']);
    assert.match(made.key, /^sck_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(made.apiKey.name, 'relaybot');
    assert.deepEqual(made.apiKey.scopes, ['history']);
    const list = await call<AdminApiKeysResponse>(srv, 'GET', '/admin/api/keys', adminToken);
    assert.equal(list.status, 200);
    const row = list.body.keys.find((k) => k.id === made.apiKey.id);
    assert.ok(row);
    const text = JSON.stringify(list.body);
    assert.ok(!text.includes(made.key.slice(22)), 'the secret is never listed');
    assert.ok(!('secretHash' in row) && !('key' in row));
    // The same name again, or an account's name: refused, nothing made.
    const again = await call(srv, 'POST', '/admin/api/keys', adminToken, { name: 'RelayBot', scopes: ['history'] });
    assert.equal(again.status, 409);
    assert.equal((again.body as unknown as { error: string }).error, 'name_taken');
    assert.equal((await call(srv, 'POST', '/admin/api/keys', adminToken, { name: 'keymaster', scopes: ['publish'] })).status, 409);
    assert.equal((await call(srv, 'POST', '/admin/api/keys', adminToken, { name: 'x1', scopes: ['everything'] })).status, 400);
    // A guest cannot take the bot's name.
    const c = await RawClient.open(srv.url);
    c.send({ type: 'hello', v: 1, auth: { kind: 'guest', name: 'relaybot' } });
    const refused = await c.next<ErrorFrame>((e) => e.type === 'error');
    assert.equal(refused.code, 'name_taken');
    c.close();
    const audit = await call<{ entries: { action: string; target: string }[] }>(srv, 'GET', '/admin/api/audit?limit=20', adminToken);
    assert.ok(audit.body.entries.some((e) => e.action === 'api_key_create' && e.target === 'relaybot'));
    // Not an admin: 403, nothing listed.
    const { c: g, welcome } = await RawClient.guest(srv.url, uniq('nosy'));
    assert.equal((await call(srv, 'GET', '/admin/api/keys', welcome.token)).status, 403);
    g.close();
  });
});

describe('API keys (scale-chat admin key, on the server host)', () => {
  it('the README way, `admin key create NAME | head -1`: the first line is the key, and the pipe closing early ends the command quietly', async () => {
    const child = spawn(process.execPath, [CLI, 'admin', 'key', 'create', 'headbot', '--scopes', 'publish', '--data-dir', srv.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    // Like `head -1`: read up to the first newline, then close the pipe before the rest is written.
    const first = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          child.stdout.destroy();
          resolve(out.slice(0, nl));
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.match(first, /^sck_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(code, 0, stderr);
    assert.ok(!stderr.includes('EPIPE'), stderr);
    assert.equal((await call(srv, 'POST', '/api/v1/rooms/general/messages', first, { text: 'Deploy 42 finished', idempotencyKey: 'deploy-42' })).status, 201);
  });

  it('create prints the key once; it works on the running server at once; list shows it without the secret; revoke refuses it at once', async () => {
    const made = await adminCli(['key', 'create', 'clibot', '--scopes', 'publish,history', '--data-dir', srv.dataDir]);
    assert.equal(made.code, 0, made.stderr);
    const [cliKey, note] = made.stdout.trim().split('\n');
    assert.match(cliKey, /^sck_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.match(note, /bot "clibot".*scopes publish,history: shown once/);
    const id = cliKey.slice(4, 20);
    assert.equal((await call(srv, 'POST', '/api/v1/rooms/general/messages', cliKey, { text: 'from the cli key', idempotencyKey: 'cli-1' })).status, 201);
    const list = await adminCli(['key', 'list', '--data-dir', srv.dataDir]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^${id}\tclibot\tpublish,history\tlive\tlast used \\d{4}-\\d\\d-\\d\\dT`, 'm'));
    assert.ok(!list.stdout.includes(cliKey.slice(21)), 'no secret in the listing');
    const revoked = await adminCli(['key', 'revoke', id, '--data-dir', srv.dataDir]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await call(srv, 'GET', '/api/v1/online', cliKey);
    assert.equal(after.status, 401);
    assert.equal(after.body.error?.code, 'key_revoked');
    assert.equal((await adminCli(['key', 'create', 'x2', '--scopes', 'root', '--data-dir', srv.dataDir])).code, 2);
    assert.equal((await adminCli(['key', 'revoke', 'ffffffffffffffff', '--data-dir', srv.dataDir])).code, 1);
    const audit = await call<{ entries: { action: string; actor: string; target: string }[] }>(srv, 'GET', '/admin/api/audit?limit=50', adminToken);
    for (const action of ['api_key_create', 'api_key_revoke']) assert.ok(audit.body.entries.some((e) => e.action === action && e.target === 'clibot' && e.actor === 'scale-chat admin (cli)'), action);
  });
});

describe('publishing over HTTP', () => {
  it('a WebSocket client in general receives it with bot: true, in seq order with WebSocket sends; 201 carries the committed seq', async () => {
    const { c } = await RawClient.guest(srv.url, uniq('reader'));
    const a1 = await c.request<AckFrame>({ type: 'send', id: uniq('w'), room: 'general', text: 'before' });
    const pub = await call<{ room: string; seq: number; id: string; ts: number }>(srv, 'POST', '/api/v1/rooms/general/messages', key, { text: 'deploy finished' }, { 'idempotency-key': 'deploy-1' });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    assert.equal(pub.body.room, 'general');
    assert.equal(pub.body.id, 'deploy-1');
    assert.equal(pub.body.seq, a1.seq + 1);
    const a2 = await c.request<AckFrame>({ type: 'send', id: uniq('w'), room: 'general', text: 'after' });
    assert.equal(a2.seq, pub.body.seq + 1);
    // Every msg event this client received from a1 on (the acks were awaited in between: read them all).
    const mine = () => c.events.filter((e): e is MsgEvent => e.type === 'msg' && e.seq >= a1.seq);
    for (let i = 0; i < 100 && mine().length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    const msgs = mine();
    assert.deepEqual(msgs.map((m) => [m.seq, m.text, m.bot ?? false]), [
      [a1.seq, 'before', false],
      [pub.body.seq, 'deploy finished', true],
      [a2.seq, 'after', false],
    ]);
    assert.equal(msgs[1].user, 'newsbot');
    assert.equal(msgs[1].ts, pub.body.ts);
    c.close();
    // Counted for the operators (docs/operations.md).
    const metrics = await (await fetch(`${srv.http}/metrics`)).text();
    assert.match(metrics, /^scalechat_api_requests_total\{[^}]*route="publishMessage"[^}]*status="201"[^}]*\} [1-9]/m);
    assert.match(metrics, /^scalechat_api_request_seconds_count\{[^}]*route="publishMessage"[^}]*\} [1-9]/m);
  });

  it('the same idempotency key gives the same result and one message; another text with it is 409 id_conflict', async () => {
    const body = { text: 'only once', idempotencyKey: 'once-1' };
    const first = await call<{ seq: number }>(srv, 'POST', '/api/v1/rooms/general/messages', key, body);
    const second = await call<{ seq: number }>(srv, 'POST', '/api/v1/rooms/general/messages', key, body);
    assert.equal(first.status, 201);
    assert.deepEqual(second.body, first.body);
    const h = await call<{ messages: MsgEvent[] }>(srv, 'GET', `/api/v1/rooms/general/messages?after=${first.body.seq - 1}&limit=200`, key);
    assert.equal(h.body.messages.filter((m) => m.id === 'once-1').length, 1);
    const conflict = await call(srv, 'POST', '/api/v1/rooms/general/messages', key, { text: 'another text', idempotencyKey: 'once-1' });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error?.code, 'id_conflict');
    const none = await call(srv, 'POST', '/api/v1/rooms/general/messages', key, { text: 'no key' });
    assert.equal(none.status, 400);
    const differ = await call(srv, 'POST', '/api/v1/rooms/general/messages', key, { text: 'x', idempotencyKey: 'a' }, { 'idempotency-key': 'b' });
    assert.equal(differ.status, 400);
  });

  it('history pages like WebSocket history: bot flags kept, before/after/limit, hasMore', async () => {
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call<{ seq: number }>(srv, 'POST', '/api/v1/rooms/general/messages', key, { text: `page ${i}`, idempotencyKey: uniq('p') });
      seqs.push(r.body.seq);
    }
    const page = await call<{ room: string; messages: MsgEvent[]; hasMore: boolean }>(srv, 'GET', `/api/v1/rooms/general/messages?before=${seqs[4]}&limit=2`, key);
    assert.equal(page.status, 200);
    assert.deepEqual(page.body.messages.map((m) => m.seq), [seqs[2], seqs[3]]);
    assert.ok(page.body.messages.every((m) => m.bot === true && m.type === 'msg'));
    assert.equal(page.body.hasMore, true);
    const fwd = await call<{ messages: MsgEvent[]; hasMore: boolean }>(srv, 'GET', `/api/v1/rooms/general/messages?after=${seqs[3]}`, key);
    assert.deepEqual(fwd.body.messages.map((m) => m.text), ['page 4']);
    assert.equal(fwd.body.hasMore, false);
    for (const bad of ['limit=0', 'before=-1', 'after=1e3', 'limit=abc']) {
      const r = await call(srv, 'GET', `/api/v1/rooms/general/messages?${bad}`, key);
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.error?.code, 'bad_request');
    }
  });

  it('text rules, replies and membership as for a send; read-only rooms refused', async () => {
    assert.equal((await call(srv, 'POST', '/api/v1/rooms/general/messages', key, { text: '   ', idempotencyKey: uniq('t') })).body.error?.code, 'text_invalid');
    const reply = await call(srv, 'POST', '/api/v1/rooms/general/messages', key, { text: 'to nothing', replyTo: 999_999, idempotencyKey: uniq('t') });
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error?.code, 'no_such_message');
    for (const room of ['not-a-room', '__proto__', 'constructor']) {
      const r = await call(srv, 'POST', `/api/v1/rooms/${room}/messages`, key, { text: 'hi', idempotencyKey: uniq('t') });
      assert.equal(r.status, 403, room);
      assert.equal(r.body.error?.code, 'not_member');
    }
    const made = await call(srv, 'POST', '/api/v1/rooms', key, { room: 'frozen', visibility: 'public' });
    assert.equal(made.status, 201);
    assert.equal((await call(srv, 'POST', '/admin/api/rooms/frozen/read-only', adminToken, { readOnly: true })).status, 200);
    const ro = await call(srv, 'POST', '/api/v1/rooms/frozen/messages', key, { text: 'hi', idempotencyKey: uniq('t') });
    assert.equal(ro.status, 403);
    assert.equal(ro.body.error?.code, 'read_only');
  });
});

describe('rooms, members and online users over HTTP', () => {
  it('a created room is the bot\'s; an added member sees it live and receives its messages; a removed one leaves it', async () => {
    const name = uniq('ops');
    const { c: alice, welcome } = await RawClient.guest(srv.url, uniq('alice'));
    const made = await call<{ room: { id: string; kind: string } }>(srv, 'POST', '/api/v1/rooms', key, { room: name, visibility: 'private' });
    assert.equal(made.status, 201);
    assert.deepEqual([made.body.room.id, made.body.room.kind], [name, 'private']);
    assert.equal((await call(srv, 'POST', '/api/v1/rooms', key, { room: name, visibility: 'public' })).body.error?.code, 'room_exists');
    assert.equal((await call(srv, 'POST', '/api/v1/rooms', key, { room: 'Bad Name!', visibility: 'public' })).body.error?.code, 'room_invalid');

    const add = await call<{ room: string; user: { id: string; name: string } }>(srv, 'PUT', `/api/v1/rooms/${name}/members/${welcome.user.name}`, key);
    assert.equal(add.status, 200, JSON.stringify(add.body));
    assert.equal(add.body.user.id, welcome.user.id);
    const added = await alice.next<RoomAddedEvent>((e) => e.type === 'room_added');
    assert.equal(added.room.id, name);
    const pub = await call<{ seq: number }>(srv, 'POST', `/api/v1/rooms/${name}/messages`, key, { text: 'welcome aboard', idempotencyKey: uniq('m') });
    const got = await alice.next<MsgEvent>((e) => e.type === 'msg' && e.room === name);
    assert.deepEqual([got.seq, got.text, got.bot], [pub.body.seq, 'welcome aboard', true]);
    assert.equal((await call(srv, 'PUT', `/api/v1/rooms/${name}/members/nobody-here`, key)).body.error?.code, 'no_such_user');

    const online = await call<{ room: string; users: { name: string }[] }>(srv, 'GET', `/api/v1/rooms/${name}/online`, key);
    assert.deepEqual(online.body.users.map((u) => u.name), [welcome.user.name]);
    const everyone = await call<{ users: { name: string }[]; total: number }>(srv, 'GET', '/api/v1/online', key);
    assert.ok(everyone.body.users.some((u) => u.name === welcome.user.name));
    assert.ok(everyone.body.total >= 2);

    const del = await call(srv, 'DELETE', `/api/v1/rooms/${name}/members/${welcome.user.name}`, key);
    assert.equal(del.status, 200);
    const removed = await alice.next<RoomRemovedEvent>((e) => e.type === 'room_removed');
    assert.equal(removed.room, name);
    await call(srv, 'POST', `/api/v1/rooms/${name}/messages`, key, { text: 'not for alice', idempotencyKey: uniq('m') });
    const h = await call<{ messages: MsgEvent[] }>(srv, 'GET', `/api/v1/rooms/${name}/messages`, key);
    assert.deepEqual(h.body.messages.map((m) => m.text), ['welcome aboard', 'not for alice']);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alice.events.some((e) => e.type === 'msg' && e.text === 'not for alice'), 'a removed member receives nothing more');
    assert.equal((await call(srv, 'DELETE', `/api/v1/rooms/${name}/members/${welcome.user.name}`, key)).status, 404);
    // A room the bot is not in: nothing to manage or read.
    const { c: bob } = await RawClient.guest(srv.url, uniq('bob'));
    const other = uniq('bobs');
    await bob.request({ type: 'create', id: 'c1', room: other, visibility: 'private' });
    for (const [m, p] of [['PUT', `/api/v1/rooms/${other}/members/${welcome.user.name}`], ['GET', `/api/v1/rooms/${other}/messages`], ['GET', `/api/v1/rooms/${other}/online`]] as const) {
      const r = await call(srv, m, p, key);
      assert.equal(r.status, 403, `${m} ${p}`);
      assert.equal(r.body.error?.code, 'not_member');
    }
    // Someone in the room sees the member events.
    const member = bob.events.find((e) => e.type === 'member') as MemberEvent | undefined;
    assert.equal(member, undefined);
    alice.close();
    bob.close();
  });
});

describe('the bot over WebSocket, and revocation', () => {
  it('hello {kind: "apikey"} signs in as the bot; its sends carry bot: true; revoking closes it with 4016 and refuses the key everywhere', async () => {
    const made = await createKey(srv, adminToken, 'pagerbot', ['publish']);
    const bot = await RawClient.open(srv.url);
    bot.send({ type: 'hello', v: 1, auth: { kind: 'apikey', key: made.key } });
    const w = await bot.next<WelcomeFrame>((e) => e.type === 'welcome');
    assert.deepEqual(w.user, { id: made.apiKey.uid, name: 'pagerbot', account: true, bot: true });
    const { c: watcher } = await RawClient.guest(srv.url, uniq('watch'));
    const ack = await bot.request<AckFrame>({ type: 'send', id: 'ws-1', room: 'general', text: 'paging' });
    const seen = await watcher.next<MsgEvent>((e) => e.type === 'msg' && e.seq === ack.seq);
    assert.equal(seen.bot, true);

    const revoke = await call<{ id: string; revokedAt: number }>(srv, 'DELETE', `/admin/api/keys/${made.apiKey.id}`, adminToken);
    assert.equal(revoke.status, 200, JSON.stringify(revoke.body));
    const err = await bot.next<ErrorFrame>((e) => e.type === 'error');
    assert.equal(err.code, 'key_revoked');
    assert.equal((await bot.waitClose()).code, 4016);
    const http = await call(srv, 'POST', '/api/v1/rooms/general/messages', made.key, { text: 'x', idempotencyKey: 'after' });
    assert.equal(http.status, 401);
    assert.equal(http.body.error?.code, 'key_revoked');
    for (const auth of [{ kind: 'apikey', key: made.key }, { kind: 'token', token: w.token }]) {
      const c = await RawClient.open(srv.url);
      c.send({ type: 'hello', v: 1, auth });
      const e = await c.next<ErrorFrame>((x) => x.type === 'error');
      assert.equal(e.code, auth.kind === 'apikey' ? 'key_revoked' : 'token_revoked');
      assert.equal((await c.waitClose()).code, auth.kind === 'apikey' ? 4016 : 4015);
    }
    const list = await call<AdminApiKeysResponse>(srv, 'GET', '/admin/api/keys', adminToken);
    assert.equal(list.body.keys.find((k) => k.id === made.apiKey.id)?.revokedAt, revoke.body.revokedAt);
    assert.equal((await call(srv, 'DELETE', '/admin/api/keys/ffffffffffffffff', adminToken)).status, 404);
    // An unknown or forged key: auth_failed, close 4003.
    const forged = await RawClient.open(srv.url);
    forged.send({ type: 'hello', v: 1, auth: { kind: 'apikey', key: made.key.slice(0, -1) + (made.key.endsWith('A') ? 'B' : 'A') } });
    assert.equal((await forged.next<ErrorFrame>((e) => e.type === 'error')).code, 'auth_failed');
    assert.equal((await forged.waitClose()).code, 4003);
    watcher.close();
  });
});

describe('HTTP errors, limits and hostile input', () => {
  it('401 without or with a bad key; 404, 405, 415, 413 and 400 with zod issues', async () => {
    assert.equal((await call(srv, 'GET', '/api/v1/online')).body.error?.code, 'unauthorized');
    assert.equal((await call(srv, 'GET', '/api/v1/online', 'sck_0000000000000000_' + 'A'.repeat(43))).status, 401);
    assert.equal((await call(srv, 'GET', '/api/v1/online', 'not-a-key')).status, 401);
    const nf = await call(srv, 'GET', '/api/v1/rooms/general/nothing', key);
    assert.equal(nf.status, 404);
    const na = await call(srv, 'PATCH', '/api/v1/rooms/general/messages', key);
    assert.equal(na.status, 405);
    assert.equal(na.headers.get('allow'), 'POST, GET');
    const media = await call(srv, 'POST', '/api/v1/rooms/general/messages', key, 'text=hi', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(media.status, 415);
    const big = await call(srv, 'POST', '/api/v1/rooms/general/messages', key, { text: 'x'.repeat(70_000), idempotencyKey: 'big' });
    assert.equal(big.status, 413);
    assert.equal(big.body.error?.code, 'body_too_large');
    const bad = await call(srv, 'POST', '/api/v1/rooms/general/messages', key, '{"text": ');
    assert.equal(bad.status, 400);
    const proto = await call(srv, 'POST', '/api/v1/rooms/general/messages', key, '{"__proto__": {"text": "x"}, "constructor": 1}');
    assert.equal(proto.status, 400);
    assert.ok(Array.isArray(proto.body.error?.issues) && proto.body.error.issues.length > 0);
    // The server is still fine.
    assert.equal((await call(srv, 'GET', '/api/v1/online', key)).status, 200);
  });

  it('pipelined requests on one connection are each answered, in order', async () => {
    const sock = net.connect(srv.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const body = JSON.stringify({ text: 'pipelined', idempotencyKey: 'pipe-1' });
    const one = `POST /api/v1/rooms/general/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const two = `GET /api/v1/online HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`;
    const three = `GET /api/v1/__proto__ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    sock.write(one + two + three);
    let text = '';
    sock.on('data', (d) => (text += d.toString()));
    await new Promise((r) => sock.once('close', r));
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [201, 200, 404]);
  });

  it('the key\'s rate limit: 429 with Retry-After past the burst', async () => {
    const own = await startServer({ apiRatePerSec: 1, apiRateBurst: 3 });
    try {
      const a = await adminAccount(own, 'ratemaster');
      const k = (await createKey(own, a.token, 'busybot', ['history'])).key;
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const r = await call(own, 'GET', '/api/v1/online', k);
        statuses.push(r.status);
        if (r.status === 429) {
          retryAfter = r.headers.get('retry-after');
          assert.equal(r.body.error?.code, 'rate_limited');
        }
      }
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      assert.equal(retryAfter, '1');
      a.c.close();
    } finally {
      await own.cleanup();
    }
  });
});
