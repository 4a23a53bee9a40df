/**
 * The hub against a fake store, bus and connections: the room index (who gets a room's event, the
 * exclusions, one bus subscription per room while it has local connections) and `enter` (a room's live
 * events held while it is entered: the client sees the replay then the live events, no gap, no duplicate).
 * The fake connection holds and releases per the HubConn contract, as the transport's Connection does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMsg } from '../../protocol/encode.js';
import type { ServerEvent, UserRef } from '../../protocol/types.js';
import type { Bus, BusMessage } from '../bus/bus.js';
import { Metrics } from '../metrics.js';
import type { ChatStore, StoredMessage, UserRoom } from '../store/store.js';
import type { HubConn } from './conn.js';
import { Hub, type EnterOptions, type PresenceHooks } from './hub.js';

type Out = { type: string; seq?: number; [k: string]: unknown };

/** Records what the client would receive, in order; holds a room's seq'd events while asked to. */
function fakeConn(id: string, uid: string, presence = false) {
  const out: Out[] = [];
  const buffers: Buffer[] = [];
  const held = new Map<string, { seq: number; data: Buffer }[]>();
  const closed: { code: number; reason: string }[] = [];
  const push = (data: Buffer): void => {
    buffers.push(data);
    out.push(JSON.parse(data.toString()));
  };
  const conn: HubConn = {
    id,
    user: { id: uid, name: uid, nameKey: uid, account: true },
    rooms: new Set(),
    presence,
    backlogged: () => false,
    send: (ev: ServerEvent) => out.push(ev as unknown as Out),
    push,
    deliver(room, data, seq) {
      const h = held.get(room);
      if (h && seq !== undefined) h.push({ seq, data });
      else push(data);
    },
    hold(room) {
      if (!held.has(room)) held.set(room, []);
    },
    release(room, afterSeq) {
      const h = held.get(room);
      if (!h) return;
      held.delete(room);
      for (const e of h) if (e.seq > afterSeq) push(e.data);
    },
    error: (code, message, re) => out.push({ type: 'error', code, message, re }),
    close: (code, reason) => closed.push({ code, reason }),
  };
  return { conn, out, buffers, closed, seqs: (room: string) => out.filter((e) => e.type === 'msg' && e.room === room).map((e) => e.seq) };
}

/** Rooms with members and messages; `duringHistory` runs inside a history read (a commit racing it). */
class FakeStore {
  readonly rooms = new Map<string, { members: Set<string>; messages: StoredMessage[] }>();
  duringHistory?: () => void;
  fail = false;

  room(id: string, members: string[], messages = 0): this {
    this.rooms.set(id, { members: new Set(members), messages: [] });
    for (let i = 0; i < messages; i++) this.commit(id);
    return this;
  }
  /** Stores the room's next message; returns it. */
  commit(room: string): StoredMessage {
    const r = this.rooms.get(room)!;
    const seq = r.messages.length + 1;
    const m: StoredMessage = { room, seq, id: `${room}-${seq}`, uid: 'author', user: 'author', text: `message ${seq}`, ts: 1_700_000_000_000 + seq };
    r.messages.push(m);
    return m;
  }
  async listUserRooms(uid: string): Promise<UserRoom[]> {
    if (this.fail) throw new Error('store down');
    return [...this.rooms]
      .filter(([, r]) => r.members.has(uid))
      .map(([id, r]) => ({ id, kind: 'public', createdBy: null, createdAt: 0, lastSeq: r.messages.length, lastRead: 0, members: r.members.size }));
  }
  async listUserRoomIds(uid: string): Promise<string[]> {
    return (await this.listUserRooms(uid)).map((r) => r.id);
  }
  async history(room: string, q: { after?: number; limit: number }): Promise<StoredMessage[]> {
    const list = this.rooms.get(room)!.messages.filter((m) => m.seq > (q.after ?? 0)).slice(0, q.limit);
    this.duringHistory?.();
    return list;
  }
}

class FakeBus {
  readonly subscribed = new Map<string, number>();
  readonly log: string[] = [];
  /** When set, `ready` waits for it (a Redis subscription not yet acknowledged). */
  gate?: Promise<void>;
  subscribe(topic: string): void {
    this.log.push(`+${topic}`);
    this.subscribed.set(topic, (this.subscribed.get(topic) ?? 0) + 1);
  }
  unsubscribe(topic: string): void {
    this.log.push(`-${topic}`);
    this.subscribed.delete(topic);
  }
  ready(): Promise<void> {
    return this.gate ?? Promise.resolve();
  }
  publish(): void {}
}

function setup(opts: { presence?: PresenceHooks; replayMax?: number } = {}) {
  const store = new FakeStore();
  const bus = new FakeBus();
  const hub = new Hub({
    store: store as unknown as ChatStore,
    bus: bus as unknown as Bus,
    metrics: new Metrics(false),
    replayMax: opts.replayMax ?? 1000,
    presence: opts.presence,
  });
  /** What the bus handler receives for a stored message (the live event). */
  const live = (m: StoredMessage): void => hub.deliver(`room:${m.room}`, { json: encodeMsg(m), seq: m.seq });
  return { store, bus, hub, live };
}

