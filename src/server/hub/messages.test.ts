/**
 * The message pipeline with a fake store and bus: group commit (one append per turn), acks only once
 * the append resolved, publication in seq order with one commit in flight, and what a sender gets when
 * the store fails, an id is reused, or the queue is full.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerEvent } from '../../protocol/types.js';
import type { Bus, BusMessage } from '../bus/bus.js';
import { createLogger } from '../logger.js';
import { Metrics } from '../metrics.js';
import type { AppendResult, NewMessage, Store } from '../store/store.js';
import type { HubConn } from './conn.js';
import { MessagePipeline } from './messages.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await turn();
};

/** A store whose appends the test resolves or rejects, one by one; seqs per room from 1. */
class FakeStore {
  readonly appends: { batch: NewMessage[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Auto-resolve appends (off: the test calls resolve()). */
  auto = true;
  /** (uid, id) -> the stored room/text, for duplicates and conflicts. */
  private readonly byId = new Map<string, { seq: number; room: string; text: string }>();
  private readonly seqs = new Map<string, number>();

  append(batch: NewMessage[]): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => {
      const run = () => {
        resolve(
          batch.map((m) => {
            const key = `${m.uid}/${m.id}`;
            const prev = this.byId.get(key);
            if (prev) {
              const message = { ...m, room: prev.room, seq: prev.seq };
              return { message, duplicate: true, conflict: prev.room !== m.room || prev.text !== m.text };
            }
            const seq = (this.seqs.get(m.room) ?? 0) + 1;
            this.seqs.set(m.room, seq);
            this.byId.set(key, { seq, room: m.room, text: m.text });
            return { message: { ...m, seq }, duplicate: false, conflict: false };
          }),
        );
      };
      this.appends.push({ batch, resolve: run, reject });
      if (this.auto) run();
    });
  }
}

class FakeBus {
  readonly published: { topic: string; msg: BusMessage }[] = [];
  publish(topic: string, msg: BusMessage): void {
    this.published.push({ topic, msg });
  }
  /** The published `msg` events, parsed. */
  msgs(): { room: string; seq: number; id: string; text: string }[] {
    return this.published.map((p) => JSON.parse(p.msg.json));
  }
}

/** A connection that records what it is sent. */
function fakeConn(id: string) {
  const got: { kind: 'send'; ev: ServerEvent }[] = [];
  const errors: { code: string; re?: string }[] = [];
  const conn = {
    id,
    user: { id: `u-${id}`, name: id, nameKey: id, account: true },
    rooms: new Set<string>(),
    presence: false,
    send: (ev: ServerEvent) => got.push({ kind: 'send', ev }),
    error: (code: string, _message: string, re?: string) => errors.push({ code, re }),
  } as unknown as HubConn;
  const acks = () => got.filter((g) => g.ev.type === 'ack').map((g) => (g.ev as { id: string }).id);
  return { conn, acks, errors };
}

function setup(opts: { maxPending?: number; maxBatch?: number } = {}) {
  const store = new FakeStore();
  const bus = new FakeBus();
  const scheduler = { afterFlush: (fn: () => void) => setImmediate(fn) };
  const pipeline = new MessagePipeline(
    store as unknown as Store,
    bus as unknown as Bus,
    new Metrics(false),
    createLogger('silent'),
    scheduler,
    undefined,
    opts.maxPending,
    opts.maxBatch,
  );
  return { store, bus, pipeline };
}

let n = 0;
const msg = (room: string, uid: string, text = `t${++n}`, id = `id-${++n}`): NewMessage => ({ room, id, uid, user: uid, text, ts: 1_700_000_000_000 });

test('pipeline: many sends in one turn are one append (group commit), each acked, published in order', async () => {
  const { store, bus, pipeline } = setup();
  const a = fakeConn('a');
  const b = fakeConn('b');
  const sent: NewMessage[] = [];
  for (let i = 0; i < 100; i++) {
    const m = msg('r', i % 2 ? 'u-a' : 'u-b');
    sent.push(m);
    assert.equal(pipeline.submit(i % 2 ? a.conn : b.conn, m), true);
  }
  await pipeline.idle();
  assert.equal(store.appends.length, 1, 'one append for the turn');
  assert.deepEqual(store.appends[0].batch.map((m) => m.id), sent.map((m) => m.id), 'in submit order');
  assert.deepEqual([...a.acks(), ...b.acks()].sort(), sent.map((m) => m.id).sort(), 'every send acked once');
  const pub = bus.msgs();
  assert.deepEqual(pub.map((m) => m.seq), Array.from({ length: 100 }, (_, i) => i + 1));
  assert.deepEqual(pub.map((m) => m.id), sent.map((m) => m.id));
  assert.ok(bus.published.every((p) => p.topic === 'room:r' && p.msg.seq === JSON.parse(p.msg.json).seq));
});

