/**
 * Administration against a real server: every admin action works as a user would notice it, is refused to
 * non-admins (401/403 `forbidden`) without changing anything, and is recorded in the audit log; logs carry
 * connection and request ids, the level changes at runtime, and chat messages make no info-level lines.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../src/client/index.js';
import type { AckFrame, ErrorFrame, HistoryFrame, JoinedFrame, MsgEvent, WelcomeFrame } from '../src/protocol/types.js';
import { adminCli, grantAdmin } from './helpers/admin.js';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';

const PASSWORD = 'correct horse battery';
let srv: TestServer;
let n = 0;
const uniq = (p: string) => `${p}${++n}`;
let nextId = 0;
const rid = () => `r${++nextId}`;

async function hello(auth: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<{ c: RawClient; first: WelcomeFrame | ErrorFrame }> {
  const c = await RawClient.open(srv.url);
  c.send({ type: 'hello', v: 1, auth, ...extra });
  const first = await c.next<WelcomeFrame | ErrorFrame>((e) => e.type === 'welcome' || e.type === 'error');
  return { c, first };
}

async function account(name: string): Promise<{ c: RawClient; token: string; welcome: WelcomeFrame }> {
  const { c, first } = await hello({ kind: 'register', name, password: PASSWORD });
  assert.equal(first.type, 'welcome', JSON.stringify(first));
  return { c, token: (first as WelcomeFrame).token, welcome: first as WelcomeFrame };
}

async function guest(name: string): Promise<{ c: RawClient; token: string; welcome: WelcomeFrame }> {
  const { c, welcome } = await RawClient.guest(srv.url, name);
  return { c, token: welcome.token, welcome };
}

interface Res {
  status: number;
  body: Record<string, unknown> & { error?: string };
  requestId: string | null;
}

async function api(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const r = await fetch(`${srv.http}/admin/api/${path}`, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Res['body'], requestId: r.headers.get('x-request-id') };
}

async function audit(token: string): Promise<{ action: string; target: string; actor: string; detail: string; at: number }[]> {
  const r = await api('GET', 'audit', token);
  assert.equal(r.status, 200);
  return r.body.entries as never;
}

async function createRoom(c: RawClient, room: string): Promise<void> {
  const r = await c.request<JoinedFrame>({ type: 'create', id: rid(), room, visibility: 'public' });
  assert.equal(r.type, 'joined', JSON.stringify(r));
}

async function join(c: RawClient, room: string): Promise<void> {
  const r = await c.request<JoinedFrame>({ type: 'join', id: rid(), room });
  assert.equal(r.type, 'joined', JSON.stringify(r));
}

async function say(c: RawClient, room: string, text: string): Promise<AckFrame> {
  const r = await c.request<AckFrame>({ type: 'send', id: rid(), room, text });
  assert.equal(r.type, 'ack', JSON.stringify(r));
  return r;
}

async function history(c: RawClient, room: string): Promise<MsgEvent[]> {
  const r = await c.request<HistoryFrame>({ type: 'history', id: rid(), room, limit: 50 });
  assert.equal(r.type, 'history', JSON.stringify(r));
  return r.messages;
}

/** A connection still works: a ping gets its pong. */
async function alive(c: RawClient): Promise<boolean> {
  if (c.closed) return false;
  const r = await c.request({ type: 'ping', id: rid() });
  return r.type === 'pong';
}

let founder: { c: RawClient; token: string };
let chief: { c: RawClient; token: string };
let mallory: { c: RawClient; token: string };

before(async () => {
  srv = await startServer({ ratePerSec: 1000, rateBurst: 1000 });
  // The operator makes `founder` (with the real CLI, while the server runs) and `chief` admins; `mallory`
  // is not one. Being the first account makes no one an admin.
  founder = await account('founder');
  chief = await account('chief');
  mallory = await account('mallory');
  const cli = await adminCli(['grant', 'founder', '--data-dir', srv.dataDir]);
  assert.equal(cli.code, 0, cli.stderr);
  await grantAdmin(srv.dataDir, 'chief');
});
after(async () => {
  for (const u of [founder, chief, mallory]) u?.c.close();
  await srv.cleanup();
});

