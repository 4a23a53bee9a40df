/**
 * Reserved names against a real server: names of Object.prototype members (and `__proto__`, `prototype`)
 * used as room ids, user names, message ids, request ids, frame types, resume keys and extra JSON keys,
 * through every place a name or id goes: the handshake (login and token, with `resume`), every request,
 * DMs and invites, guests and accounts, and the admin API. A room named `constructor` once locked its
 * members out of sign-in (the handshake read `resume[room.id]` from a plain object).
 *
 * Every answer must be a reply or a documented error code (never `internal` / `unavailable`), the
 * victim (a member of every such room) must always get a welcome and a working connection, and the
 * admin API must answer 200 / 400 / 404 with its documented codes. Prints one summary line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../src/protocol/codes.js';
import { NAME_RE, ROOM_RE } from '../src/protocol/rules.js';
import type { ErrorFrame, ServerEvent, WelcomeFrame } from '../src/protocol/types.js';
import { grantAdmin } from './helpers/admin.js';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';

const NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];
const PASSWORD = 'correct horse battery';
/** Extra keys put into frames: `__proto__` as a JSON key (JSON.parse makes it an own property) and friends. */
const EXTRA = '"__proto__":{"type":"hello","id":"x","room":"general","admin":true},"constructor":{"prototype":1},"toString":"x"';
const FORBIDDEN_CODES = new Set<string>([ErrorCode.internal, ErrorCode.unavailable]);
const DOCUMENTED = new Set<string>(Object.values(ErrorCode));

let srv: TestServer;
let owner: { c: RawClient; token: string };
let nextId = 0;
const rid = () => `q${++nextId}`;
const open: RawClient[] = [];

/** A frame as JSON text with the extra keys (`__proto__`...) in front of its own. */
const withExtra = (frame: object): string => `{${EXTRA},${JSON.stringify(frame).slice(1)}`;
/** A record as JSON with own keys only (Object.fromEntries keeps a `__proto__` key as data). */
const record = (entries: [string, number][]): Record<string, number> => Object.fromEntries(entries);

async function hello(frame: string): Promise<{ c: RawClient; first: WelcomeFrame | ErrorFrame }> {
  const c = await RawClient.open(srv.url);
  open.push(c);
  c.send(frame);
  const first = await c.next<WelcomeFrame | ErrorFrame>((e) => e.type === 'welcome' || e.type === 'error');
  return { c, first };
}
const helloFrame = (auth: object, extra: object = {}) => JSON.stringify({ type: 'hello', v: 1, auth, ...extra });

function welcomed(first: WelcomeFrame | ErrorFrame, what: string): WelcomeFrame {
  assert.equal(first.type, 'welcome', `${what}: ${JSON.stringify(first)}`);
  return first as WelcomeFrame;
}

/** Sends a request (object or raw JSON text with `id`) and returns its reply. */
async function req(c: RawClient, frame: object | string, id: string): Promise<ServerEvent> {
  c.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  return c.next((e) => ('re' in e && e.re === id) || (e.type === 'ack' && e.id === id));
}

function expectReply(r: ServerEvent, type: string, what: string): void {
  assert.equal(r.type, type, `${what}: ${JSON.stringify(r)}`);
}
function expectError(r: ServerEvent, code: string, what: string): void {
  assert.ok(r.type === 'error' && r.code === code, `${what}: expected error ${code}, got ${JSON.stringify(r)}`);
}

/** The connection works: a ping is answered and a message to general is acknowledged. */
async function works(c: RawClient, what: string): Promise<void> {
  const p = rid();
  expectReply(await req(c, { type: 'ping', id: p }, p), 'pong', `${what}: ping`);
  const s = rid();
  expectReply(await req(c, { type: 'send', id: s, room: 'general', text: `alive ${s}` }, s), 'ack', `${what}: send`);
}

/** Every error any connection received is documented, and none is internal/unavailable. */
function auditErrors(): string[] {
  const bad: string[] = [];
  for (const c of open) {
    for (const e of c.events) {
      if (e.type === 'error' && (FORBIDDEN_CODES.has(e.code) || !DOCUMENTED.has(e.code))) bad.push(JSON.stringify(e));
    }
  }
  return bad;
}