const SIGN_IN: EnterOptions = { resumeEvents: 'always', keepOnFailure: false };
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('hub: a room event reaches exactly the room\'s connections, one shared buffer for all of them', async () => {
  const { store, hub } = setup();
  store.room('r', ['u1', 'u2']).room('s', ['u1', 'u3']);
  const a = fakeConn('n1-1', 'u1');
  const b = fakeConn('n1-2', 'u2');
  const c = fakeConn('n1-3', 'u3');
  for (const x of [a, b, c]) await hub.enter(x.conn, 'all', SIGN_IN);
  hub.deliver('room:r', { json: encodeMsg(store.commit('r')), seq: 1 });
  assert.deepEqual([a.seqs('r'), b.seqs('r'), c.seqs('r')], [[1], [1], []]);
  assert.equal(a.buffers.at(-1), b.buffers.at(-1), 'serialized once: the same bytes for every recipient');
  hub.deliver('room:nobody-here', { json: '{"type":"typing"}' });
  assert.equal(a.out.length + b.out.length + c.out.length, 2);
});

test('hub: excludeConn, excludeUid and presence-only events skip the right connections', async () => {
  const { store, hub } = setup();
  store.room('r', ['u1', 'u2']);
  const a = fakeConn('n1-1', 'u1', true);
  const a2 = fakeConn('n1-2', 'u1', false); // the same user in a second tab, no presence
  const b = fakeConn('n1-3', 'u2', false);
  for (const x of [a, a2, b]) await hub.enter(x.conn, 'all', SIGN_IN);
  const got = () => [a, a2, b].map((x) => x.out.length);
  hub.deliver('room:r', { json: '{"type":"typing","room":"r"}', excludeConn: 'n1-1' });
  assert.deepEqual(got(), [0, 1, 1]);
  hub.deliver('room:r', { json: '{"type":"typing","room":"r"}', excludeUid: 'u1' });
  assert.deepEqual(got(), [0, 1, 2], 'no echo to any connection of the typist');
  hub.deliver('room:r', { json: '{"type":"presence","room":"r"}', presence: true });
  assert.deepEqual(got(), [1, 1, 2], 'presence only to connections that asked for it');
});

test('hub: one bus subscription per room and user while it has local connections', async () => {
  const { store, bus, hub } = setup();
  store.room('r', ['u1', 'u2']);
  const a = fakeConn('n1-1', 'u1');
  const a2 = fakeConn('n1-2', 'u1');
  const b = fakeConn('n1-3', 'u2');
  for (const x of [a, a2, b]) await hub.enter(x.conn, 'all', SIGN_IN);
  assert.deepEqual(bus.log.filter((t) => t.startsWith('+')).sort(), ['+room:r', '+user:u1', '+user:u2'], 'subscribed once each');
  hub.removeFromRoom(a.conn, 'r');
  hub.removeFromRoom(a.conn, 'r'); // twice: no effect
  hub.removeFromRoom(b.conn, 'r');
  assert.ok(bus.subscribed.has('room:r'), 'a2 is still in the room');
  hub.deliver('room:r', { json: encodeMsg(store.commit('r')), seq: 1 });
  assert.deepEqual([a.seqs('r'), a2.seqs('r'), b.seqs('r')], [[], [1], []]);
  hub.detach(a2.conn);
  assert.ok(!bus.subscribed.has('room:r'));
  assert.ok(bus.subscribed.has('user:u1'), 'u1 still has a connection');
  hub.detach(a.conn);
  hub.detach(b.conn);
  assert.equal(bus.subscribed.size, 0);
  assert.equal(bus.log.filter((t) => t === '-room:r').length, 1, 'unsubscribed once');
});

test('hub: user events reach every connection of the user; close and room_removed act on each', async () => {
  const { store, hub } = setup();
  store.room('r', ['u1']);
  const a = fakeConn('n1-1', 'u1');
  const a2 = fakeConn('n1-2', 'u1');
  for (const x of [a, a2]) await hub.enter(x.conn, 'all', SIGN_IN);
  hub.deliver('user:u1', { json: '{"type":"room_removed","room":"r"}', control: { kind: 'room_removed', room: 'r' } });
  assert.deepEqual([a.out.at(-1)?.type, a2.out.at(-1)?.type], ['room_removed', 'room_removed']);
  assert.deepEqual([a.conn.rooms.size, a2.conn.rooms.size], [0, 0]);
  hub.deliver('room:r', { json: encodeMsg(store.commit('r')), seq: 1 });
  assert.deepEqual([a.seqs('r'), a2.seqs('r')], [[], []], 'out of the room: no more of its events');
  hub.deliver('user:u1', { json: '{"type":"error","code":"kicked"}', control: { kind: 'close', code: 4003, reason: 'kicked' } });
  assert.deepEqual([a.closed, a2.closed], [[{ code: 4003, reason: 'kicked' }], [{ code: 4003, reason: 'kicked' }]]);
  assert.equal(a.out.at(-1)?.type, 'error', 'the explanation is queued before the close');
});