describe('admin role and authentication', () => {
  it('401 without a token or with a forged one; /me tells who is an admin', async () => {
    const none = await api('GET', 'stats');
    assert.equal(none.status, 401);
    assert.equal(none.body.error, 'unauthorized');
    const forged = await api('GET', 'stats', founder.token.slice(0, -3) + 'AAA');
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error, 'token_invalid');

    assert.equal((await api('GET', 'me', founder.token)).body.admin, true, 'granted by the CLI');
    assert.equal((await api('GET', 'me', chief.token)).body.admin, true, 'granted by the CLI code');
    assert.equal((await api('GET', 'me', mallory.token)).body.admin, false);
    // A guest can never be an admin (anyone could take a guest name).
    const g = await guest('ghostchief');
    assert.equal((await api('GET', 'me', g.token)).body.admin, false);
    assert.equal((await api('GET', 'stats', g.token)).status, 403);
    g.c.close();
  });

  it('accounts registered later are not admins', async () => {
    const late = await account(uniq('late'));
    assert.equal((await api('GET', 'me', late.token)).body.admin, false);
    assert.equal((await api('GET', 'rooms', late.token)).status, 403);
    late.c.close();
  });
});

describe('non-admins are refused and nothing changes', () => {
  it('every endpoint answers 403 forbidden to a signed-in non-admin, and no action happens', async () => {
    const victim = await guest(uniq('victim'));
    const room = uniq('keep');
    await createRoom(victim.c, room);
    const ack = await say(victim.c, room, 'keep me');
    const auditBefore = (await audit(founder.token)).length;
    const calls: [string, string, unknown?][] = [
      ['GET', 'stats'],
      ['GET', 'rooms'],
      ['GET', 'bans'],
      ['GET', 'audit'],
      ['GET', 'log-level'],
      ['POST', 'kick', { user: victim.welcome.user.name }],
      ['POST', 'ban', { user: victim.welcome.user.name, reason: 'nope' }],
      ['DELETE', `ban/${victim.welcome.user.name}`],
      ['DELETE', 'message', { room, seq: ack.seq }],
      ['POST', `rooms/${room}/reset`],
      ['DELETE', `rooms/${room}`],
      ['POST', `rooms/${room}/read-only`, { readOnly: true }],
      ['PUT', 'log-level', { level: 'trace' }],
    ];
    for (const [method, path, body] of calls) {
      const r = await api(method, path, mallory.token, body);
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.body.error, 'forbidden', `${method} ${path}`);
    }
    // Nothing happened: the victim is connected, can still send in the room, history intact, not banned.
    assert.equal(await alive(victim.c), true);
    const msgs = await history(victim.c, room);
    assert.deepEqual(msgs.map((m) => [m.text, m.deleted]), [['keep me', undefined]]);
    await say(victim.c, room, 'still writable');
    assert.deepEqual((await api('GET', 'bans', founder.token)).body.bans, []);
    assert.equal(srv.app.log.level, 'silent');
    assert.equal((await audit(founder.token)).length, auditBefore, 'refused calls write no audit rows');
    victim.c.close();
  });
});

describe('kick', () => {
  it('closes every connection of the user with 4012 (kicked); they may sign in again; audited', async () => {
    const name = uniq('kickme');
    const a = await guest(name);
    const second = await hello({ kind: 'token', token: a.token });
    assert.equal(second.first.type, 'welcome');
    const r = await api('POST', 'kick', founder.token, { user: name });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const c of [a.c, second.c]) {
      const err = await c.next<ErrorFrame>((e) => e.type === 'error');
      assert.equal(err.code, 'kicked');
      assert.equal((await c.waitClose()).code, 4012);
    }
    const again = await hello({ kind: 'token', token: a.token });
    assert.equal(again.first.type, 'welcome', 'a kick is not a ban');
    again.c.close();
    const [last] = await audit(founder.token);
    assert.equal(last.action, 'kick');
    assert.equal(last.target, name);
    assert.equal(last.actor, 'founder');
  });

  it('404 for a user who is not online; 400 for a bad name or for kicking oneself', async () => {
    assert.equal((await api('POST', 'kick', founder.token, { user: uniq('nobody') })).body.error, 'not_online');
    const bad = await api('POST', 'kick', founder.token, { user: '<script>' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'name_invalid');
    assert.equal((await api('POST', 'kick', founder.token, { user: 'founder' })).body.error, 'self');
    assert.equal(await alive(founder.c), true);
  });
});

