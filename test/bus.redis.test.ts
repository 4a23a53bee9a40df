/**
 * The Redis Bus against a real redis-server: the same contract suite as the memory bus (each "node" is a
 * RedisBus with its own connections), run on a single Redis 7 (sharded pub/sub), on classic pub/sub, and on
 * a real 3-master Redis Cluster; then what only Redis can break: the link dropping (Redis killed and
 * restarted), where the node must fill the gap from the store by itself.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RedisBus, type RedisBusOptions } from '../src/server/bus/redis/redis-bus.js';
import type { BusMessage } from '../src/server/bus/bus.js';
import { roomTopic } from '../src/server/bus/bus.js';
import type { RoomLog } from '../src/server/bus/redis/sequencer.js';
import { busContract, waitFor } from './bus.contract.js';
import { redisClusterMissing, redisMissing, sharedRedisFixtures, startRedis } from './helpers/redis.js';

const missing = redisMissing();
const { redis, redisCluster } = sharedRedisFixtures();

let prefixCounter = 0;

function contract(name: string, url: () => Promise<string>, mode: 'auto' | 'classic', skip: string | null): void {
  if (skip) {
    describe(`Bus contract: ${name}`, () => {
      it('runs against a real Redis', { skip }, () => {});
    });
    return;
  }
  busContract(
    name,
    async (n) => {
      // A fresh prefix per test: channels of earlier tests never interfere.
      const prefix = `t${process.pid}-${++prefixCounter}`;
      const u = await url();
      const nodes = Array.from({ length: n }, () => new RedisBus({ url: u, prefix, mode }));
      return {
        nodes,
        cleanup: async () => {
          for (const node of nodes) await node.close();
        },
      };
    },
    { settleMs: 50, timeoutMs: 10_000 },
  );
}

contract('redis (sharded pub/sub)', async () => (await redis()).url, 'auto', missing);
contract('redis (classic pub/sub)', async () => (await redis()).url, 'classic', missing);
contract('redis cluster (3 masters, sharded pub/sub)', async () => (await redisCluster()).url, 'auto', redisClusterMissing());

/** An in-memory room log standing in for the store: what was "committed", by room. */
class Log implements RoomLog {
  readonly rooms = new Map<string, string[]>();
  reads = 0;
  commit(room: string): BusMessage {
    const list = this.rooms.get(room) ?? [];
    this.rooms.set(room, list);
    const seq = list.length + 1;
    const json = JSON.stringify({ type: 'msg', room, seq });
    list.push(json);
    return { json, seq };
  }
  async head(room: string): Promise<number> {
    return this.rooms.get(room)?.length ?? 0;
  }
  async range(room: string, after: number, before: number | undefined, limit: number) {
    this.reads++;
    const list = this.rooms.get(room) ?? [];
    const out: { seq: number; json: string }[] = [];
    for (let s = after + 1; s <= list.length && (before === undefined || s < before) && out.length < limit; s++) out.push({ seq: s, json: list[s - 1] });
    return out;
  }
}

