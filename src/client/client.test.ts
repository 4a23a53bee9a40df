/**
 * ChatClient protocol handling against a minimal in-memory fake WebSocket (the real-server
 * integration tests live elsewhere). The test plays the server: it opens the socket, reads what
 * the client sent, pushes frames and closes with chosen codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type WsPackage from 'ws';
import type { MsgEvent, RoomInfo, WelcomeFrame } from '../protocol/index.js';
import { ChatClient, ChatError, type ChatClientOptions, type StateChange, type WebSocketConstructor, type WebSocketLike } from './index.js';

// Compile-time: the browser WebSocket and the `ws` package both fit the injected constructor type.
export const domFits: WebSocketConstructor | undefined = undefined as unknown as typeof WebSocket;
export const wsFits: WebSocketConstructor | undefined = undefined as unknown as typeof WsPackage;

type Frame = Record<string, any>;

function fakeNet() {
  const sockets: FakeSocket[] = [];
  class FakeSocket implements WebSocketLike {
    readyState = 0;
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    readonly sent: Frame[] = [];
    closedWith: { code?: number; reason?: string } | undefined;
    constructor(readonly url: string) {
      sockets.push(this);
    }
    send(data: string): void {
      if (this.readyState !== 1) throw new Error('not open');
      this.sent.push(JSON.parse(data));
    }
    close(code?: number, reason?: string): void {
      if (this.readyState >= 2) return;
      this.readyState = 3;
      this.closedWith = { code, reason };
      queueMicrotask(() => this.onclose?.({ code: code ?? 1005, reason: reason ?? '' }));
    }
    // ---- server side ----
    open(): void {
      this.readyState = 1;
      this.onopen?.({});
    }
    push(...frames: Frame[]): void {
      for (const f of frames) this.onmessage?.({ data: JSON.stringify(f) });
    }
    drop(code: number, reason = ''): void {
      this.readyState = 3;
      this.onclose?.({ code, reason });
    }
    of(type: string): Frame[] {
      return this.sent.filter((f) => f.type === type);
    }
  }
  return { WS: FakeSocket, sockets };
}
type Net = ReturnType<typeof fakeNet>;
type Sock = Net['sockets'][number];

async function waitFor<T>(f: () => T | undefined | false, what = 'condition', ms = 1000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const room = (id: string, lastSeq = 0): RoomInfo => ({ id, kind: id === 'general' ? 'global' : 'public', lastSeq, lastRead: 0, members: 2 });
const msg = (r: string, seq: number): MsgEvent => ({ type: 'msg', room: r, seq, id: `m${seq}`, uid: 'u2', user: 'bob', text: `t${seq}`, ts: seq });
function welcome(rooms: RoomInfo[], extra: Partial<WelcomeFrame> = {}): WelcomeFrame {
  return {
    type: 'welcome', v: 1, user: { id: 'u1', name: 'ann', account: false }, token: 'tok-1', tokenExpiresAt: 0, rooms,
    heartbeatMs: 30_000, serverTime: 0,
    limits: { maxFrameBytes: 65536, maxTextLength: 2000, historyPageMax: 2, replayMax: 100, ratePerSec: 10, rateBurst: 20 },
    ...extra,
  };
}

function setup(t: { after(fn: () => void): void }, extra: Partial<ChatClientOptions> = {}) {
  const net = fakeNet();
  let n = 0;
  const client = new ChatClient({
    url: 'ws://test/ws', WebSocket: net.WS, auth: { kind: 'guest', name: 'ann' },
    backoff: { baseMs: 2, maxMs: 5 }, random: () => 0.5, newId: () => `id${++n}`, ...extra,
  });
  const states: StateChange[] = [];
  const messages: MsgEvent[] = [];
  client.on('state', (s) => states.push(s));
  client.on('message', (m) => messages.push(m));
  t.after(() => client.close());
  const sock = (i: number) => waitFor(() => net.sockets[i], `socket #${i}`);
  /** Opens socket #i, checks hello was sent, answers with `w`. */
  async function handshake(i: number, w: WelcomeFrame): Promise<Sock> {
    const s = await sock(i);
    s.open();
    assert.equal(s.sent[0]?.type, 'hello');
    s.push(w);
    return s;
  }
  return { net, client, states, messages, sock, handshake, seqs: () => messages.map((m) => `${m.room}:${m.seq}`) };
}