describe('ban and unban', () => {
  it('a banned guest is disconnected (4013) and refused as guest and by token; unban lets them back', async () => {
    const name = uniq('spammer');
    const g = await guest(name);
    const r = await api('POST', 'ban', chief.token, { user: name, reason: 'spam links' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.disconnected, true);
    const err = await g.c.next<ErrorFrame>((e) => e.type === 'error');
    assert.equal(err.code, 'banned');
    assert.match(err.message, /spam links/);
    assert.equal((await g.c.waitClose()).code, 4013);

    for (const auth of [{ kind: 'guest', name }, { kind: 'guest', name: name.toUpperCase() }, { kind: 'token', token: g.token }]) {
      const { c, first } = await hello(auth);
      assert.equal(first.type, 'error', JSON.stringify(auth));
      assert.equal((first as ErrorFrame).code, 'banned');
      assert.equal((await c.waitClose()).code, 4013);
    }
    const bans = (await api('GET', 'bans', chief.token)).body.bans as { name: string; reason: string }[];
    assert.ok(bans.some((b) => b.name === name && b.reason === 'spam links'));

    const un = await api('DELETE', `ban/${encodeURIComponent(name)}`, chief.token);
    assert.equal(un.status, 200, JSON.stringify(un.body));
    const back = await hello({ kind: 'token', token: g.token });
    assert.equal(back.first.type, 'welcome');
    back.c.close();
    assert.equal((await api('DELETE', `ban/${encodeURIComponent(name)}`, chief.token)).body.error, 'no_such_ban');
    const entries = await audit(chief.token);
    assert.deepEqual(entries.slice(0, 2).map((e) => [e.action, e.target]), [['unban', name], ['ban', name]]);
    assert.deepEqual(JSON.parse(entries[1].detail), { reason: 'spam links' });
  });

  it('a banned account cannot log in, register the name, or use the admin API', async () => {
    const name = uniq('troll');
    const t = await account(name);
    t.c.close();
    await t.c.waitClose();
    assert.equal((await api('POST', 'ban', founder.token, { user: name })).body.disconnected, false);
    for (const auth of [{ kind: 'login', name, password: PASSWORD }, { kind: 'register', name, password: PASSWORD }]) {
      const { first } = await hello(auth);
      assert.equal((first as ErrorFrame).code, 'banned', JSON.stringify(auth));
    }
    assert.equal((await api('GET', 'me', t.token)).body.error, 'banned');
    await api('DELETE', `ban/${name}`, founder.token);
    const { c, first } = await hello({ kind: 'login', name, password: PASSWORD });
    assert.equal(first.type, 'welcome');
    c.close();
  });

  it('bad input: 400 with a code, nothing banned', async () => {
    const before = ((await api('GET', 'bans', founder.token)).body.bans as unknown[]).length;
    assert.equal((await api('POST', 'ban', founder.token, {})).body.error, 'name_invalid');
    assert.equal((await api('POST', 'ban', founder.token, { user: 'okname', reason: 42 })).body.error, 'reason_invalid');
    assert.equal((await api('POST', 'ban', founder.token, '{"user":')).body.error, 'bad_json');
    assert.equal((await api('POST', 'ban', founder.token, '[1]')).body.error, 'bad_json');
    assert.equal((await api('POST', 'ban', founder.token, { user: 'Founder' })).body.error, 'self');
    assert.equal(((await api('GET', 'bans', founder.token)).body.bans as unknown[]).length, before);
  });
});

describe('delete a message', () => {
  it('every client in the room is told; history and resume return a tombstone with the seq kept', async () => {
    const room = uniq('talk');
    const a = await guest(uniq('ann'));
    const b = await guest(uniq('ben'));
    await createRoom(a.c, room);
    await join(b.c, room);
    await say(a.c, room, 'first');
    const bad = await say(a.c, room, 'something awful');
    await say(a.c, room, 'third');
    await b.c.next<MsgEvent>((e) => e.type === 'msg' && e.seq === bad.seq + 1);

    const r = await api('DELETE', 'message', founder.token, { room, seq: bad.seq });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const c of [a.c, b.c]) {
      const ev = await c.next((e) => e.type === 'deleted');
      assert.deepEqual(ev, { type: 'deleted', room, seq: bad.seq });
    }
    const msgs = await history(b.c, room);
    assert.deepEqual(msgs.map((m) => [m.seq, m.text, m.deleted ?? false]), [[1, 'first', false], [2, '', true], [3, 'third', false]]);
    // A client resuming from before the deletion gets the tombstone in the replay: seqs stay contiguous.
    const resumed = await hello({ kind: 'token', token: b.token }, { resume: { [room]: 1 } });
    assert.equal(resumed.first.type, 'welcome');
    const replay = await resumed.c.next<MsgEvent>((e) => e.type === 'msg' && e.room === room);
    assert.deepEqual([replay.seq, replay.text, replay.deleted], [2, '', true]);
    resumed.c.close();

    assert.equal((await api('DELETE', 'message', founder.token, { room, seq: bad.seq })).body.error, 'no_such_message', 'already deleted');
    assert.equal((await api('DELETE', 'message', founder.token, { room, seq: 99 })).status, 404);
    assert.equal((await api('DELETE', 'message', founder.token, { room, seq: 'x' })).body.error, 'seq_invalid');
    assert.equal((await api('DELETE', 'message', founder.token, { seq: 1 })).body.error, 'room_invalid');
    const [last] = await audit(founder.token);
    assert.deepEqual([last.action, last.target], ['delete_message', `${room}#${bad.seq}`]);
    a.c.close();
    b.c.close();
  });
});