interface ApiRes {
  status: number;
  body: { error?: string } & Record<string, unknown>;
}
async function api(method: string, path: string, body?: unknown): Promise<ApiRes> {
  const headers: Record<string, string> = { authorization: `Bearer ${owner.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${srv.http}/admin/api/${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as ApiRes['body'] };
}
function expectApi(r: ApiRes, status: number, error: string | undefined, what: string): void {
  assert.ok(r.body.error !== 'internal', `${what}: internal error`);
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  if (error) assert.equal(r.body.error, error, what);
}

/** Retries `f` while it throws (a guest name is freed when the server has seen the close). */
async function eventually<T>(f: () => Promise<T>, ms = 3000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await f();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const places = new Set<string>();
let cases = 0;
let finalCases = 0;
const failures: string[] = [];

before(async () => {
  srv = await startServer({
    ratePerSec: 10_000,
    rateBurst: 10_000,
    floodCloseAfter: 1_000_000,
    roomsCreatedPerHour: 0,
    invitesPerMinute: 0,
    registrationsPerHour: 0,
    guestsPerMinute: 0,
    loginMaxFailures: 1000,
  });
  const { c, first } = await hello(helloFrame({ kind: 'register', name: 'owner', password: PASSWORD }));
  owner = { c, token: welcomed(first, 'owner').token };
  await grantAdmin(srv.dataDir, 'owner'); // as the operator does (`scale-chat admin grant owner`)
  const v = await hello(helloFrame({ kind: 'register', name: 'victim', password: PASSWORD }));
  welcomed(v.first, 'victim');
  v.c.close();
});

after(async () => {
  console.log(`reserved-names: ${NAMES.length} names x ${places.size} places = ${cases} cases (+ ${finalCases} sign-ins at the end), ${failures.length} failures`);
  for (const c of open) c.close();
  await srv?.cleanup();
});

describe('reserved names as room ids, user names, message ids and JSON keys', () => {
  for (const N of NAMES) {
    it(`"${N}"`, { timeout: 60_000 }, async () => {
      const R = N.toLowerCase();
      const roomOk = ROOM_RE.test(R);
      const exactRoomOk = ROOM_RE.test(N);
      const nameOk = NAME_RE.test(N);
      const mine: string[] = [];
      const check = async (place: string, f: () => Promise<void>) => {
        places.add(place);
        cases++;
        try {
          await f();
        } catch (err) {
          mine.push(`${N} / ${place}: ${(err as Error).message}`);
        }
      };
      const o = owner.c;
      /** The room the frames below target: the lowercase room when it can exist, else the name itself. */
      const T = roomOk ? R : N;
      let victimToken = '';
      let victim: RawClient | undefined;

      await check('create room', async () => {
        const id = rid();
        const r = await req(o, { type: 'create', id, room: N, visibility: 'public' }, id);
        if (exactRoomOk) expectReply(r, 'joined', 'create exact');
        else expectError(r, 'room_invalid', 'create exact');
        if (roomOk && R !== N) {
          const id2 = rid();
          expectReply(await req(o, { type: 'create', id: id2, room: R, visibility: 'public' }, id2), 'joined', 'create lowercase');
        }
      });

      await check('send with the name as message id', async () => {
        const r = await req(o, { type: 'send', id: N, room: T, text: `first in ${T}` }, N);
        if (!roomOk) return expectError(r, 'not_member', 'send');
        expectReply(r, 'ack', 'send');
        // The same id again: the same ack (a resend is never stored twice).
        const again = await req(o, { type: 'send', id: N, room: T, text: `first in ${T}` }, N);
        assert.ok(again.type === 'ack' && r.type === 'ack' && again.seq === r.seq, `resend: ${JSON.stringify(again)}`);
      });

      await check('invite the victim', async () => {
        const id = rid();
        const r = await req(o, { type: 'invite', id, room: T, user: 'victim' }, id);
        if (roomOk) expectReply(r, 'invited', 'invite');
        else expectError(r, 'not_member', 'invite');
      });

      await check('victim login with resume keys', async () => {
        const resume = record([
          [T, 0],
          [N, 0],
          ['__proto__', 0],
          ['constructor', 0],
          ['hasOwnProperty', 0],
          ['general', 0],
        ]);
        const { c, first } = await hello(helloFrame({ kind: 'login', name: 'victim', password: PASSWORD }, { resume }));
        const w = welcomed(first, 'login');
        victimToken = w.token;
        if (roomOk) {
          assert.ok(w.rooms.some((r) => r.id === R), `rooms: ${w.rooms.map((r) => r.id)}`);
          const m = await c.next((e) => e.type === 'msg' && e.room === R);
          assert.equal(m.type === 'msg' && m.id, N, 'the replayed message keeps its id');
          await c.next((e) => e.type === 'resume' && e.room === R);
        }
        await works(c, 'after login');
        c.close();
        // Without resume, and with a resume that does not name the room: still in, from the room's lastSeq.
        for (const extra of [{}, { resume: { general: 0 } }]) {
          const again = await hello(helloFrame({ kind: 'login', name: 'victim', password: PASSWORD }, extra));
          const w2 = welcomed(again.first, `login ${JSON.stringify(extra)}`);
          assert.equal(w2.rooms.some((r) => r.id === R), roomOk);
          await works(again.c, `after login ${JSON.stringify(extra)}`);
          again.c.close();
        }
      });

      await check('victim token with __proto__ in resume and in hello', async () => {
        const entries: [string, number][] = [['__proto__', 0], [T, 0], ['valueOf', 0], ['general', 0]];
        if (N !== T) entries.push([N, 1]);
        const resume = JSON.stringify(record(entries));
        const frame = `{${EXTRA},"type":"hello","v":1,"auth":{"kind":"token","token":"${victimToken}"},"resume":${resume}}`;
        const { c, first } = await hello(frame);
        welcomed(first, 'token');
        if (roomOk) await c.next((e) => e.type === 'resume' && e.room === R);
        await works(c, 'after token');
        victim = c;
      });
      const v = victim ?? (await hello(helloFrame({ kind: 'login', name: 'victim', password: PASSWORD }))).c;

      await check('join', async () => {
        const id = rid();
        const r = await req(v, { type: 'join', id, room: T }, id);
        if (roomOk) expectReply(r, 'joined', 'join');
        else expectError(r, 'no_such_room', 'join');
        if (N !== T) {
          const id2 = rid();
          expectError(await req(v, { type: 'join', id: id2, room: N }, id2), 'no_such_room', 'join exact');
        }
      });

      await check('history', async () => {
        const id = rid();
        const r = await req(v, { type: 'history', id, room: T, limit: 10 }, id);
        if (!roomOk) return expectError(r, 'not_member', 'history');
        assert.ok(r.type === 'history' && r.messages.some((m) => m.id === N), `history: ${JSON.stringify(r)}`);
        if (N !== T) {
          const id2 = rid();
          expectError(await req(v, { type: 'history', id: id2, room: N }, id2), 'not_member', 'history exact');
        }
      });

      await check('members', async () => {
        const id = rid();
        const r = await req(v, { type: 'members', id, room: T }, id);
        if (!roomOk) return expectError(r, 'not_member', 'members');
        assert.ok(r.type === 'members' && r.members.some((m) => m.name === 'owner') && r.members.some((m) => m.name === 'victim'), JSON.stringify(r));
      });

      await check('read marker', async () => {
        const before = v.events.length;
        v.send({ type: 'read', room: T, seq: 1 });
        await works(v, 'after read');
        const errs = v.events.slice(before).filter((e) => e.type === 'error');
        if (roomOk) assert.deepEqual(errs, [], 'read in a room you are in');
        else assert.ok(errs.length === 1 && errs[0].type === 'error' && errs[0].code === 'not_member', JSON.stringify(errs));
      });

      await check('typing', async () => {
        const before = v.events.length;
        v.send({ type: 'typing', room: T });
        if (roomOk) {
          const t = await o.next((e) => e.type === 'typing' && e.room === R && e.user === 'victim');
          assert.equal(t.type, 'typing');
        }
        await works(v, 'after typing');
        const errs = v.events.slice(before).filter((e) => e.type === 'error');
        if (roomOk) assert.deepEqual(errs, []);
        else assert.ok(errs.length === 1 && errs[0].type === 'error' && errs[0].code === 'not_member', JSON.stringify(errs));
      });

      await check('rooms list', async () => {
        const id = rid();
        const r = await req(v, { type: 'rooms', id }, id);
        assert.ok(r.type === 'rooms', JSON.stringify(r));
        assert.equal(r.rooms.some((x) => x.id === R), roomOk);
      });

      await check('extra __proto__ keys in every frame', async () => {
        const p = rid();
        expectReply(await req(v, withExtra({ type: 'ping', id: p }), p), 'pong', 'ping');
        const s = rid();
        const sent = await req(v, withExtra({ type: 'send', id: s, room: 'general', text: 'with extra keys' }), s);
        expectReply(sent, 'ack', 'send');
        const h = rid();
        expectReply(await req(v, withExtra({ type: 'history', id: h, room: 'general', limit: 1 }), h), 'history', 'history');
        const m = rid();
        expectReply(await req(v, withExtra({ type: 'members', id: m, room: T }), m), roomOk ? 'members' : 'error', 'members');
        const j = rid();
        expectReply(await req(v, withExtra({ type: 'join', id: j, room: 'general' }), j), 'joined', 'join');
        const r = rid();
        expectReply(await req(v, withExtra({ type: 'rooms', id: r }), r), 'rooms', 'rooms');
        // The history copy of the message has no trace of the extra keys.
        const hb = rid();
        const back = await req(v, { type: 'history', id: hb, room: 'general', limit: 1 }, hb);
        assert.ok(back.type === 'history' && !JSON.stringify(back.messages).includes('"admin"'), JSON.stringify(back));
      });

      await check('the name as request id and frame type', async () => {
        expectReply(await req(v, { type: 'ping', id: N }, N), 'pong', 'ping with the name as id');
        const id = rid();
        expectError(await req(v, { type: N, id }, id), 'unknown_type', 'frame type');
        expectError(await req(v, { type: N.toLowerCase(), id: N, room: T }, N), 'unknown_type', 'lowercase frame type');
        await works(v, 'after unknown types');
      });

      await check('dm and invite by the name before such a user exists', async () => {
        const id = rid();
        expectError(await req(o, { type: 'dm', id, user: N }, id), 'no_such_user', 'dm');
        const id2 = rid();
        const r = await req(o, { type: 'invite', id: id2, room: T, user: N }, id2);
        expectError(r, roomOk ? 'no_such_user' : 'not_member', 'invite');
      });

      // A guest with the name: DMs, invites and messages by name reach it.
      await check('guest with the name', async () => {
        const { c, first } = await hello(helloFrame({ kind: 'guest', name: N }));
        if (!nameOk) return expectError(first, 'name_invalid', 'guest');
        welcomed(first, 'guest');
        await works(c, 'guest');
        const d = rid();
        const dm = await req(o, { type: 'dm', id: d, user: N }, d);
        assert.ok(dm.type === 'joined' && dm.room.kind === 'dm', JSON.stringify(dm));
        const dmRoom = dm.type === 'joined' ? dm.room.id : '';
        const s = await req(o, { type: 'send', id: `${N}-dm`, room: dmRoom, text: 'hello namesake' }, `${N}-dm`);
        expectReply(s, 'ack', 'send in the DM');
        const got = await c.next((e) => e.type === 'msg' && e.room === dmRoom);
        assert.equal(got.type === 'msg' && got.text, 'hello namesake');
        const i = rid();
        expectReply(await req(o, { type: 'invite', id: i, room: T, user: N }, i), roomOk ? 'invited' : 'error', 'invite the guest');
        c.close();
      });

      // An account with the name (after the guest left): register, login, token, then back in after a ban.
      await check('account with the name', async () => {
        if (!nameOk) {
          const { first } = await hello(helloFrame({ kind: 'register', name: N, password: PASSWORD }));
          return expectError(first, 'name_invalid', 'register');
        }
        const reg = await eventually(async () => {
          const { c, first } = await hello(helloFrame({ kind: 'register', name: N, password: PASSWORD }));
          c.close();
          return welcomed(first, 'register');
        });
        assert.equal(reg.user.name, N);
        const { c, first } = await hello(helloFrame({ kind: 'login', name: N, password: PASSWORD }, { resume: record([[N, 0], ['__proto__', 0]]) }));
        const w = welcomed(first, 'login');
        await works(c, 'account');
        c.close();
        const t = await eventually(async () => {
          const r = await hello(helloFrame({ kind: 'token', token: w.token }, { resume: record([[R, 0], ['constructor', 0]]) }));
          return { c: r.c, w: welcomed(r.first, 'token') };
        });
        await works(t.c, 'account by token');
        t.c.close();
      });

      await check('admin: ban, unban, kick by the name', async () => {
        if (!nameOk) {
          expectApi(await api('POST', 'ban', { user: N }), 400, 'name_invalid', 'ban');
          expectApi(await api('DELETE', `ban/${encodeURIComponent(N)}`), 400, 'name_invalid', 'unban');
          expectApi(await api('POST', 'kick', { user: N }), 400, 'name_invalid', 'kick');
          return;
        }
        expectApi(await api('DELETE', `ban/${encodeURIComponent(N)}`), 404, 'no_such_ban', 'unban before a ban');
        expectApi(await api('POST', 'ban', { user: N, reason: N }), 200, undefined, 'ban');
        const refused = await hello(helloFrame({ kind: 'login', name: N, password: PASSWORD }));
        expectError(refused.first, 'banned', 'login while banned');
        expectApi(await api('DELETE', `ban/${encodeURIComponent(N)}`), 200, undefined, 'unban');
        const back = await eventually(async () => {
          const r = await hello(helloFrame({ kind: 'login', name: N, password: PASSWORD }));
          return { c: r.c, w: welcomed(r.first, 'login after unban') };
        });
        await works(back.c, 'after unban');
        expectApi(await api('POST', 'kick', { user: N }), 200, undefined, 'kick');
        assert.equal((await back.c.waitClose()).code, 4012);
        await eventually(async () => expectApi(await api('POST', 'kick', { user: N }), 404, 'not_online', 'kick when gone'));
        const again = await eventually(async () => welcomed((await hello(helloFrame({ kind: 'login', name: N, password: PASSWORD }))).first, 'login after kick'));
        assert.equal(again.user.name, N);
      });

      await check('admin: rooms by the name', async () => {
        const enc = encodeURIComponent;
        const exists = (id: string) => (id === R ? roomOk : exactRoomOk);
        for (const id of new Set([N, R])) {
          const st = exists(id) ? 200 : 404;
          const err = exists(id) ? undefined : 'no_such_room';
          expectApi(await api('POST', `rooms/${enc(id)}/read-only`, { readOnly: true }), st, err, `read-only ${id}`);
          if (exists(id)) {
            const s = rid();
            expectError(await req(v, { type: 'send', id: s, room: id, text: 'x' }, s), 'read_only', 'send to a read-only room');
          }
          expectApi(await api('POST', `rooms/${enc(id)}/read-only`, { readOnly: false }), st, err, `writable ${id}`);
          expectApi(await api('DELETE', 'message', { room: id, seq: 1 }), st, exists(id) ? undefined : 'no_such_message', `delete message in ${id}`);
          expectApi(await api('POST', `rooms/${enc(id)}/reset`), st, err, `reset ${id}`);
        }
        const list = await api('GET', 'rooms');
        expectApi(list, 200, undefined, 'list rooms');
        assert.equal((list.body.rooms as { id: string }[]).some((r) => r.id === R), roomOk);
        expectApi(await api('GET', `audit?limit=5`), 200, undefined, 'audit');
        // The name as an endpoint or a query parameter: not found / ignored, never a crash.
        expectApi(await api('GET', enc(N)), 404, 'not_found', 'the name as an endpoint');
        expectApi(await api('POST', `rooms/${enc(N)}/${enc(N)}`), 404, 'not_found', 'the name as a room action');
        expectApi(await api('GET', `audit?${enc(N)}=1&limit=2`), 200, undefined, 'the name as a query key');
        expectApi(await api('POST', 'kick', `{${EXTRA},"user":"nobody-${N.length}"}`), 404, 'not_online', 'extra keys in a body');
      });

      await check('leave', async () => {
        const id = rid();
        const r = await req(v, { type: 'leave', id, room: T }, id);
        if (roomOk) expectReply(r, 'left', 'leave');
        else expectError(r, 'not_member', 'leave');
        if (roomOk) {
          const j = rid();
          expectReply(await req(v, { type: 'join', id: j, room: R }, j), 'joined', 'join again');
        }
      });

      await check('admin: delete the room, the victim still signs in', async () => {
        if (roomOk) {
          expectApi(await api('DELETE', `rooms/${encodeURIComponent(R)}`), 200, undefined, 'delete room');
          await v.next((e) => e.type === 'room_removed' && e.room === R);
        } else {
          expectApi(await api('DELETE', `rooms/${encodeURIComponent(N)}`), 404, 'no_such_room', 'delete room');
        }
        const { c, first } = await hello(helloFrame({ kind: 'token', token: victimToken }, { resume: record([[R, 5], [N, 5], ['__proto__', 5]]) }));
        const w = welcomed(first, 'token after the room was deleted');
        assert.ok(!w.rooms.some((r) => r.id === R));
        await works(c, 'after delete');
        c.close();
        if (roomOk) {
          // The room again, with the victim in it, for the names that follow (every later sign-in has it).
          const id = rid();
          expectReply(await req(o, { type: 'create', id, room: R, visibility: 'private' }, id), 'joined', 'create again');
          const s = rid();
          expectReply(await req(o, { type: 'send', id: N, room: R, text: `again in ${R}` }, N), 'ack', 'send again');
          expectReply(await req(o, { type: 'invite', id: s, room: R, user: 'victim' }, s), 'invited', 'invite again');
        }
      });

      await check('no internal or unavailable error anywhere', async () => {
        assert.deepEqual(auditErrors(), []);
        await works(v, 'victim at the end');
        await works(o, 'owner at the end');
      });
      v.close();

      failures.push(...mine);
      assert.deepEqual(mine, [], mine.join('\n'));
    });
  }

  it('at the end the victim, a member of every such room, signs in every way', async () => {
    const rooms = NAMES.map((n) => n.toLowerCase()).filter((r) => ROOM_RE.test(r));
    let token = '';
    const ways: [string, () => string][] = [
      ['login without resume', () => helloFrame({ kind: 'login', name: 'victim', password: PASSWORD })],
      ['login with __proto__ only', () => `{"type":"hello","v":1,"auth":{"kind":"login","name":"victim","password":"${PASSWORD}"},"resume":{"__proto__":0}}`],
      ['token without resume', () => helloFrame({ kind: 'token', token })],
      ['token resuming every room from 0', () => withExtra({ type: 'hello', v: 1, auth: { kind: 'token', token }, resume: record([...rooms, ...NAMES].map((r) => [r, 0])) })],
    ];
    for (const [what, frame] of ways) {
      finalCases++;
      const { c, first } = await hello(frame());
      const w = welcomed(first, what);
      token = w.token;
      assert.deepEqual(rooms.filter((r) => !w.rooms.some((x) => x.id === r)), [], `${what}: every room is in the welcome`);
      await works(c, what);
      c.close();
    }
    assert.deepEqual(auditErrors(), []);
  });
});