test('client: handshake sends hello and opens on welcome', async (t) => {
  const { client, states, handshake } = setup(t, { resume: { general: 3 } });
  assert.equal(client.state, 'idle');
  const p = client.connect();
  assert.equal(client.connect(), p, 'connect() is idempotent');
  const s = await handshake(0, welcome([room('general', 5), room('dev', 9)]));
  assert.deepEqual(s.sent[0], { type: 'hello', v: 1, auth: { kind: 'guest', name: 'ann' }, presence: true, resume: { general: 3 } });
  const w = await p;
  assert.equal(w.token, 'tok-1');
  assert.equal(client.state, 'open');
  assert.equal(client.user?.name, 'ann');
  assert.equal(client.lastSeq('general'), 3, 'resumed room starts at the resume position');
  assert.equal(client.lastSeq('dev'), 9, 'other rooms start at their lastSeq');
  assert.deepEqual([...client.rooms.keys()], ['general', 'dev']);
  assert.deepEqual(states.map((c) => c.to), ['connecting', 'open']);
  assert.deepEqual(client.session(), { token: 'tok-1', resume: { general: 3, dev: 9 } });
});

test('client: send before open is queued, then acked; errors with re reject with ChatError', async (t) => {
  const { client, handshake } = setup(t);
  void client.connect();
  const sent = client.send('general', 'hi');
  const joined = client.join('nope');
  const s = await handshake(0, welcome([room('general')]));
  assert.deepEqual(s.sent.slice(1), [
    { type: 'send', id: 'id1', room: 'general', text: 'hi' },
    { type: 'join', id: 'id2', room: 'nope' },
  ]);
  s.push({ type: 'ack', id: 'id1', room: 'general', seq: 1, ts: 7 }, { type: 'error', code: 'no_such_room', message: 'no', re: 'id2' });
  assert.deepEqual(await sent, { type: 'ack', id: 'id1', room: 'general', seq: 1, ts: 7 });
  await assert.rejects(joined, (e: unknown) => e instanceof ChatError && e.code === 'no_such_room');
});

test('client: unacked send is resent with the same id after a reconnect (1012), with token auth and resume', async (t) => {
  const { client, handshake, states, messages } = setup(t);
  void client.connect();
  const s0 = await handshake(0, welcome([room('general', 4), room('dev', 0)]));
  s0.push(msg('general', 5), msg('general', 6));
  const p = client.send('dev', 'hello', { id: 'mine-1' });
  const created = client.create('newroom', 'public');
  assert.equal(s0.of('send')[0].id, 'mine-1');
  s0.drop(1012, 'draining');
  assert.equal(client.state, 'reconnecting');
  await assert.rejects(created, (e: unknown) => e instanceof ChatError && e.code === 'disconnected');
  const s1 = await handshake(1, welcome([room('general', 6), room('dev', 1)], { token: 'tok-2' }));
  assert.deepEqual(s1.sent[0].auth, { kind: 'token', token: 'tok-1' });
  assert.deepEqual(s1.sent[0].resume, { general: 6, dev: 0 });
  assert.deepEqual(s1.of('send'), [{ type: 'send', id: 'mine-1', room: 'dev', text: 'hello' }]);
  s1.push(msg('dev', 1), { type: 'resume', room: 'dev', fromSeq: 1, toSeq: 1, complete: true }, { type: 'ack', id: 'mine-1', room: 'dev', seq: 1, ts: 1 });
  assert.equal((await p).seq, 1);
  assert.deepEqual(states.map((c) => c.to), ['connecting', 'open', 'reconnecting', 'open']);
  assert.equal(states[2].reason, 'draining (1012)');
  assert.deepEqual(messages.map((m) => `${m.room}:${m.seq}`), ['general:5', 'general:6', 'dev:1']);
  assert.equal(client.token, 'tok-2');
});