describe('rooms', () => {
  it('reset: history is empty, members are told, new messages continue with higher seqs', async () => {
    const room = uniq('noisy');
    const a = await guest(uniq('amy'));
    await createRoom(a.c, room);
    for (const t of ['a', 'b', 'c']) await say(a.c, room, t);
    const r = await api('POST', `rooms/${room}/reset`, chief.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { room, deleted: 3, lastSeq: 3 });
    assert.deepEqual(await a.c.next((e) => e.type === 'room_reset'), { type: 'room_reset', room, lastSeq: 3 });
    assert.deepEqual(await history(a.c, room), []);
    assert.equal((await say(a.c, room, 'fresh start')).seq, 4);
    assert.deepEqual((await history(a.c, room)).map((m) => [m.seq, m.text]), [[4, 'fresh start']]);
    assert.equal((await api('POST', `rooms/${uniq('ghost')}/reset`, chief.token)).body.error, 'no_such_room');
    const [last] = await audit(chief.token);
    assert.deepEqual([last.action, last.target], ['reset_room', room]);
    a.c.close();
  });

  it('delete: members are told and removed, the room is gone, its id is free again; general is protected', async () => {
    const room = uniq('doomed');
    const a = await guest(uniq('abe'));
    const b = await guest(uniq('bea'));
    await createRoom(a.c, room);
    await join(b.c, room);
    await say(a.c, room, 'bye');
    const r = await api('DELETE', `rooms/${room}`, founder.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.members, 2);
    for (const c of [a.c, b.c]) {
      await c.next((e) => e.type === 'room_deleted' && e.room === room);
      await c.next((e) => e.type === 'room_removed' && e.room === room);
    }
    const refused = await b.c.request<ErrorFrame>({ type: 'send', id: rid(), room, text: 'anyone?' });
    assert.equal(refused.code, 'not_member');
    const gone = await b.c.request<ErrorFrame>({ type: 'join', id: rid(), room });
    assert.equal(gone.code, 'no_such_room');
    const rooms = (await api('GET', 'rooms', founder.token)).body.rooms as { id: string }[];
    assert.ok(!rooms.some((x) => x.id === room));
    await createRoom(b.c, room);
    assert.deepEqual(await history(b.c, room), [], 'a new room with the old id starts empty');
    const prot = await api('DELETE', 'rooms/general', founder.token);
    assert.equal(prot.status, 400);
    assert.equal(prot.body.error, 'room_protected');
    assert.equal((await api('DELETE', `rooms/${uniq('nothere')}`, founder.token)).status, 404);
    const [last] = await audit(founder.token);
    assert.deepEqual([last.action, last.target], ['delete_room', room]);
    a.c.close();
    b.c.close();
  });

  it('read-only: members are told, sends are refused with read_only, reading still works; then writable again', async () => {
    const room = uniq('news');
    const a = await guest(uniq('ada'));
    await createRoom(a.c, room);
    await say(a.c, room, 'before');
    const r = await api('POST', `rooms/${room}/read-only`, founder.token, { readOnly: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(await a.c.next((e) => e.type === 'room_updated'), { type: 'room_updated', room, readOnly: true });
    const refused = await a.c.request<ErrorFrame>({ type: 'send', id: rid(), room, text: 'after' });
    assert.equal(refused.type, 'error');
    assert.equal(refused.code, 'read_only');
    assert.deepEqual((await history(a.c, room)).map((m) => m.text), ['before']);
    // A new connection sees the flag in its welcome; the admin room list shows it.
    const again = await hello({ kind: 'token', token: a.token });
    assert.equal((again.first as WelcomeFrame).rooms.find((x) => x.id === room)?.readOnly, true);
    again.c.close();
    const listed = (await api('GET', 'rooms', founder.token)).body.rooms as { id: string; readOnly: boolean; members: number }[];
    assert.deepEqual(listed.find((x) => x.id === room), { ...listed.find((x) => x.id === room)!, readOnly: true, members: 1 });

    assert.equal((await api('POST', `rooms/${room}/read-only`, founder.token, { readOnly: 'yes' })).body.error, 'read_only_invalid');
    await api('POST', `rooms/${room}/read-only`, founder.token, { readOnly: false });
    await a.c.next((e) => e.type === 'room_updated' && !e.readOnly);
    await say(a.c, room, 'writable again');
    const entries = await audit(founder.token);
    assert.deepEqual(entries.slice(0, 2).map((e) => [e.action, e.target, JSON.parse(e.detail).readOnly]), [['read_only', room, false], ['read_only', room, true]]);
    a.c.close();
  });
});

describe('the SDK applies admin events', () => {
  it('deleted, roomUpdated (RoomInfo.readOnly), roomReset, and a kick ends the client with code kicked (no reconnect)', async () => {
    const name = uniq('sdkuser');
    const c = new ChatClient({ url: srv.url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth: { kind: 'guest', name } });
    const seen: string[] = [];
    c.on('deleted', (e) => seen.push(`deleted ${e.room}#${e.seq}`));
    c.on('roomUpdated', (e) => seen.push(`updated ${e.room} ${e.readOnly}`));
    c.on('roomReset', (e) => seen.push(`reset ${e.room} ${e.lastSeq}`));
    await c.connect();
    const room = uniq('sdkroom');
    await c.create(room, 'public');
    const ack = await c.send(room, 'oops');
    await api('DELETE', 'message', founder.token, { room, seq: ack.seq });
    await api('POST', `rooms/${room}/read-only`, founder.token, { readOnly: true });
    await api('POST', `rooms/${room}/reset`, founder.token);
    const deadline = Date.now() + 5000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, [`deleted ${room}#${ack.seq}`, `updated ${room} true`, `reset ${room} ${ack.seq}`]);
    assert.equal(c.rooms.get(room)?.readOnly, true);
    await assert.rejects(c.send(room, 'no'), (err: { code?: string }) => err.code === 'read_only');

    const closed = new Promise<void>((resolve) => c.on('state', (s) => s.to === 'closed' && resolve()));
    await api('POST', 'kick', founder.token, { user: name });
    await closed;
    assert.equal(c.closeError?.code, 'kicked');
    assert.equal(c.closeError?.closeCode, 4012);
  });
});

describe('stats, rooms list, audit paging, bad requests', () => {
  it('stats: nodes, connections, online users, rooms, msgs/s', async () => {
    const s1 = (await api('GET', 'stats', founder.token)).body;
    assert.equal((s1.nodes as string[]).length, 1);
    assert.equal(s1.node, srv.app.nodeId);
    assert.ok((s1.connections as number) >= 3);
    assert.ok((s1.onlineUsers as number) >= 3);
    assert.ok((s1.rooms as number) >= 1);
    const a = await guest(uniq('rate'));
    for (let i = 0; i < 5; i++) await say(a.c, 'general', `m${i}`);
    const s2 = (await api('GET', 'stats', founder.token)).body;
    assert.equal((s2.messages as number) - (s1.messages as number), 5);
    assert.ok((s2.msgsPerSec as number) > 0, JSON.stringify(s2));
    a.c.close();
  });

  it('rooms lists general with the online count and rooms with member counts', async () => {
    const room = uniq('pair');
    const a = await guest(uniq('pa'));
    const b = await guest(uniq('pb'));
    await createRoom(a.c, room);
    await join(b.c, room);
    const rooms = (await api('GET', 'rooms', founder.token)).body.rooms as { id: string; kind: string; members: number }[];
    assert.equal(rooms[0].id, 'general');
    assert.ok(rooms[0].members >= 5);
    assert.equal(rooms.find((r) => r.id === room)?.members, 2);
    a.c.close();
    b.c.close();
  });

  it('audit pages with before/limit; unknown endpoints 404; bad query 400', async () => {
    const all = (await api('GET', 'audit?limit=500', founder.token)).body.entries as { id: number }[];
    assert.ok(all.length >= 4);
    const page = (await api('GET', `audit?limit=2&before=${all[1].id}`, founder.token)).body.entries as { id: number }[];
    assert.deepEqual(page.map((e) => e.id), [all[2].id, all[3].id]);
    assert.equal((await api('GET', 'audit?limit=-1', founder.token)).body.error, 'bad_query');
    assert.equal((await api('GET', 'nope', founder.token)).status, 404);
    assert.equal((await api('PATCH', 'stats', founder.token)).status, 404);
  });
});

describe('logs', () => {
  it('the level changes at runtime without a restart (audited), bad levels are refused', async () => {
    assert.equal((await api('GET', 'log-level', founder.token)).body.level, 'silent');
    const r = await api('PUT', 'log-level', founder.token, { level: 'debug' });
    assert.deepEqual(r.body, { node: srv.app.nodeId, level: 'debug', was: 'silent' });
    assert.equal(srv.app.log.level, 'debug');
    assert.equal((await api('GET', 'log-level', founder.token)).body.level, 'debug');
    assert.equal((await api('PUT', 'log-level', founder.token, { level: 'loud' })).body.error, 'level_invalid');
    await api('PUT', 'log-level', founder.token, { level: 'silent' });
    assert.equal(srv.app.log.level, 'silent');
    const [last] = await audit(founder.token);
    assert.deepEqual([last.action, JSON.parse(last.detail)], ['log_level', { level: 'silent', was: 'debug' }]);
  });

  it('JSON lines carry connection ids and request ids; chat messages log nothing at info', async () => {
    const lines: Record<string, unknown>[] = [];
    const raw: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l.trim()) raw.push(l), lines.push(JSON.parse(l));
        done();
      },
    });
    const logger = pino({ level: 'info', base: { node: 'logtest' } }, sink);
    const own = await startServer({ ratePerSec: 1000, rateBurst: 1000 }, undefined, { logger });
    try {
      const reg = await RawClient.open(own.url);
      reg.send({ type: 'hello', v: 1, auth: { kind: 'register', name: 'logboss', password: PASSWORD } });
      const w = await reg.next<WelcomeFrame>((e) => e.type === 'welcome');
      await grantAdmin(own.dataDir, 'logboss');
      const before = lines.length;
      for (let i = 0; i < 50; i++) {
        const ack = await reg.request<AckFrame>({ type: 'send', id: rid(), room: 'general', text: `line ${i}` });
        assert.equal(ack.type, 'ack');
      }
      assert.equal(lines.length, before, `no info line per chat message: ${JSON.stringify(lines.slice(before, before + 3))}`);

      const res = await fetch(`${own.http}/admin/api/log-level`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/json', 'x-request-id': 'trace-me-42' },
        body: JSON.stringify({ level: 'debug' }),
      });
      assert.equal(res.headers.get('x-request-id'), 'trace-me-42');
      const reqLine = lines.find((l) => l.msg === 'admin request' && l.req === 'trace-me-42');
      assert.ok(reqLine, 'the admin request line carries the request id');
      assert.equal(reqLine.status, 200);
      assert.equal(reqLine.node, 'logtest');
      // The "log level changed" line has one `level` key (pino's, the line's own level) and says the new one apart.
      const changed = raw.filter((l) => l.includes('log level changed'));
      assert.equal(changed.length, 1);
      assert.equal(changed[0].match(/"level":/g)?.length, 1, changed[0]);
      const parsed = JSON.parse(changed[0]) as Record<string, unknown>;
      assert.deepEqual([parsed.level, parsed.newLevel, parsed.was, parsed.by], [40, 'debug', 'info', 'logboss']);
      // At debug, connection lines carry the connection id (node:counter).
      const g = await RawClient.guest(own.url, 'debugguest');
      g.c.close();
      await g.c.waitClose();
      const deadline = Date.now() + 5000;
      while (!lines.some((l) => l.msg === 'connection closed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const connLines = lines.filter((l) => l.msg === 'handshake ok' || l.msg === 'connection closed');
      assert.ok(connLines.length >= 2);
      for (const l of connLines) assert.match(String(l.conn), /^[0-9a-f]{6}:\d+$/);
      reg.close();
    } finally {
      await own.cleanup();
    }
  });
});
