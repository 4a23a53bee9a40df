/**
 * The authorization matrix: every client request type (Object.keys(clientFrameSchemas)) and every
 * admin route, times every kind of actor, each cell the outcome a user would see (reply type, error
 * code, close code, HTTP status), checked against a real server with a public room, a private room, a
 * DM between two users and a read-only room. A request type or an actor without its row or cell fails
 * the test; so does any mismatch. Refused cells change nothing (checked at the end: the private room's
 * history, the bans, the audit log).
 *
 * Actors: outsider (signed in, in no room but `general`), member (of the private room), DM partner,
 * a third party to that DM, a guest (member of the public room), an account (member of the read-only
 * room), the admin (an account with the admin role: no chat rights beyond anyone's), a banned user
 * (its token refused with 4013), a forged token (4004) and an expired token (4005, a server whose
 * tokens live 1 ms). For the last three, the request is pipelined right behind the refused hello: it
 * must never be carried out nor answered.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clientFrameSchemas, type ClientFrameType } from '../src/protocol/schema.js';
import type { ErrorFrame, HistoryFrame, JoinedFrame, ServerEvent, WelcomeFrame } from '../src/protocol/types.js';
import { grantAdmin } from './helpers/admin.js';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';

const PASSWORD = 'correct horse battery';
const ADMIN = 'boss';

const LIVE = ['outsider', 'member', 'dm_partner', 'dm_third', 'guest', 'account', 'admin'] as const;
const REFUSED = ['banned', 'forged', 'expired'] as const;
const ACTORS = [...LIVE, ...REFUSED] as const;
type Live = (typeof LIVE)[number];
type Refused = (typeof REFUSED)[number];
type Actor = (typeof ACTORS)[number];

interface Session {
  c: RawClient;
  token: string;
  welcome: WelcomeFrame;
  name: string;
}

interface World {
  srv: TestServer;
  expiredSrv: TestServer;
  s: Record<Live | 'dm_peer' | 'invitee' | 'spare' | 'banned', Session>;
  tokens: Record<Actor, string>;
  pub: string;
  priv: string;
  ro: string;
  dm: string;
  /** Rooms used by one cell only (leave, join, the admin actions). */
  privLeave: string;
  pubLeave: string;
  pubJoin: string;
  trash: string;
}

let w: World;
let nextId = 0;
const rid = () => `q${++nextId}`;

// ---------------------------------------------------------------- sessions

async function hello(srv: TestServer, auth: Record<string, unknown>): Promise<Session> {
  const c = await RawClient.open(srv.url);
  c.send({ type: 'hello', v: 1, auth });
  const first = await c.next<WelcomeFrame | ErrorFrame>((e) => e.type === 'welcome' || e.type === 'error');
  if (first.type !== 'welcome') throw new Error(`hello ${JSON.stringify(auth)} refused: ${JSON.stringify(first)}`);
  return { c, token: first.token, welcome: first, name: first.user.name };
}

const guest = (srv: TestServer, name: string) => hello(srv, { kind: 'guest', name });
const account = (srv: TestServer, name: string) => hello(srv, { kind: 'register', name, password: PASSWORD });

/**
 * The admin: the one place that knows how the admin role is granted (an account, then granted as the
 * operator does: `scale-chat admin grant NAME`, test/helpers/admin.ts).
 */
async function adminSession(srv: TestServer): Promise<Session> {
  const s = await account(srv, ADMIN);
  await grantAdmin(srv.dataDir, ADMIN);
  const me = await api(srv, 'GET', 'me', s.token);
  assert.equal(me.body.admin, true, `${ADMIN} is an admin: ${JSON.stringify(me.body)}`);
  return s;
}

interface Res {
  status: number;
  body: Record<string, unknown> & { error?: string };
}