test('client: rate_limited send is retried after retryAfterMs with the same id', async (t) => {
  const { client, handshake } = setup(t);
  void client.connect();
  const s = await handshake(0, welcome([room('general')]));
  const p = client.send('general', 'x');
  s.push({ type: 'error', code: 'rate_limited', message: 'slow down', re: 'id1', retryAfterMs: 5 });
  assert.equal(s.of('send').length, 1);
  await waitFor(() => s.of('send').length === 2, 'resend');
  assert.equal(s.of('send')[1].id, 'id1');
  s.push({ type: 'ack', id: 'id1', room: 'general', seq: 1, ts: 1 });
  assert.equal((await p).id, 'id1');
});

test('client: ack and request timeouts reject with code timeout', async (t) => {
  const { client, handshake } = setup(t, { ackTimeoutMs: 20, requestTimeoutMs: 10 });
  void client.connect();
  await handshake(0, welcome([room('general')]));
  await assert.rejects(client.send('general', 'x'), (e: unknown) => e instanceof ChatError && e.code === 'timeout');
  await assert.rejects(client.members('general'), (e: unknown) => e instanceof ChatError && e.code === 'timeout');
});

test('client: drops duplicate msgs (seq <= last) and delivers a batch in order', async (t) => {
  const { client, handshake, seqs } = setup(t);
  void client.connect();
  const s = await handshake(0, welcome([room('general', 4)]));
  s.push(msg('general', 4), msg('general', 5), msg('general', 5));
  s.push({ type: 'batch', events: [msg('general', 6), msg('general', 5), msg('general', 7)] });
  s.push(msg('elsewhere', 1));
  assert.deepEqual(seqs(), ['general:5', 'general:6', 'general:7']);
  assert.equal(client.lastSeq('general'), 7);
  assert.equal(client.rooms.get('general')?.lastSeq, 7);
  assert.equal(s.of('history').length, 0);
});

test('client: a seq gap is filled from history, live msgs buffered, delivered in order once', async (t) => {
  const { client, handshake, seqs } = setup(t);
  const gaps: unknown[] = [];
  client.on('gap', (g) => gaps.push(g));
  void client.connect();
  const s = await handshake(0, welcome([room('general', 4)]));
  s.push(msg('general', 8));
  assert.deepEqual(gaps, [{ room: 'general', after: 4, seq: 8, reason: 'live' }]);
  const h1 = await waitFor(() => s.of('history')[0], 'history #1');
  assert.deepEqual(h1, { type: 'history', id: h1.id, room: 'general', after: 4, limit: 2 });
  s.push(msg('general', 9), msg('general', 6)); // live while filling: buffered
  s.push({ type: 'history', re: h1.id, room: 'general', messages: [msg('general', 5), msg('general', 6)], hasMore: true });
  const h2 = await waitFor(() => s.of('history')[1], 'history #2');
  assert.equal(h2.after, 6);
  assert.deepEqual(seqs(), ['general:5', 'general:6']);
  s.push({ type: 'history', re: h2.id, room: 'general', messages: [msg('general', 7), msg('general', 8)], hasMore: false });
  await waitFor(() => seqs().length === 5, '5 messages');
  s.push(msg('general', 9), msg('general', 10));
  assert.deepEqual(seqs(), ['general:5', 'general:6', 'general:7', 'general:8', 'general:9', 'general:10']);
  assert.equal(client.lastSeq('general'), 10);
});

test('client: incomplete resume triggers a history fill after toSeq', async (t) => {
  const { client, handshake, seqs } = setup(t, { resume: { general: 2 } });
  void client.connect();
  const s = await handshake(0, welcome([room('general', 6)]));
  s.push(msg('general', 3), msg('general', 4), { type: 'resume', room: 'general', fromSeq: 3, toSeq: 4, complete: false });
  const h = await waitFor(() => s.of('history')[0], 'history');
  assert.equal(h.after, 4);
  s.push({ type: 'history', re: h.id, room: 'general', messages: [msg('general', 5), msg('general', 6)], hasMore: false });
  await waitFor(() => seqs().length === 4, '4 messages');
  assert.deepEqual(seqs(), ['general:3', 'general:4', 'general:5', 'general:6']);
});