describe('RedisBus: order and gaps', { skip: missing ?? false }, () => {
  async function pair(log: Log, url: string, opts: Partial<RedisBusOptions> = {}) {
    const prefix = `g${process.pid}-${++prefixCounter}`;
    const got: number[][] = [[], []];
    const nodes = [0, 1].map((i) => new RedisBus({ url, prefix, roomLog: log, gapWaitMs: 30, ...opts }));
    for (let i = 0; i < 2; i++) await nodes[i].start((_t, m) => got[i].push(m.seq!));
    return { nodes, got, close: async () => void (await Promise.all(nodes.map((n) => n.close()))) };
  }

  it('two nodes writing one room: each node delivers every seq once, in order (cross-node races are reordered)', async () => {
    const r = await redis();
    const log = new Log();
    const { nodes, got, close } = await pair(log, r.url);
    try {
      const t = roomTopic('race');
      for (const n of nodes) n.subscribe(t);
      await Promise.all(nodes.map((n) => n.ready!(t)));
      // Both nodes "commit" to the same room alternately and publish right away: each sees the other's
      // seqs late relative to its own, the way two nodes behind one database do.
      for (let i = 0; i < 400; i++) {
        const node = nodes[i % 3 === 0 ? 1 : 0];
        node.publish(t, log.commit('race'));
        if (i % 50 === 0) await new Promise((res) => setImmediate(res));
      }
      await waitFor(() => got[0].length >= 400 && got[1].length >= 400, 10_000, 'both nodes caught up');
      const want = Array.from({ length: 400 }, (_, k) => k + 1);
      assert.deepEqual(got[0], want);
      assert.deepEqual(got[1], want);
    } finally {
      await close();
    }
  });

  it('a publication lost on the way is filled from the store before newer events', async () => {
    const r = await redis();
    const log = new Log();
    const { nodes, got, close } = await pair(log, r.url);
    try {
      const t = roomTopic('lossy');
      for (const n of nodes) n.subscribe(t);
      await Promise.all(nodes.map((n) => n.ready!(t)));
      nodes[0].publish(t, log.commit('lossy'));
      log.commit('lossy'); // committed, never published (a publisher crashing between commit and publish)
      log.commit('lossy');
      nodes[0].publish(t, log.commit('lossy'));
      await waitFor(() => got[1].length >= 4, 10_000, 'node 1 filled the gap');
      assert.deepEqual(got[1], [1, 2, 3, 4]);
      assert.deepEqual(got[0], [1, 2, 3, 4], 'the publisher fills its own view too');
    } finally {
      await close();
    }
  });

  it('Redis killed and restarted: the node resubscribes and fills what was published meanwhile, even with no newer event', async () => {
    const own = await startRedis();
    const log = new Log();
    const { nodes, got, close } = await pair(log, own.url);
    try {
      const t = roomTopic('outage');
      for (const n of nodes) n.subscribe(t);
      await Promise.all(nodes.map((n) => n.ready!(t)));
      for (let i = 0; i < 10; i++) nodes[0].publish(t, log.commit('outage'));
      await waitFor(() => got[1].length === 10, 10_000, 'before the outage');
      await own.kill();
      // While Redis is down: node 0 publishes 10 (delivered locally at once, queued for Redis), and 15 more are
      // committed by a node that never publishes them (crashed between commit and publish).
      for (let i = 0; i < 25; i++) {
        const m = log.commit('outage');
        if (i % 5 < 2) nodes[0].publish(t, m);
      }
      await own.start();
      await waitFor(() => got[1].length >= 35, 20_000, 'node 1 caught up from the store after the reconnect');
      assert.deepEqual(
        got[1],
        Array.from({ length: 35 }, (_, k) => k + 1),
      );
      // Live again afterwards.
      nodes[0].publish(t, log.commit('outage'));
      // Node 0 may still be filling 33-35 (committed, never published) when 36 reaches node 1 by Redis.
      await waitFor(() => got[0].length >= 36 && got[1].length >= 36, 10_000, 'live after recovery');
      assert.deepEqual(got[0], Array.from({ length: 36 }, (_, k) => k + 1));
      assert.equal(got[1].at(-1), 36);
    } finally {
      await close();
      await own.cleanup();
    }
  });

  it('Redis killed and left down: every node keeps delivering what any node commits, from the store, in order, once', async () => {
    const own = await startRedis();
    const log = new Log();
    const { nodes, got, close } = await pair(log, own.url, { outagePollMs: 100 });
    try {
      const t = roomTopic('long-outage');
      for (const n of nodes) n.subscribe(t);
      await Promise.all(nodes.map((n) => n.ready!(t)));
      for (let i = 0; i < 5; i++) nodes[0].publish(t, log.commit('long-outage'));
      await waitFor(() => got[1].length === 5, 10_000, 'before the outage');
      await own.kill();
      // Redis stays down from here on. Both nodes commit and publish; the tail after each node's last own
      // message is what no newer local event reveals: it must arrive anyway, from the store.
      for (let i = 0; i < 20; i++) nodes[i % 2].publish(t, log.commit('long-outage'));
      const want = Array.from({ length: 25 }, (_, k) => k + 1);
      await waitFor(() => got[0].length >= 25 && got[1].length >= 25, 10_000, 'both nodes delivered every committed seq with Redis down');
      assert.deepEqual(got[0], want);
      assert.deepEqual(got[1], want);
      // Commits from a node that never publishes (Redis gone, or it crashed after committing) arrive too.
      for (let i = 0; i < 3; i++) log.commit('long-outage');
      await waitFor(() => got[0].length >= 28 && got[1].length >= 28, 10_000, 'unpublished commits, from the store');
      // Redis back: the queued publications arrive late and are dropped as already delivered; live again.
      await own.start();
      nodes[1].publish(t, log.commit('long-outage'));
      await waitFor(() => got[0].length >= 29, 20_000, 'live after the outage');
      await new Promise((r) => setTimeout(r, 300));
      const all = Array.from({ length: 29 }, (_, k) => k + 1);
      assert.deepEqual(got[0], all, 'node 0: every seq once, in order');
      assert.deepEqual(got[1], all, 'node 1: every seq once, in order');
    } finally {
      await close();
      await own.cleanup();
    }
  });

  it('a bad URL is a clear error; an unreachable Redis fails start() with the address', async () => {
    assert.throws(() => new RedisBus({ url: 'http://nope' }), /redis:\/\//);
    const bus = new RedisBus({ url: 'redis://127.0.0.1:1' });
    await assert.rejects(bus.start(() => {}), /cannot use Redis at redis:\/\/127\.0\.0\.1:1/);
    await bus.close();
  });
});