async function api(srv: TestServer, method: string, path: string, token?: string, body?: unknown): Promise<Res> {
  const h: Record<string, string> = {};
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const r = await fetch(`${srv.http}/admin/api/${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Res['body'] };
}

async function ok<T extends ServerEvent>(c: RawClient, frame: { type: string } & Record<string, unknown>, type: T['type']): Promise<T> {
  const r = await c.request<T>({ id: rid(), ...frame });
  assert.equal(r.type, type, `${JSON.stringify(frame)} -> ${JSON.stringify(r)}`);
  return r;
}

before(async () => {
  const srv = await startServer({ ratePerSec: 1000, rateBurst: 1000, guestsPerMinute: 0 });
  const expiredSrv = await startServer({ tokenTtlMs: 1, guestsPerMinute: 0 });
  const admin = await adminSession(srv);
  const s = {
    admin,
    account: await account(srv, 'acct'),
    member: await guest(srv, 'mem'),
    outsider: await guest(srv, 'outs'),
    dm_partner: await guest(srv, 'dma'),
    dm_peer: await guest(srv, 'dmb'),
    dm_third: await guest(srv, 'third'),
    guest: await guest(srv, 'gst'),
    invitee: await guest(srv, 'invitee'),
    spare: await guest(srv, 'spare'),
    banned: await guest(srv, 'bann'),
  };
  const m = s.member.c;
  const pub = 'pub';
  const priv = 'priv';
  const ro = 'ro';
  await ok(m, { type: 'create', room: pub, visibility: 'public' }, 'joined');
  await ok(m, { type: 'create', room: priv, visibility: 'private' }, 'joined');
  await ok(m, { type: 'create', room: ro, visibility: 'public' }, 'joined');
  await ok(m, { type: 'create', room: 'priv-leave', visibility: 'private' }, 'joined');
  await ok(m, { type: 'create', room: 'pub-leave', visibility: 'public' }, 'joined');
  await ok(m, { type: 'create', room: 'pub-join', visibility: 'public' }, 'joined');
  await ok(m, { type: 'create', room: 'trash', visibility: 'public' }, 'joined');
  await ok(m, { type: 'send', room: priv, text: 'private words' }, 'ack');
  await ok(m, { type: 'send', room: 'trash', text: 'to be deleted' }, 'ack');
  await ok(m, { type: 'invite', room: priv, user: 'bann' }, 'invited');
  await ok(s.guest.c, { type: 'join', room: pub }, 'joined');
  await ok(s.guest.c, { type: 'join', room: 'pub-leave' }, 'joined');
  await ok(s.account.c, { type: 'join', room: ro }, 'joined');
  const dm = (await ok<JoinedFrame>(s.dm_partner.c, { type: 'dm', user: 'dmb' }, 'joined')).room.id;
  await ok(s.dm_partner.c, { type: 'send', room: dm, text: 'between us' }, 'ack');
  await ok(s.dm_peer.c, { type: 'send', room: dm, text: 'peer words' }, 'ack');
  assert.equal((await api(srv, 'POST', `rooms/${ro}/read-only`, admin.token, { readOnly: true })).status, 200);
  // The banned user: banned while online (closed 4013), its token refused from then on.
  assert.equal((await api(srv, 'POST', 'ban', admin.token, { user: 'bann', reason: 'matrix' })).status, 200);
  assert.equal((await s.banned.c.waitClose()).code, 4013, 'a ban closes the live connection with 4013');
  // A forged token: the member's, with its signature altered. An expired one: from the 1 ms server.
  const t = s.member.token;
  const forged = t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const short = await guest(expiredSrv, 'shortlived');
  short.c.close();
  await new Promise((r) => setTimeout(r, 20));
  const tokens = { forged, expired: short.token, banned: s.banned.token } as Record<Actor, string>;
  for (const a of LIVE) tokens[a] = s[a].token;
  w = { srv, expiredSrv, s, tokens, pub, priv, ro, dm, privLeave: 'priv-leave', pubLeave: 'pub-leave', pubJoin: 'pub-join', trash: 'trash' };
});

after(async () => {
  if (!w) return;
  for (const x of Object.values(w.s)) x.c.close();
  await w.srv.cleanup();
  await w.expiredSrv.cleanup();
});

// ---------------------------------------------------------------- the frame rows

/**
 * A cell: the frame the actor sends and the outcome: the reply type, `error:<code>`, `none` (no reply,
 * no error: the frame is followed by a ping whose pong must come first), or for a refused token
 * `close:<code>` (the hello's error and close; the pipelined request gets nothing).
 */
interface Cell {
  frame: Record<string, unknown>;
  expect: string;
  /** A further check of the reply (null: fine). */
  check?: (reply: ServerEvent) => string | null;
}
type Row = Record<Live, () => Cell>;

/** The room each actor addresses in room-scoped rows: the four kinds of room over the actors. */
const target = (): Record<Live, string> => ({ outsider: w.priv, member: w.priv, dm_partner: w.dm, dm_third: w.dm, guest: w.pub, account: w.ro, admin: w.priv });

/** A room-scoped row: `ok` is the reply of those allowed; the others get `denied`. */
function roomRow(frame: (room: string) => Record<string, unknown>, expect: Partial<Record<Live, string>> & { ok: string; denied: string }): Row {
  const allowed: Record<Live, boolean> = { outsider: false, member: true, dm_partner: true, dm_third: false, guest: true, account: true, admin: false };
  const row = {} as Row;
  for (const a of LIVE) row[a] = () => ({ frame: frame(target()[a]), expect: expect[a] ?? (allowed[a] ? expect.ok : expect.denied) });
  return row;
}

/** A change row: like a room row (ack for members of a writable room), with the author checks as `extra`. */
function changeRow(frame: (room: string, a: Live) => Record<string, unknown>, extra: Partial<Record<Live, string>>): Row {
  const row = roomRow((room) => ({ room }), { ok: 'ack', denied: 'error:not_member', account: 'error:read_only', ...extra });
  for (const a of LIVE) {
    const cell = row[a];
    row[a] = () => {
      const c = cell();
      return { ...c, frame: frame(c.frame.room as string, a) };
    };
  }
  return row;
}

/** Replies must not reveal the private room or the DM to someone outside them. */
const hides = (what: () => string[]) => (r: ServerEvent) => {
  const text = JSON.stringify(r);
  const leaked = what().filter((x) => text.includes(`"${x}"`));
  return leaked.length ? `reveals ${leaked.join(', ')}: ${text.slice(0, 300)}` : null;
};
const hidesPrivate = hides(() => [w.priv, w.dm, 'private words', 'between us']);

const FRAME_ROWS: Record<ClientFrameType, Row> = {
  hello: Object.fromEntries(LIVE.map((a) => [a, () => ({ frame: { type: 'hello', v: 1, auth: { kind: 'guest', name: 'again' } }, expect: 'error:already_authenticated' })])) as unknown as Row,
  send: roomRow((room) => ({ type: 'send', room, text: 'matrix says hi' }), { ok: 'ack', denied: 'error:not_member', account: 'error:read_only' }),
  // Message changes: seq 1 of priv is 'private words' and seq 2 the send row's, both by the member; in the
  // DM seq 2 is the peer's (not the partner's); in pub seq 1 is the guest's own, from the send row.
  edit: changeRow((room, a) => ({ type: 'edit', room, target: a === 'dm_partner' ? 2 : a === 'guest' ? 1 : 2, text: 'edited by the matrix' }), { dm_partner: 'error:not_author' }),
  remove: changeRow((room, a) => ({ type: 'remove', room, target: a === 'guest' ? 1 : 2 }), { dm_partner: 'error:not_author' }),
  react: changeRow((room, a) => ({ type: 'react', room, target: a === 'guest' ? 1 : a === 'dm_partner' ? 2 : 1, emoji: '👍', on: true }), { guest: 'error:no_such_message' }),
  // Search: hits only from rooms the actor is in (the private words and the DM stay hidden from the others).
  search: {
    outsider: () => ({ frame: { type: 'search', query: 'private words' }, expect: 'search_results', check: hidesPrivate }),
    member: () => ({ frame: { type: 'search', query: 'private words' }, expect: 'search_results', check: (r) => (JSON.stringify(r).includes('private words') ? null : 'the member does not find its own room') }),
    dm_partner: () => ({ frame: { type: 'search', query: 'between' }, expect: 'search_results', check: (r) => (JSON.stringify(r).includes('between us') ? null : 'the partner does not find its DM') }),
    dm_third: () => ({ frame: { type: 'search', query: 'between', room: w.dm }, expect: 'error:not_member' }),
    guest: () => ({ frame: { type: 'search', query: 'between us private words' }, expect: 'search_results', check: hidesPrivate }),
    account: () => ({ frame: { type: 'search', query: '!!!' }, expect: 'error:search_invalid' }),
    admin: () => ({ frame: { type: 'search', query: 'private' }, expect: 'search_results', check: hidesPrivate }),
  },
  join: {
    outsider: () => ({ frame: { type: 'join', room: w.priv }, expect: 'error:no_such_room', check: hidesPrivate }),
    member: () => ({ frame: { type: 'join', room: w.priv }, expect: 'joined' }),
    dm_partner: () => ({ frame: { type: 'join', room: w.dm }, expect: 'joined' }),
    dm_third: () => ({ frame: { type: 'join', room: w.dm }, expect: 'error:no_such_room', check: hidesPrivate }),
    guest: () => ({ frame: { type: 'join', room: w.pubJoin }, expect: 'joined' }),
    account: () => ({ frame: { type: 'join', room: w.ro }, expect: 'joined' }),
    admin: () => ({ frame: { type: 'join', room: w.priv }, expect: 'error:no_such_room', check: hidesPrivate }),
  },
  leave: {
    outsider: () => ({ frame: { type: 'leave', room: w.priv }, expect: 'error:not_member' }),
    member: () => ({ frame: { type: 'leave', room: w.privLeave }, expect: 'left' }),
    dm_partner: () => ({ frame: { type: 'leave', room: w.dm }, expect: 'error:forbidden' }),
    dm_third: () => ({ frame: { type: 'leave', room: w.dm }, expect: 'error:not_member' }),
    guest: () => ({ frame: { type: 'leave', room: w.pubLeave }, expect: 'left' }),
    account: () => ({ frame: { type: 'leave', room: 'general' }, expect: 'error:forbidden' }),
    admin: () => ({ frame: { type: 'leave', room: w.priv }, expect: 'error:not_member' }),
  },
  create: {
    outsider: () => ({ frame: { type: 'create', room: 'made-by-outsider', visibility: 'public' }, expect: 'joined' }),
    member: () => ({ frame: { type: 'create', room: w.priv, visibility: 'public' }, expect: 'error:room_exists' }),
    dm_partner: () => ({ frame: { type: 'create', room: w.dm, visibility: 'private' }, expect: 'error:room_invalid' }),
    dm_third: () => ({ frame: { type: 'create', room: 'made-by-third', visibility: 'private' }, expect: 'joined' }),
    guest: () => ({ frame: { type: 'create', room: 'Not Valid', visibility: 'public' }, expect: 'error:room_invalid' }),
    account: () => ({ frame: { type: 'create', room: 'general', visibility: 'public' }, expect: 'error:room_exists' }),
    admin: () => ({ frame: { type: 'create', room: 'made-by-admin', visibility: 'private' }, expect: 'joined' }),
  },
  invite: {
    outsider: () => ({ frame: { type: 'invite', room: w.priv, user: 'invitee' }, expect: 'error:not_member' }),
    member: () => ({ frame: { type: 'invite', room: w.priv, user: 'invitee' }, expect: 'invited' }),
    dm_partner: () => ({ frame: { type: 'invite', room: w.dm, user: 'invitee' }, expect: 'error:forbidden' }),
    dm_third: () => ({ frame: { type: 'invite', room: w.dm, user: 'invitee' }, expect: 'error:not_member' }),
    guest: () => ({ frame: { type: 'invite', room: w.pub, user: 'invitee' }, expect: 'invited' }),
    account: () => ({ frame: { type: 'invite', room: w.ro, user: 'invitee' }, expect: 'invited' }),
    admin: () => ({ frame: { type: 'invite', room: w.priv, user: 'invitee' }, expect: 'error:not_member' }),
  },
  rooms: {
    outsider: () => ({ frame: { type: 'rooms' }, expect: 'rooms', check: hidesPrivate }),
    member: () => ({ frame: { type: 'rooms' }, expect: 'rooms', check: (r) => (JSON.stringify(r).includes(`"${w.priv}"`) ? null : 'the member does not see its private room') }),
    dm_partner: () => ({ frame: { type: 'rooms' }, expect: 'rooms', check: (r) => (JSON.stringify(r).includes(`"${w.dm}"`) ? null : 'the partner does not see its DM') }),
    dm_third: () => ({ frame: { type: 'rooms' }, expect: 'rooms', check: hidesPrivate }),
    guest: () => ({ frame: { type: 'rooms' }, expect: 'rooms', check: hidesPrivate }),
    account: () => ({ frame: { type: 'rooms' }, expect: 'rooms', check: hidesPrivate }),
    admin: () => ({ frame: { type: 'rooms' }, expect: 'rooms', check: hidesPrivate }),
  },
  members: roomRow((room) => ({ type: 'members', room }), { ok: 'members', denied: 'error:not_member' }),
  // Unsubscribing is idempotent and tells nothing about the room: every actor gets the reply.
  members_unsubscribe: roomRow((room) => ({ type: 'members_unsubscribe', room }), { ok: 'members_unsubscribed', denied: 'members_unsubscribed' }),
  history: {
    ...roomRow((room) => ({ type: 'history', room, limit: 50 }), { ok: 'history', denied: 'error:not_member' }),
    member: () => ({
      frame: { type: 'history', room: w.priv, limit: 50 },
      expect: 'history',
      check: (r) => ((r as HistoryFrame).messages.some((m) => m.text === 'private words') ? null : 'the member cannot read its private room'),
    }),
  },
  dm: {
    outsider: () => ({ frame: { type: 'dm', user: 'dma' }, expect: 'joined' }),
    member: () => ({ frame: { type: 'dm', user: 'mem' }, expect: 'error:forbidden' }),
    dm_partner: () => ({ frame: { type: 'dm', user: 'dmb' }, expect: 'joined', check: (r) => ((r as JoinedFrame).room.id === w.dm ? null : 'opening the DM again gives another room') }),
    dm_third: () => ({ frame: { type: 'dm', user: 'nobody-by-this-name' }, expect: 'error:no_such_user' }),
    guest: () => ({ frame: { type: 'dm', user: 'mem' }, expect: 'joined' }),
    account: () => ({ frame: { type: 'dm', user: 'gst' }, expect: 'joined' }),
    admin: () => ({ frame: { type: 'dm', user: 'outs' }, expect: 'joined', check: (r) => ((r as JoinedFrame).room.id === w.dm ? 'the admin got the DM of others' : null) }),
  },
  typing: roomRow((room) => ({ type: 'typing', room }), { ok: 'none', denied: 'error:not_member' }),
  read: roomRow((room) => ({ type: 'read', room, seq: 1 }), { ok: 'none', denied: 'error:not_member' }),
  ping: Object.fromEntries(LIVE.map((a) => [a, () => ({ frame: { type: 'ping' }, expect: 'pong' })])) as unknown as Row,
  pong: Object.fromEntries(LIVE.map((a) => [a, () => ({ frame: { type: 'pong' }, expect: 'none' })])) as unknown as Row,
  // Account changes (docs/protocol.md 4.5): guests have no password; a wrong one changes nothing.
  password: Object.fromEntries(
    LIVE.map((a) => [a, () => ({ frame: { type: 'password', current: 'not the password', next: 'a brand new password' }, expect: a === 'account' || a === 'admin' ? 'error:auth_failed' : 'error:forbidden' })]),
  ) as unknown as Row,
  delete_account: Object.fromEntries(
    LIVE.map((a) => [a, () => ({ frame: { type: 'delete_account', password: 'not the password' }, expect: a === 'account' || a === 'admin' ? 'error:auth_failed' : 'error:forbidden' })]),
  ) as unknown as Row,
  // Allowed for everyone; it ends the actor's sessions, so this row runs last (ENDS_SESSIONS).
  signout_all: Object.fromEntries(LIVE.map((a) => [a, () => ({ frame: { type: 'signout_all' }, expect: 'signed_out' })])) as unknown as Row,
};

/** Rows whose allowed cells end the actor's sessions: run after everything else. */
const ENDS_SESSIONS = new Set<ClientFrameType>(['signout_all']);

/** What a refused token gets, whatever it pipelines behind its hello. */
const REFUSAL: Record<Refused, { code: string; close: number }> = {
  banned: { code: 'banned', close: 4013 },
  forged: { code: 'token_invalid', close: 4004 },
  expired: { code: 'token_expired', close: 4005 },
};

const NO_ID = new Set(['typing', 'read', 'pong', 'hello']);

async function runLive(actor: Live, cell: Cell): Promise<{ got: string; reply?: ServerEvent }> {
  const c = w.s[actor].c;
  const type = String(cell.frame.type);
  if (type === 'hello') {
    const r = await c.request({ ...cell.frame, id: rid() } as { type: string; id: string });
    return { got: r.type === 'error' ? `error:${(r as ErrorFrame).code}` : r.type, reply: r };
  }
  if (NO_ID.has(type)) {
    // No reply expected: a ping right behind it; an error (without re) before the pong is the outcome.
    const from = c.events.length;
    c.send(cell.frame);
    const pingId = rid();
    await c.request({ type: 'ping', id: pingId });
    const between = c.events.slice(from).filter((e) => e.type === 'error' && !(e as ErrorFrame).re);
    const err = between[0] as ErrorFrame | undefined;
    return { got: err ? `error:${err.code}` : 'none', reply: err };
  }
  const r = await c.request({ ...cell.frame, id: rid() } as { type: string; id: string });
  return { got: r.type === 'error' ? `error:${(r as ErrorFrame).code}` : r.type, reply: r };
}

async function runRefused(actor: Refused, type: ClientFrameType): Promise<string> {
  const srv = actor === 'expired' ? w.expiredSrv : w.srv;
  const c = await RawClient.open(srv.url);
  c.send({ type: 'hello', v: 1, auth: { kind: 'token', token: w.tokens[actor] } });
  // The member's frame of this row (the private room, for the banned user a room it was in), pipelined.
  const id = rid();
  if (type !== 'hello') c.send({ ...FRAME_ROWS[type].member().frame, id });
  const { code } = await c.waitClose();
  const errors = c.all<ErrorFrame>('error');
  const answered = c.events.filter((e) => ('re' in e && e.re === id) || (e.type === 'ack' && e.id === id) || e.type === 'welcome');
  if (answered.length) return `answered ${JSON.stringify(answered[0]).slice(0, 200)}`;
  return `close:${code}${errors[0] ? ` ${errors[0].code}` : ''}`;
}

// ---------------------------------------------------------------- the admin routes

interface Route {
  method: string;
  path: string;
  body?: unknown;
  /** The admin's outcome (status), and what it must have done. */
  admin: number;
  check?: () => Promise<string | null>;
}

/** Every admin route (src/server/admin/router.ts), in an order where the admin's actions build on each other. */
const ROUTES: Route[] = [
  { method: 'GET', path: 'me', admin: 200 },
  { method: 'GET', path: 'stats', admin: 200 },
  { method: 'GET', path: 'rooms', admin: 200 },
  {
    method: 'POST',
    path: 'kick',
    body: { user: 'spare' },
    admin: 200,
    check: async () => ((await w.s.spare.c.waitClose()).code === 4012 ? null : 'the kicked user was not closed with 4012'),
  },
  { method: 'POST', path: 'ban', body: { user: 'throwaway' }, admin: 200 },
  { method: 'DELETE', path: 'ban/throwaway', admin: 200 },
  { method: 'GET', path: 'bans', admin: 200 },
  { method: 'DELETE', path: 'message', body: { room: 'trash', seq: 1 }, admin: 200 },
  { method: 'POST', path: 'rooms/trash/reset', admin: 200 },
  { method: 'POST', path: 'rooms/trash/read-only', body: { readOnly: true }, admin: 200 },
  { method: 'DELETE', path: 'rooms/trash', admin: 200 },
  { method: 'GET', path: 'audit', admin: 200 },
  { method: 'GET', path: 'log-level', admin: 200 },
  { method: 'PUT', path: 'log-level', body: { level: 'silent' }, admin: 200 },
  // API keys (docs/api.md): made and listed by the admin only; revoking an unknown id is 404 for the admin, 403 for anyone else.
  { method: 'GET', path: 'keys', admin: 200 },
  { method: 'POST', path: 'keys', body: { name: 'matrixbot', scopes: ['publish'] }, admin: 200 },
  { method: 'DELETE', path: 'keys/ffffffffffffffff', admin: 404 },
  // Webhook endpoints (src/server/admin/webhooks.ts): the id the admin's POST created, for the rows after it.
  { method: 'GET', path: 'webhooks', admin: 200 },
  {
    method: 'POST',
    path: 'webhooks',
    body: { url: 'http://127.0.0.1:9/matrix', enabled: false },
    admin: 200,
    check: async () => {
      const list = (await api(w.srv, 'GET', 'webhooks', w.tokens.admin)).body.webhooks as { id: string }[];
      matrixHook = list[0]?.id ?? '';
      return list.length === 1 ? null : `webhooks after one POST: ${JSON.stringify(list)}`;
    },
  },
  { method: 'PATCH', get path() { return `webhooks/${matrixHook}`; }, body: { description: 'matrix' }, admin: 200 },
  { method: 'GET', get path() { return `webhooks/${matrixHook}/deliveries`; }, admin: 200 },
  { method: 'DELETE', get path() { return `webhooks/${matrixHook}`; }, admin: 200 },
];
/** The webhook endpoint the matrix's POST created (its id is random). */
let matrixHook = 'wh_0000000000000000';

function httpExpect(actor: Actor, route: Route): number {
  switch (actor) {
    case 'admin':
      return route.admin;
    case 'banned':
      return 403;
    case 'forged':
    case 'expired':
      return 401;
    default:
      return route.path === 'me' ? 200 : 403;
  }
}

// ---------------------------------------------------------------- the test

test('authz-matrix: every request type and admin route x every actor', { timeout: 120_000 }, async () => {
  const frameTypes = Object.keys(clientFrameSchemas) as ClientFrameType[];
  const mismatches: string[] = [];
  let cells = 0;

  // A request type of the protocol without its row (or an actor without its cell) is a failure.
  for (const t of frameTypes) {
    if (!Object.hasOwn(FRAME_ROWS, t)) {
      mismatches.push(`request type "${t}" has no row in the matrix`);
      continue;
    }
    for (const a of LIVE) if (typeof FRAME_ROWS[t][a] !== 'function') mismatches.push(`request type "${t}" has no cell for ${a}`);
  }

  const runRow = async (t: ClientFrameType): Promise<void> => {
    for (const a of ACTORS) {
      cells++;
      let cell: Cell | undefined;
      let got: string;
      let expect: string;
      try {
        if ((REFUSED as readonly string[]).includes(a)) {
          const r = REFUSAL[a as Refused];
          expect = `close:${r.close} ${r.code}`;
          got = await runRefused(a as Refused, t);
        } else {
          cell = FRAME_ROWS[t][a as Live]();
          expect = cell.expect;
          const r = await runLive(a as Live, cell);
          got = r.got;
          const problem = got === expect && cell.check && r.reply ? cell.check(r.reply) : null;
          if (problem) got += ` (${problem})`;
        }
      } catch (err) {
        expect ??= '?';
        got = `threw ${(err as Error).message}`;
      }
      if (got !== expect) mismatches.push(`${t} x ${a}: expected ${expect}, got ${got}${cell ? ` for ${JSON.stringify(cell.frame)}` : ''}`);
    }
  };
  for (const t of frameTypes) if (Object.hasOwn(FRAME_ROWS, t) && !ENDS_SESSIONS.has(t)) await runRow(t);

  for (const route of ROUTES) {
    for (const a of ACTORS) {
      cells++;
      const srv = a === 'expired' ? w.expiredSrv : w.srv;
      // Everyone but the admin first: a refused request must change nothing the admin's then relies on.
      if (a === 'admin') continue;
      const r = await api(srv, route.method, route.path, w.tokens[a], route.body);
      const want = httpExpect(a, route);
      if (r.status !== want) mismatches.push(`${route.method} /admin/api/${route.path} x ${a}: expected ${want}, got ${r.status} ${JSON.stringify(r.body)}`);
      else if (want === 403 && a !== 'banned' && r.body.error !== 'forbidden') mismatches.push(`${route.method} /admin/api/${route.path} x ${a}: 403 without "forbidden": ${JSON.stringify(r.body)}`);
    }
    const r = await api(w.srv, route.method, route.path, w.tokens.admin, route.body);
    const problem = r.status === route.admin ? ((await route.check?.()) ?? null) : null;
    if (r.status !== route.admin || problem) mismatches.push(`${route.method} /admin/api/${route.path} x admin: expected ${route.admin}, got ${r.status} ${JSON.stringify(r.body)}${problem ? ` (${problem})` : ''}`);
  }

  // The route list is complete as far as a probe tells: an unknown route is 404 for the admin (403 for others: authorization first).
  const unknown = await api(w.srv, 'GET', 'no-such-route', w.tokens.admin);
  if (unknown.status !== 404) mismatches.push(`GET /admin/api/no-such-route x admin: expected 404, got ${unknown.status}`);
  const unknownOther = await api(w.srv, 'GET', 'no-such-route', w.tokens.member);
  if (unknownOther.status !== 403) mismatches.push(`GET /admin/api/no-such-route x member: expected 403, got ${unknownOther.status}`);
  const anonymous = await api(w.srv, 'GET', 'stats');
  if (anonymous.status !== 401) mismatches.push(`GET /admin/api/stats without a token: expected 401, got ${anonymous.status}`);

  // Refused requests changed nothing: the private room holds only what its members wrote, the only
  // bans are the fixture's, and the audit log names the admin only.
  const h = await w.s.member.c.request<HistoryFrame>({ type: 'history', id: rid(), room: w.priv, limit: 200 });
  const authors = new Set(h.messages.map((m) => m.user));
  if ([...authors].some((u) => u !== 'mem')) mismatches.push(`the private room has messages by ${[...authors].join(', ')}`);
  const bans = (await api(w.srv, 'GET', 'bans', w.tokens.admin)).body.bans as { name?: string; user?: string }[];
  if (bans.length !== 1) mismatches.push(`bans after the matrix: ${JSON.stringify(bans)}`);
  const audit = (await api(w.srv, 'GET', 'audit', w.tokens.admin)).body.entries as { actor: string }[];
  if (audit.some((e) => e.actor !== ADMIN)) mismatches.push(`audit entries by others than the admin: ${JSON.stringify(audit.filter((e) => e.actor !== ADMIN))}`);

  // Last: the rows that end sessions; then every live actor's connection is closed with 4015.
  for (const t of frameTypes) if (Object.hasOwn(FRAME_ROWS, t) && ENDS_SESSIONS.has(t)) await runRow(t);
  for (const a of LIVE) {
    const { code } = await w.s[a].c.waitClose();
    if (code !== 4015) mismatches.push(`signout_all x ${a}: the connection closed with ${code}, not 4015`);
  }

  const types = frameTypes.length + ROUTES.length;
  console.log(`authz-matrix: ${types} request types (${frameTypes.length} frame types, ${ROUTES.length} admin routes) x ${ACTORS.length} actors = ${cells} cells, ${mismatches.length} mismatches`);
  assert.deepEqual(mismatches, [], `${mismatches.length} of ${cells} cells differ`);
});