test('client: joined/room_added/left update rooms; msgs of a joined room flow after its lastSeq', async (t) => {
  const { client, handshake, seqs } = setup(t);
  const added: string[] = [];
  const removed: string[] = [];
  client.on('roomAdded', (r) => added.push(r.id));
  client.on('roomRemoved', (r) => removed.push(r.room));
  void client.connect();
  const s = await handshake(0, welcome([room('general')]));
  const p = client.join('dev');
  const id = s.of('join')[0].id;
  s.push({ type: 'batch', events: [{ type: 'joined', re: id, room: room('dev', 10) }, msg('dev', 11)] });
  assert.equal((await p).id, 'dev');
  s.push({ type: 'room_added', room: room('dm:u1:u2', 0) }, msg('dm:u1:u2', 1), { type: 'room_removed', room: 'dev' }, msg('dev', 12));
  assert.deepEqual(added, ['dev', 'dm:u1:u2']);
  assert.deepEqual(removed, ['dev']);
  assert.deepEqual(seqs(), ['dev:11', 'dm:u1:u2:1']);
  assert.deepEqual([...client.rooms.keys()], ['general', 'dm:u1:u2']);
});

test('client: terminal close (4003) after a handshake error => closed, connect rejects, no reconnect', async (t) => {
  const { client, net, states, sock } = setup(t, { auth: { kind: 'login', name: 'ann', password: 'wrong-pass' } });
  const p = client.connect();
  const s = await sock(0);
  s.open();
  s.push({ type: 'error', code: 'auth_failed', message: 'wrong name or password' });
  s.drop(4003, 'auth failed');
  await assert.rejects(p, (e: unknown) => e instanceof ChatError && e.code === 'auth_failed' && e.closeCode === 4003);
  assert.equal(client.state, 'closed');
  assert.equal(client.closeError?.code, 'auth_failed');
  assert.deepEqual(states.map((c) => c.to), ['connecting', 'closed']);
  assert.equal(states[1].error?.closeCode, 4003);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(net.sockets.length, 1, 'no reconnect');
  await assert.rejects(client.send('general', 'x'), (e: unknown) => e instanceof ChatError && e.code === 'auth_failed');
});

test('client: transient failures before the first welcome keep retrying; close() ends everything', async (t) => {
  const { client, net, states, sock, handshake } = setup(t);
  const p = client.connect();
  (await sock(0)).drop(1006);
  (await sock(1)).drop(4501);
  await handshake(2, welcome([room('general')]));
  await p;
  assert.deepEqual(states.map((c) => c.to), ['connecting', 'reconnecting', 'open']);
  const pending = client.history('general', { before: 10 });
  assert.equal(net.sockets[2].of('history')[0].before, 10);
  client.close();
  await assert.rejects(pending, (e: unknown) => e instanceof ChatError && e.code === 'closed');
  assert.equal(client.state, 'closed');
  assert.equal(client.closeError, undefined);
  assert.equal(net.sockets[2].closedWith?.code, 1000);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(net.sockets.length, 3);
});

test('client: watchdog closes a silent connection and reconnects; pings are answered', async (t) => {
  const { client, net, states, handshake } = setup(t, { watchdogGraceMs: 10 });
  void client.connect();
  const s0 = await handshake(0, welcome([room('general', 2)], { heartbeatMs: 10 }));
  s0.push({ type: 'ping', ts: 1 });
  assert.deepEqual(s0.of('pong'), [{ type: 'pong' }]);
  const s1 = await handshake(1, welcome([room('general', 2)], { heartbeatMs: 10 }));
  assert.equal(s0.closedWith?.code, 4502);
  assert.equal(states[2].reason, 'watchdog (4502)');
  assert.deepEqual(s1.sent[0].resume, { general: 2 });
  assert.equal(client.state, 'open');
  assert.ok(net.sockets.length >= 2);
});

