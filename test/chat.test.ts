/**
 * Chat behaviour over raw WebSockets against a real server: broadcast, rooms, private rooms, DMs,
 * names, accounts, tokens, history, ordering and idempotent resend.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AckFrame, ErrorFrame, HistoryFrame, JoinedFrame, MembersFrame, MsgEvent, RoomsFrame, WelcomeFrame } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
before(async () => {
  srv = await startServer({ ratePerSec: 1000, rateBurst: 1000, presenceIntervalMs: 50 });
});
after(async () => {
  await srv.cleanup();
});

let n = 0;
const uniq = (p: string) => `${p}${++n}`;

describe('broadcast in general', () => {
  it('delivers a message to every member, sender included, with an ack carrying the room seq', async () => {
    const a = await RawClient.guest(srv.url, uniq('alice'));
    const b = await RawClient.guest(srv.url, uniq('bob'));
    assert.ok(a.welcome.rooms.some((r) => r.id === 'general'));
    const ack = await a.c.request<AckFrame>({ type: 'send', id: 'm1', room: 'general', text: 'hello "world" <b>' });
    assert.equal(ack.type, 'ack');
    assert.equal(ack.room, 'general');
    assert.ok(ack.seq >= 1);
    for (const c of [a.c, b.c]) {
      const m = await c.next<MsgEvent>((e) => e.type === 'msg' && e.id === 'm1');
      assert.equal(m.text, 'hello "world" <b>');
      assert.equal(m.seq, ack.seq);
      assert.equal(m.user, a.welcome.user.name);
    }
    a.c.close();
    b.c.close();
  });

  it('keeps seq strictly increasing and order identical for every receiver', async () => {
    const a = await RawClient.guest(srv.url, uniq('ord'));
    const b = await RawClient.guest(srv.url, uniq('ord'));
    for (let i = 0; i < 200; i++) (i % 2 ? a : b).c.send({ type: 'send', id: `o${i}`, room: 'general', text: `n${i}` });
    const seen: number[][] = [];
    for (const c of [a.c, b.c]) {
      const got: MsgEvent[] = [];
      while (got.length < 200) {
        const m = await c.next<MsgEvent>((e) => e.type === 'msg' && e.id.startsWith('o'));
        got.push(m);
      }
      for (let i = 1; i < got.length; i++) assert.equal(got[i].seq, got[i - 1].seq + 1, 'no gap, no duplicate');
      seen.push(got.map((m) => m.seq));
      // each sender's own messages arrive in the order sent
      const fromA = got.filter((m) => m.uid === a.welcome.user.id).map((m) => Number(m.text.slice(1)));
      assert.deepEqual(fromA, [...fromA].sort((x, y) => x - y));
    }
    assert.deepEqual(seen[0], seen[1]);
    a.c.close();
    b.c.close();
  });

  it('answers a resent message id with the same ack and never duplicates it', async () => {
    const a = await RawClient.guest(srv.url, uniq('idem'));
    const first = await a.c.request<AckFrame>({ type: 'send', id: 'same', room: 'general', text: 'once' });
    const again = await a.c.request<AckFrame>({ type: 'send', id: 'same', room: 'general', text: 'once' });
    assert.deepEqual(again, first);
    const h = await a.c.request<HistoryFrame>({ type: 'history', id: 'h', room: 'general', after: first.seq - 1, limit: 50 });
    assert.equal(h.messages.filter((m) => m.id === 'same' && m.uid === a.welcome.user.id).length, 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(a.c.all<MsgEvent>('msg').filter((m) => m.id === 'same').length, 1);
    // the same id for a different message is refused, not silently answered with the old ack
    const reused = await a.c.request<ErrorFrame>({ type: 'send', id: 'same', room: 'general', text: 'something else' });
    assert.equal(reused.code, 'id_conflict');
    a.c.close();
  });
});

describe('names and accounts', () => {
  it('refuses a taken name case-insensitively and frees a guest name when its last connection closes', async () => {
    const name = uniq('Carol');
    const a1 = await RawClient.guest(srv.url, name);
    const c = await RawClient.open(srv.url);
    c.send({ type: 'hello', v: 1, auth: { kind: 'guest', name: name.toUpperCase() } });
    const err = await c.next<ErrorFrame>((e) => e.type === 'error');
    assert.equal(err.code, 'name_taken');
    assert.equal((await c.waitClose()).code, 4007);
    // a second connection of the same user (by token) keeps the name held
    const a2 = await RawClient.open(srv.url);
    a2.send({ type: 'hello', v: 1, auth: { kind: 'token', token: a1.welcome.token } });
    await a2.next((e) => e.type === 'welcome');
    a1.c.close();
    await a1.c.waitClose();
    const d = await RawClient.open(srv.url);
    d.send({ type: 'hello', v: 1, auth: { kind: 'guest', name } });
    assert.equal((await d.next<ErrorFrame>((e) => e.type === 'error' || e.type === 'welcome')).type, 'error', 'still held by the 2nd connection');
    a2.close();
    await a2.waitClose();
    await new Promise((r) => setTimeout(r, 50));
    const e = await RawClient.guest(srv.url, name.toLowerCase());
    assert.equal(e.welcome.user.name, name.toLowerCase());
    e.c.close();
  });

  it('rejects invalid names with name_invalid / 4006', async () => {
    for (const bad of ['a', 'x'.repeat(25), 'bad name', '-lead', '<script>']) {
      const c = await RawClient.open(srv.url);
      c.send({ type: 'hello', v: 1, auth: { kind: 'guest', name: bad } });
      assert.equal((await c.next<ErrorFrame>((e) => e.type === 'error')).code, 'name_invalid', bad);
      assert.equal((await c.waitClose()).code, 4006);
    }
  });

  it('registers an account, logs in with the password, refuses a wrong one, and keeps the name from guests', async () => {
    const name = uniq('dave');
    const r = await RawClient.open(srv.url);
    r.send({ type: 'hello', v: 1, auth: { kind: 'register', name, password: 'correct horse' } });
    const w = await r.next<WelcomeFrame>((e) => e.type === 'welcome');
    assert.equal(w.user.account, true);
    r.close();
    await r.waitClose();
    const bad = await RawClient.open(srv.url);
    bad.send({ type: 'hello', v: 1, auth: { kind: 'login', name, password: 'wrong horse!' } });
    assert.equal((await bad.next<ErrorFrame>((e) => e.type === 'error')).code, 'auth_failed');
    assert.equal((await bad.waitClose()).code, 4003);
    const guest = await RawClient.open(srv.url);
    guest.send({ type: 'hello', v: 1, auth: { kind: 'guest', name: name.toUpperCase() } });
    assert.equal((await guest.next<ErrorFrame>((e) => e.type === 'error')).code, 'name_taken');
    const ok = await RawClient.open(srv.url);
    ok.send({ type: 'hello', v: 1, auth: { kind: 'login', name: name.toUpperCase(), password: 'correct horse' } });
    const w2 = await ok.next<WelcomeFrame>((e) => e.type === 'welcome');
    assert.equal(w2.user.id, w.user.id);
    ok.close();
    const dup = await RawClient.open(srv.url);
    dup.send({ type: 'hello', v: 1, auth: { kind: 'register', name, password: 'another pass' } });
    assert.equal((await dup.next<ErrorFrame>((e) => e.type === 'error')).code, 'name_taken');
  });

  it('throttles repeated failed logins', async () => {
    const name = uniq('erin');
    const codes: string[] = [];
    for (let i = 0; i < 7; i++) {
      const c = await RawClient.open(srv.url);
      c.send({ type: 'hello', v: 1, auth: { kind: 'login', name, password: 'nope nope' } });
      codes.push((await c.next<ErrorFrame>((e) => e.type === 'error')).code);
      await c.waitClose();
    }
    assert.deepEqual(codes.slice(0, 5), Array(5).fill('auth_failed'));
    assert.deepEqual(codes.slice(5), ['login_throttled', 'login_throttled']);
  });

  it('behind a trusted proxy, the per-address login throttle counts the forwarded client, not the proxy', async () => {
    // loginMaxFailures 1: one failure per name, 10 per address. Each attempt uses a new name, so only
    // the per-address bound can refuse. The test client plays the proxy (127.0.0.1) adding X-Forwarded-For.
    const attempt = async (server: TestServer, forwardedFor: string) => {
      const c = await RawClient.open(server.url, { headers: { 'X-Forwarded-For': forwardedFor } });
      c.send({ type: 'hello', v: 1, auth: { kind: 'login', name: uniq('mallory'), password: 'nope nope' } });
      const code = (await c.next<ErrorFrame>((e) => e.type === 'error')).code;
      await c.waitClose();
      return code;
    };
    const proxied = await startServer({ loginMaxFailures: 1, trustProxy: ['127.0.0.1'] });
    const direct = await startServer({ loginMaxFailures: 1 });
    try {
      for (const server of [proxied, direct]) {
        for (let i = 0; i < 10; i++) assert.equal(await attempt(server, '198.51.100.7'), 'auth_failed');
        assert.equal(await attempt(server, '198.51.100.7'), 'login_throttled', 'the 11th failure from one address');
      }
      // Another client behind the same proxy is not punished for the first one...
      assert.equal(await attempt(proxied, '198.51.100.8'), 'auth_failed');
      // ...and without trustProxy the header is ignored: everyone is the proxy's address.
      assert.equal(await attempt(direct, '198.51.100.8'), 'login_throttled');
    } finally {
      await proxied.cleanup();
      await direct.cleanup();
    }
  });

  it('accepts its own token as the same user and refuses a forged one', async () => {
    const a = await RawClient.guest(srv.url, uniq('frank'));
    const t = await RawClient.open(srv.url);
    t.send({ type: 'hello', v: 1, auth: { kind: 'token', token: a.welcome.token } });
    assert.equal((await t.next<WelcomeFrame>((e) => e.type === 'welcome')).user.id, a.welcome.user.id);
    const [v, payload] = a.welcome.token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ u: 'uintruder', e: Date.now() + 1e9 })).toString('base64url');
    for (const forged of [`${v}.${forgedPayload}.${a.welcome.token.split('.')[2]}`, `${v}.${payload}.AAAA`, 'garbage']) {
      const f = await RawClient.open(srv.url);
      f.send({ type: 'hello', v: 1, auth: { kind: 'token', token: forged } });
      assert.equal((await f.next<ErrorFrame>((e) => e.type === 'error')).code, 'token_invalid');
      assert.equal((await f.waitClose()).code, 4004);
    }
    a.c.close();
    t.close();
  });
});

describe('rooms, private rooms and DMs', () => {
  it('public room: create, list, join, members, leave', async () => {
    const a = await RawClient.guest(srv.url, uniq('pa'));
    const b = await RawClient.guest(srv.url, uniq('pb'));
    const room = uniq('lobby');
    const j = await a.c.request<JoinedFrame>({ type: 'create', id: 'c', room, visibility: 'public' });
    assert.equal(j.room.kind, 'public');
    const dup = await b.c.request<ErrorFrame>({ type: 'create', id: 'c2', room, visibility: 'public' });
    assert.equal(dup.code, 'room_exists');
    const notYet = await b.c.request<ErrorFrame>({ type: 'send', id: 's0', room, text: 'hi' });
    assert.equal(notYet.code, 'not_member');
    const list = await b.c.request<RoomsFrame>({ type: 'rooms', id: 'r' });
    assert.equal(list.public.find((r) => r.id === room)?.members, 1);
    await b.c.request<JoinedFrame>({ type: 'join', id: 'j', room });
    await a.c.next((e) => e.type === 'member' && e.room === room && e.action === 'joined');
    const ack = await b.c.request<AckFrame>({ type: 'send', id: 's1', room, text: 'in the lobby' });
    assert.equal(ack.seq, 1);
    assert.equal((await a.c.next<MsgEvent>((e) => e.type === 'msg' && e.room === room)).text, 'in the lobby');
    const m = await a.c.request<MembersFrame>({ type: 'members', id: 'm', room });
    assert.deepEqual(m.members.map((x) => x.name).sort(), [a.welcome.user.name, b.welcome.user.name].sort());
    assert.ok(m.members.every((x) => x.online));
    await b.c.request({ type: 'leave', id: 'l', room });
    const after = await b.c.request<ErrorFrame>({ type: 'send', id: 's2', room, text: 'gone' });
    assert.equal(after.code, 'not_member');
    const leaveGeneral = await b.c.request<ErrorFrame>({ type: 'leave', id: 'lg', room: 'general' });
    assert.equal(leaveGeneral.code, 'forbidden');
    a.c.close();
    b.c.close();
  });

  it('private room: only invited users can see, join or read it, history included', async () => {
    const owner = await RawClient.guest(srv.url, uniq('own'));
    const guest = await RawClient.guest(srv.url, uniq('inv'));
    const outsider = await RawClient.guest(srv.url, uniq('out'));
    const room = uniq('secret');
    await owner.c.request({ type: 'create', id: 'c', room, visibility: 'private' });
    await owner.c.request({ type: 'send', id: 'p1', room, text: 'before invite' });
    for (const probe of [
      { type: 'join', id: 'x1', room },
      { type: 'history', id: 'x2', room },
      { type: 'members', id: 'x3', room },
      { type: 'send', id: 'x4', room, text: 'let me in' },
    ]) {
      const e = await outsider.c.request<ErrorFrame>(probe);
      assert.equal(e.type, 'error', JSON.stringify(probe));
      assert.ok(['no_such_room', 'not_member'].includes(e.code));
    }
    const listed = await outsider.c.request<RoomsFrame>({ type: 'rooms', id: 'r' });
    assert.ok(!listed.public.some((r) => r.id === room) && !listed.rooms.some((r) => r.id === room));
    await owner.c.request({ type: 'invite', id: 'i', room, user: guest.welcome.user.name });
    const added = await guest.c.next((e) => e.type === 'room_added');
    assert.equal((added as { room: { id: string } }).room.id, room);
    const h = await guest.c.request<HistoryFrame>({ type: 'history', id: 'h', room });
    assert.deepEqual(h.messages.map((m) => m.text), ['before invite']);
    await owner.c.request({ type: 'send', id: 'p2', room, text: 'after invite' });
    assert.equal((await guest.c.next<MsgEvent>((e) => e.type === 'msg' && e.room === room)).text, 'after invite');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(outsider.c.all<MsgEvent>('msg').filter((m) => m.room === room).length, 0);
    for (const c of [owner.c, guest.c, outsider.c]) c.close();
  });

  it('DMs: both sides talk, a third user can neither read nor list it', async () => {
    const a = await RawClient.guest(srv.url, uniq('dma'));
    const b = await RawClient.guest(srv.url, uniq('dmb'));
    const c = await RawClient.guest(srv.url, uniq('dmc'));
    const j = await a.c.request<JoinedFrame>({ type: 'dm', id: 'd', user: b.welcome.user.name });
    assert.equal(j.room.kind, 'dm');
    assert.equal(j.room.peer?.name, b.welcome.user.name);
    const dm = j.room.id;
    await b.c.next((e) => e.type === 'room_added');
    await a.c.request({ type: 'send', id: 'd1', room: dm, text: 'psst' });
    assert.equal((await b.c.next<MsgEvent>((e) => e.type === 'msg' && e.room === dm)).text, 'psst');
    await b.c.request({ type: 'send', id: 'd2', room: dm, text: 'hey back' });
    assert.equal((await a.c.next<MsgEvent>((e) => e.type === 'msg' && e.room === dm && e.id === 'd2')).text, 'hey back');
    for (const probe of [
      { type: 'history', id: 'x1', room: dm },
      { type: 'join', id: 'x2', room: dm },
      { type: 'send', id: 'x3', room: dm, text: 'intrude' },
      { type: 'members', id: 'x4', room: dm },
    ]) {
      assert.equal((await c.c.request<ErrorFrame>(probe)).type, 'error');
    }
    const rooms = await c.c.request<RoomsFrame>({ type: 'rooms', id: 'r' });
    assert.ok(!rooms.rooms.some((r) => r.id === dm));
    assert.equal(c.c.all<MsgEvent>('msg').filter((m) => m.room === dm).length, 0);
    const self = await a.c.request<ErrorFrame>({ type: 'dm', id: 'self', user: a.welcome.user.name });
    assert.equal(self.code, 'forbidden');
    const nobody = await a.c.request<ErrorFrame>({ type: 'dm', id: 'nob', user: 'nobody-here' });
    assert.equal(nobody.code, 'no_such_user');
    for (const x of [a.c, b.c, c.c]) x.close();
  });

  it('history pages before/after a seq with a bounded limit', async () => {
    const a = await RawClient.guest(srv.url, uniq('hist'));
    const room = uniq('pages');
    await a.c.request({ type: 'create', id: 'c', room, visibility: 'public' });
    for (let i = 1; i <= 30; i++) a.c.send({ type: 'send', id: `h${i}`, room, text: `t${i}` });
    await a.c.next((e) => e.type === 'ack' && e.id === 'h30');
    const last = await a.c.request<HistoryFrame>({ type: 'history', id: 'q1', room, limit: 10 });
    assert.deepEqual(last.messages.map((m) => m.seq), [21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    assert.equal(last.hasMore, true);
    const before = await a.c.request<HistoryFrame>({ type: 'history', id: 'q2', room, before: 21, limit: 10 });
    assert.deepEqual(before.messages.map((m) => m.seq), [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    const afterQ = await a.c.request<HistoryFrame>({ type: 'history', id: 'q3', room, after: 25, limit: 10 });
    assert.deepEqual(afterQ.messages.map((m) => m.seq), [26, 27, 28, 29, 30]);
    assert.equal(afterQ.hasMore, false);
    const huge = await a.c.request<HistoryFrame>({ type: 'history', id: 'q4', room, limit: 100000 });
    assert.equal(huge.messages.length, 30);
    a.c.close();
  });

  it('typing reaches the other members only; read markers reach my other connections', async () => {
    const a = await RawClient.guest(srv.url, uniq('ty'));
    const b = await RawClient.guest(srv.url, uniq('ty'));
    a.c.send({ type: 'typing', room: 'general' });
    const t = await b.c.next((e) => e.type === 'typing' && e.uid === a.welcome.user.id);
    assert.equal((t as { user: string }).user, a.welcome.user.name);
    const a2 = await RawClient.open(srv.url);
    a2.send({ type: 'hello', v: 1, auth: { kind: 'token', token: a.welcome.token } });
    await a2.next((e) => e.type === 'welcome');
    const ack = await a.c.request<AckFrame>({ type: 'send', id: 'rd', room: 'general', text: 'read me' });
    a.c.send({ type: 'read', room: 'general', seq: ack.seq });
    const r = await a2.next((e) => e.type === 'read');
    assert.equal((r as { seq: number }).seq, ack.seq);
    a.c.send({ type: 'read', room: 'general', seq: ack.seq + 1000 });
    const capped = await a2.next((e) => e.type === 'read');
    assert.equal((capped as { seq: number }).seq, ack.seq, 'a marker past the newest message is capped');
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(a.c.all('typing').length, 0, 'no typing echo to the typist');
    for (const x of [a.c, b.c, a2]) x.close();
  });

  it('presence: others see a user come online and go offline', async () => {
    const watcher = await RawClient.guest(srv.url, uniq('watch'));
    const name = uniq('blink');
    const b = await RawClient.guest(srv.url, name);
    await watcher.c.next((e) => e.type === 'presence' && e.online.some((u) => u.name === name));
    b.c.close();
    await watcher.c.next((e) => e.type === 'presence' && e.offline.some((u) => u.name === name));
    const quiet = await RawClient.guest(srv.url, uniq('quiet'), { presence: false });
    const other = await RawClient.guest(srv.url, uniq('other'));
    await watcher.c.next((e) => e.type === 'presence' && e.online.some((u) => u.id === other.welcome.user.id));
    assert.equal(quiet.c.all('presence').length, 0);
    for (const x of [watcher.c, quiet.c, other.c]) x.close();
  });
});
