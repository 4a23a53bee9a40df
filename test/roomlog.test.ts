/**
 * The gap filler's source (src/server/bus/redis/roomlog.ts): events read back from the store are encoded by
 * the one `msg` encoder, so an admin-deleted message filled after a lost publication (or a Redis link
 * drop) still arrives as a tombstone (`deleted: true`, empty text), byte-identical to a replayed one.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RedisBus } from '../src/server/bus/redis/redis-bus.js';
import { roomTopic } from '../src/server/bus/bus.js';
import { storeRoomLog } from '../src/server/bus/redis/roomlog.js';
import { SqliteStore } from '../src/server/store/sqlite/store.js';
import { msgEvent } from '../src/server/store/store.js';
import type { MsgEvent } from '../src/protocol/types.js';
import { waitFor } from './bus.contract.js';
import { redisMissing, startRedis, type TestRedis } from './helpers/redis.js';

const T0 = 1_700_000_000_000;

async function roomWithTombstone(): Promise<SqliteStore> {
  const store = new SqliteStore(':memory:');
  await store.init();
  await store.createRoom({ id: 'r', kind: 'public', createdBy: null, createdAt: T0 }, []);
  await store.append([1, 2, 3].map((n) => ({ room: 'r', id: `m${n}`, uid: 'u1', user: 'U', text: `text ${n}`, ts: T0 + n })));
  assert.equal(await store.deleteMessage('r', 2), true);
  return store;
}

describe('storeRoomLog', () => {
  it('encodes with msgEvent: a tombstone keeps deleted: true, others are unchanged', async () => {
    const store = await roomWithTombstone();
    try {
      const log = storeRoomLog(store);
      assert.equal(await log.head('r'), 3);
      const rows = await log.range('r', 0, undefined, 10);
      const history = await store.history('r', { after: 0, limit: 10 });
      assert.deepEqual(
        rows,
        history.map((m) => ({ seq: m.seq, json: JSON.stringify(msgEvent(m)) })),
      );
      assert.deepEqual(
        rows.map((r) => JSON.parse(r.json) as MsgEvent),
        [
          { type: 'msg', room: 'r', seq: 1, id: 'm1', uid: 'u1', user: 'U', text: 'text 1', ts: T0 + 1 },
          { type: 'msg', room: 'r', seq: 2, id: 'm2', uid: 'u1', user: 'U', text: '', ts: T0 + 2, deleted: true },
          { type: 'msg', room: 'r', seq: 3, id: 'm3', uid: 'u1', user: 'U', text: 'text 3', ts: T0 + 3 },
        ],
      );
    } finally {
      await store.close();
    }
  });
});

const missing = redisMissing();
let shared: Promise<TestRedis> | null = null;
after(async () => {
  if (shared) await (await shared).cleanup();
});

describe('RedisBus gap filling from the store', { skip: missing ?? false }, () => {
  it('a tombstone filled after a lost publication arrives with deleted: true', async () => {
    const redis = await (shared ??= startRedis());
    const store = await roomWithTombstone();
    const prefix = `rl${process.pid}`;
    const nodes = [0, 1].map(() => new RedisBus({ url: redis.url, prefix, roomLog: storeRoomLog(store), gapWaitMs: 30 }));
    const got: MsgEvent[] = [];
    try {
      await nodes[0].start(() => {});
      await nodes[1].start((_t, m) => got.push(JSON.parse(m.json) as MsgEvent));
      const t = roomTopic('r');
      // Subscribed while the room holds seqs 1-3: node 1 starts from the store's head, 3.
      nodes[1].subscribe(t);
      await nodes[1].ready!(t);
      const [m4, m5] = await store.append([4, 5].map((n) => ({ room: 'r', id: `m${n}`, uid: 'u1', user: 'U', text: `text ${n}`, ts: T0 + n })));
      assert.equal(await store.deleteMessage('r', 4), true);
      // seq 4 (deleted before anyone got it) is never published; 5 is, which reveals the gap.
      nodes[0].publish(t, { seq: m5.message.seq, json: JSON.stringify(msgEvent(m5.message)) });
      await waitFor(() => got.length >= 2, 10_000, 'the gap filled from the store');
      assert.deepEqual(
        got.map((e) => [e.seq, e.id, e.text, e.deleted]),
        [
          [4, 'm4', '', true],
          [5, 'm5', 'text 5', undefined],
        ],
      );
      assert.equal(m4.message.seq, 4);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      await store.close();
    }
  });
});