test('client: a connection silent while a send waits is probed with a ping, then dropped and the send resent', async (t) => {
  const { client, net, states, handshake } = setup(t, { replyProbeMs: 30 });
  void client.connect();
  const s0 = await handshake(0, welcome([room('general', 2)]));
  const sent = client.send('general', 'hello?');
  await new Promise((r) => setTimeout(r, 45));
  assert.equal(s0.of('ping').length, 1, 'the probe ping after 30 ms of silence');
  const s1 = await handshake(1, welcome([room('general', 2)]));
  assert.equal(s0.closedWith?.code, 4502);
  assert.equal(states[2].reason, 'watchdog (no reply) (4502)');
  const resent = s1.of('send');
  assert.equal(resent.length, 1, 'the unacked send goes out again on the new connection');
  assert.equal(resent[0].id, s0.of('send')[0].id, 'with the same id');
  s1.push({ type: 'ack', id: resent[0].id, room: 'general', seq: 3, ts: 1 });
  assert.equal((await sent).seq, 3);
});

test('client: any frame from the server ends the reply probe (a slow ack on a live link is not a dead link)', async (t) => {
  const { client, net, handshake } = setup(t, { replyProbeMs: 150 });
  void client.connect();
  const s0 = await handshake(0, welcome([room('general', 2)]));
  const sent = client.send('general', 'slow');
  // 360 ms of waiting for the ack, more than the 2 x 150 ms that drop a silent connection, with a frame every 30 ms.
  for (let i = 0; i < 12; i++) {
    await new Promise((r) => setTimeout(r, 30));
    s0.push({ type: 'typing', room: 'general', uid: 'u1', user: 'bob' });
  }
  s0.push({ type: 'ack', id: s0.of('send')[0].id, room: 'general', seq: 3, ts: 1 });
  assert.equal((await sent).seq, 3);
  assert.equal(net.sockets.length, 1, 'never dropped');
  assert.equal(client.state, 'open');
});

test('client: ping measures rtt; markRead is sent or queued until open', async (t) => {
  let clock = 100;
  const { client, handshake } = setup(t, { now: () => clock });
  client.markRead('general', 3);
  void client.connect();
  const s = await handshake(0, welcome([room('general', 5)]));
  assert.deepEqual(s.of('read'), [{ type: 'read', room: 'general', seq: 3 }]);
  const p = client.ping();
  clock = 142;
  s.push({ type: 'pong', re: s.of('ping')[0].id, ts: 0 });
  assert.equal(await p, 42);
  client.markRead('general', 5);
  assert.equal(client.rooms.get('general')?.lastRead, 5);
  assert.equal(s.of('read').length, 2);
});