test('hub: presence hooks fire for a user\'s first connection on the node and after its last', async () => {
  const seen: string[] = [];
  const { store, hub } = setup({ presence: { online: (u: UserRef, rooms) => seen.push(`on ${u.id} ${rooms.join(',')}`), offline: (u: UserRef, rooms) => seen.push(`off ${u.id} ${rooms.join(',')}`) } });
  store.room('r', ['u1']);
  const a = fakeConn('n1-1', 'u1');
  const a2 = fakeConn('n1-2', 'u1');
  await hub.enter(a.conn, 'all', SIGN_IN);
  await hub.enter(a2.conn, 'all', SIGN_IN);
  hub.detach(a.conn);
  assert.deepEqual(seen, ['on u1 r']);
  hub.detach(a2.conn);
  assert.deepEqual(seen, ['on u1 r', 'off u1 r']);
});

test('hub.enter: live events arriving while the room is entered wait for the replay; no gap, no duplicate', async () => {
  const { store, bus, hub, live } = setup();
  store.room('r', ['u1'], 4);
  const a = fakeConn('n1-1', 'u1');
  let open!: () => void;
  bus.gate = new Promise((resolve) => (open = resolve));
  const entering = hub.enter(a.conn, 'all', { ...SIGN_IN, resume: new Map([['r', 2]]), announce: () => a.out.push({ type: 'welcome' }) });
  await tick();
  live(store.commit('r')); // 5: committed after the connection was registered, before the subscription is confirmed
  store.duringHistory = () => {
    store.duringHistory = undefined;
    live(store.commit('r')); // 6: committed while the history is read (not in what the read returns)
  };
  open();
  await entering;
  live(store.commit('r')); // 7: after entering
  assert.deepEqual(
    a.out.map((e) => (e.type === 'msg' ? e.seq : e.type)),
    ['welcome', 3, 4, 5, 'resume', 6, 7],
    'the reply, what was missed, then the live events after it: each seq once, in order',
  );
  assert.deepEqual(a.out.find((e) => e.type === 'resume'), { type: 'resume', room: 'r', fromSeq: 2, toSeq: 5, complete: true });
});

test('hub.enter: a live event that the replay also contains is delivered once', async () => {
  const { store, bus, hub, live } = setup();
  store.room('r', ['u1'], 3);
  const a = fakeConn('n1-1', 'u1');
  let open!: () => void;
  bus.gate = new Promise((resolve) => (open = resolve));
  const entering = hub.enter(a.conn, ['r'], { resumeEvents: 'when-cut', keepOnFailure: false, from: 1 });
  await tick();
  live(store.commit('r')); // 4, held; the history read returns it too
  open();
  await entering;
  assert.deepEqual(a.seqs('r'), [2, 3, 4]);
  assert.equal(a.out.length, 3, 'no resume event for a complete catch-up');
});

test('hub.enter: a fresh sign-in gets the live events committed after its room list, none before', async () => {
  const { store, bus, hub, live } = setup();
  store.room('r', ['u1'], 2);
  const a = fakeConn('n1-1', 'u1');
  let open!: () => void;
  bus.gate = new Promise((resolve) => (open = resolve));
  const entering = hub.enter(a.conn, 'all', SIGN_IN);
  await tick();
  live(store.commit('r')); // 3, before the rooms are read: the room list's lastSeq includes it
  open();
  await entering;
  live(store.commit('r')); // 4
  assert.deepEqual(a.seqs('r'), [4]);
});

test('hub.enter: the replay is bounded by replayMax and then says it is incomplete', async () => {
  const { store, hub } = setup({ replayMax: 3 });
  store.room('r', ['u1'], 10);
  const a = fakeConn('n1-1', 'u1');
  await hub.enter(a.conn, 'all', { ...SIGN_IN, resume: new Map([['r', 0]]) });
  assert.deepEqual(a.seqs('r'), [1, 2, 3]);
  assert.deepEqual(a.out.at(-1), { type: 'resume', room: 'r', fromSeq: 0, toSeq: 3, complete: false });
});

test('hub.enter: a room the user is not in is left out and unregistered; a failed enter unregisters', async () => {
  const { store, bus, hub } = setup();
  store.room('r', ['u1']).room('secret', ['u2']);
  const a = fakeConn('n1-1', 'u1');
  const entered = await hub.enter(a.conn, ['r', 'secret'], { resumeEvents: 'when-cut', keepOnFailure: false });
  assert.deepEqual(entered.map((r) => r.id), ['r']);
  assert.deepEqual([...a.conn.rooms], ['r']);
  assert.ok(!bus.subscribed.has('room:secret'));
  hub.deliver('room:secret', { json: encodeMsg(store.commit('secret')), seq: 1 });
  assert.deepEqual(a.seqs('secret'), []);
  store.room('other', ['u1']);
  store.fail = true;
  await assert.rejects(hub.enter(a.conn, ['other'], { resumeEvents: 'when-cut', keepOnFailure: false }));
  assert.ok(!a.conn.rooms.has('other'));
  assert.ok(!bus.subscribed.has('room:other'));
});