test('pipeline: nothing is acked or published before the append resolves', async () => {
  const { store, bus, pipeline } = setup();
  store.auto = false;
  const a = fakeConn('a');
  pipeline.submit(a.conn, msg('r', 'u-a'));
  await turns(3);
  assert.equal(store.appends.length, 1);
  assert.deepEqual(a.acks(), []);
  assert.equal(bus.published.length, 0);
  store.appends[0].resolve();
  await pipeline.idle();
  assert.equal(a.acks().length, 1);
  assert.equal(bus.published.length, 1);
});

test('pipeline: one commit in flight at a time; later sends wait and are published after, in seq order', async () => {
  const { store, bus, pipeline } = setup();
  store.auto = false;
  const a = fakeConn('a');
  const first = [msg('r', 'u-a'), msg('r', 'u-a')];
  for (const m of first) pipeline.submit(a.conn, m);
  await turn();
  assert.equal(store.appends.length, 1);
  const second = [msg('r', 'u-a'), msg('r', 'u-a'), msg('r', 'u-a')];
  for (const m of second) pipeline.submit(a.conn, m);
  await turns(3);
  assert.equal(store.appends.length, 1, 'the second batch waits for the first commit');
  store.appends[0].resolve();
  await turns(2);
  assert.equal(store.appends.length, 2);
  assert.deepEqual(store.appends[1].batch.map((m) => m.id), second.map((m) => m.id), 'everything queued meanwhile: one append');
  store.appends[1].resolve();
  await pipeline.idle();
  assert.deepEqual(bus.msgs().map((m) => m.seq), [1, 2, 3, 4, 5]);
  assert.deepEqual(a.acks(), [...first, ...second].map((m) => m.id));
});

test('pipeline: a batch is bounded by maxBatch; the rest follows in order', async () => {
  const { store, bus, pipeline } = setup({ maxBatch: 2 });
  const a = fakeConn('a');
  const sent = [1, 2, 3, 4, 5].map(() => msg('r', 'u-a'));
  for (const m of sent) pipeline.submit(a.conn, m);
  await pipeline.idle();
  assert.deepEqual(store.appends.map((x) => x.batch.length), [2, 2, 1]);
  assert.deepEqual(bus.msgs().map((m) => m.id), sent.map((m) => m.id));
});

test('pipeline: a failing append refuses every message of the batch with `unavailable`; nothing acked or published', async () => {
  const { store, bus, pipeline } = setup();
  store.auto = false;
  const a = fakeConn('a');
  const b = fakeConn('b');
  const ma = msg('r', 'u-a');
  const mb = msg('s', 'u-b');
  pipeline.submit(a.conn, ma);
  pipeline.submit(b.conn, mb);
  await turn();
  store.appends[0].reject(new Error('disk full'));
  await pipeline.idle();
  assert.deepEqual(a.errors, [{ code: 'unavailable', re: ma.id }]);
  assert.deepEqual(b.errors, [{ code: 'unavailable', re: mb.id }]);
  assert.deepEqual([...a.acks(), ...b.acks()], []);
  assert.equal(bus.published.length, 0);
  // The pipeline goes on: the resend (same id) is stored and acked.
  store.auto = true;
  pipeline.submit(a.conn, ma);
  await pipeline.idle();
  assert.deepEqual(a.acks(), [ma.id]);
  assert.equal(bus.msgs()[0].id, ma.id);
});

test('pipeline: a true duplicate is acked again and not published again; a conflicting reuse of an id is `id_conflict`', async () => {
  const { bus, pipeline } = setup();
  const a = fakeConn('a');
  const m = msg('r', 'u-a', 'hello', 'same-id');
  pipeline.submit(a.conn, m);
  await pipeline.idle();
  pipeline.submit(a.conn, { ...m }); // resent after a reconnect
  pipeline.submit(a.conn, { ...m, text: 'other text' }); // the id reused for another message
  await pipeline.idle();
  assert.deepEqual(a.acks(), ['same-id', 'same-id']);
  assert.deepEqual(a.errors, [{ code: 'id_conflict', re: 'same-id' }]);
  assert.equal(bus.published.length, 1, 'delivered once');
});

test('pipeline: beyond maxPending queued sends are refused', async () => {
  const { store, pipeline } = setup({ maxPending: 3 });
  store.auto = false;
  const a = fakeConn('a');
  assert.deepEqual([1, 2, 3, 4].map(() => pipeline.submit(a.conn, msg('r', 'u-a'))), [true, true, true, false]);
  await turn();
  // Taken into a commit, they no longer count: the queue accepts again.
  assert.equal(pipeline.submit(a.conn, msg('r', 'u-a')), true);
  store.appends[0].resolve();
  await turns(2);
  store.appends[1].resolve();
  await pipeline.idle();
  assert.equal(a.acks().length, 4);
});

test('pipeline: idle() resolves at once when empty, and only after the commit of queued sends', async () => {
  const { store, pipeline } = setup();
  await pipeline.idle();
  store.auto = false;
  const a = fakeConn('a');
  pipeline.submit(a.conn, msg('r', 'u-a'));
  let idle = false;
  void pipeline.idle().then(() => (idle = true));
  await turns(3);
  assert.equal(idle, false);
  store.appends[0].resolve();
  await turns(2);
  assert.equal(idle, true);
  assert.equal(a.acks().length, 1, 'acked before idle');
});