test('client: compiled SDK is browser-safe (no node: imports, process, Buffer, require)', () => {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.js') && !f.endsWith('.test.js'));
  assert.ok(files.includes('client.js'));
  for (const f of files) {
    const src = readFileSync(dir + f, 'utf8');
    assert.doesNotMatch(src, /from ['"]node:|require\(|\bprocess\.|\bBuffer\b/, f);
  }
});

test('client: every scheduled reconnect is announced (attempt, delay, time) and starts on time', async (t) => {
  // Full jitter with random() = 0.5: attempt k waits 0.5 * min(maxMs, baseMs * 2^k).
  const { net, client, handshake, sock } = setup(t, { backoff: { baseMs: 40, maxMs: 100 } });
  const retries: { attempt: number; delayMs: number; at: number; seen: number }[] = [];
  client.on('retry', (r) => retries.push({ ...r, seen: Date.now() }));
  void client.connect();
  await handshake(0, welcome([room('general')]));
  assert.equal(client.reconnectAt, null, 'nothing scheduled while open');

  net.sockets[0]!.drop(1012, 'restart');
  assert.equal(retries.length, 1);
  assert.deepEqual([retries[0]!.attempt, retries[0]!.delayMs], [0, 20]);
  assert.equal(client.reconnectAt, retries[0]!.at);
  assert.ok(Math.abs(retries[0]!.at - (retries[0]!.seen + 20)) <= 2, 'at = now + delay');
  const s1 = await sock(1);
  assert.ok(Date.now() >= retries[0]!.at - 1, 'the attempt does not start before the announced time');
  assert.equal(client.reconnectAt, null, 'the attempt started');

  s1.drop(1006); // the attempt fails before a welcome: the next one waits longer
  assert.deepEqual([retries[1]!.attempt, retries[1]!.delayMs], [1, 40]);
  await handshake(2, welcome([room('general')]));
  assert.equal(client.state, 'open');

  net.sockets[2]!.drop(1012); // after a welcome the attempts count from 0 again
  assert.deepEqual([retries[2]!.attempt, retries[2]!.delayMs], [0, 20]);
  client.close();
  assert.equal(client.reconnectAt, null, 'close() cancels the scheduled attempt');
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(net.sockets.length, 3, 'and it never starts');
});

test('client: a handshake timeout (4503, after its error frame) is retried, not the end', async (t) => {
  const { net, client, states, sock, handshake } = setup(t);
  const connected = client.connect();
  const s0 = await sock(0);
  s0.open();
  s0.push({ type: 'error', code: 'handshake_timeout', message: 'no hello in time' });
  s0.drop(4503, 'handshake_timeout');
  assert.equal(client.state, 'reconnecting');
  await handshake(1, welcome([room('general')]));
  await connected;
  assert.equal(client.state, 'open');
  assert.deepEqual(states.map((c) => c.to), ['connecting', 'reconnecting', 'open']);
  assert.equal(net.sockets.length, 2);
});

test('client: rooms named like Object.prototype members ("constructor", "tostring", "__proto__") resume and deliver', async (t) => {
  // A resume record as parsed from storage: JSON.parse keeps "__proto__" as an own key; a bad seq is dropped.
  const saved = JSON.parse('{"__proto__": 2, "constructor": 1, "general": 0, "valueof": -1}') as Record<string, number>;
  const { client, handshake, seqs } = setup(t, { resume: saved });
  assert.equal(client.lastSeq('toString'), undefined, 'not Object.prototype.toString');
  assert.equal(client.lastSeq('hasOwnProperty'), undefined);
  assert.equal(client.lastSeq('__proto__'), 2);
  void client.connect();
  const rooms = [room('general', 0), room('constructor', 3), room('__proto__', 2), room('tostring', 4), room('hasownproperty', 1)];
  const s = await handshake(0, welcome(rooms));
  const hello = s.sent[0];
  assert.ok(Object.hasOwn(hello.resume, '__proto__'), 'the __proto__ position is sent as data');
  assert.deepEqual(Object.entries(hello.resume).sort(), [['__proto__', 2], ['constructor', 1], ['general', 0]]);
  // Rooms without a resume position start at their lastSeq, never at Object.prototype's "position".
  assert.equal(client.lastSeq('constructor'), 1);
  assert.equal(client.lastSeq('tostring'), 4);
  assert.equal(client.lastSeq('hasownproperty'), 1);
  s.push(msg('tostring', 5), msg('hasownproperty', 2), msg('__proto__', 3));
  // constructor resumed from 1: the server replays 2 and 3.
  s.push(msg('constructor', 2), msg('constructor', 3), { type: 'resume', room: 'constructor', fromSeq: 1, toSeq: 3, complete: true });
  await waitFor(() => seqs().length === 5, 'five messages');
  assert.deepEqual(seqs(), ['tostring:5', 'hasownproperty:2', '__proto__:3', 'constructor:2', 'constructor:3']);
  const snap = client.session().resume;
  assert.ok(Object.hasOwn(snap, '__proto__') && Object.hasOwn(snap, 'constructor'));
  assert.deepEqual(JSON.parse(JSON.stringify(snap)), JSON.parse('{"general":0,"constructor":3,"__proto__":3,"tostring":5,"hasownproperty":2}'));
  assert.equal(Object.getPrototypeOf(snap), Object.prototype, 'the prototype was not replaced by a "__proto__" room');
});

test('client: a room named "constructor" without a resume position starts at its lastSeq', async (t) => {
  const { client, handshake, seqs } = setup(t);
  void client.connect();
  const s = await handshake(0, welcome([room('general', 0), room('constructor', 3)]));
  assert.equal(client.lastSeq('constructor'), 3);
  s.push(msg('constructor', 4));
  await waitFor(() => seqs().length === 1, 'the live message');
  assert.deepEqual(seqs(), ['constructor:4']);
  assert.equal(s.of('history').length, 0, 'no gap fill from a NaN position');
});
