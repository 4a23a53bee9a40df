/**
 * Cluster state against a real redis-server: names, presence and node heartbeats across "nodes" (several
 * RedisClusterState instances in this process, each with its own Redis connection and node id), and the
 * local implementation giving today's single-node behaviour. The same scenarios with real server processes
 * behind nginx are in cluster.test.ts.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { UserRef } from '../src/protocol/types.js';
import { LocalClusterState } from '../src/server/cluster/local.js';
import { RedisClusterState } from '../src/server/cluster/redis-state.js';
import type { ClusterState } from '../src/server/cluster/state.js';
import { waitFor } from './bus.contract.js';
import { redisClusterMissing, redisMissing, startRedis, startRedisCluster, type TestRedis } from './helpers/redis.js';

const missing = redisMissing();
let shared: Promise<TestRedis> | null = null;
const redis = (): Promise<TestRedis> => (shared ??= startRedis());
after(async () => {
  if (shared) await (await shared).cleanup();
});

let counter = 0;
const u = (id: string): UserRef => ({ id, name: `name-${id}` });

/** Stops a node the way a crash does: no goodbye to Redis, heartbeats just stop. */
function crash(node: RedisClusterState): void {
  const n = node as unknown as { stopped: boolean; timer: NodeJS.Timeout; redis: { disconnect(): void } };
  n.stopped = true;
  clearInterval(n.timer);
  n.redis.disconnect();
}

describe('LocalClusterState (one process)', () => {
  it('keeps names and online users like a single node', async () => {
    const s: ClusterState = new LocalClusterState();
    await s.start();
    assert.equal(await s.names.acquire('ann', 'u1'), true);
    assert.equal(await s.names.acquire('ann', 'u1'), true, 'a second connection of the same user');
    assert.equal(await s.names.acquire('ann', 'u2'), false);
    assert.equal(await s.names.holder('ann'), 'u1');
    s.names.release('ann', 'u1');
    assert.equal(await s.names.holder('ann'), 'u1', 'still held by the other connection');
    s.names.release('ann', 'u1');
    assert.equal(await s.names.holder('ann'), undefined);
    assert.equal(await s.userOnline(u('a')), true);
    assert.equal(await s.userOnline(u('b')), true);
    assert.deepEqual(await s.onlineUsers(10), { users: [u('a'), u('b')], total: 2 });
    assert.deepEqual([...(await s.onlineAmong(['a', 'x']))], ['a']);
    assert.equal(await s.userOffline(u('a')), true);
    assert.equal(s.onlineCount(), 1);
    assert.equal(await s.agree('k', 'mine'), 'mine');
    await s.stop();
  });
});

describe('RedisClusterState', { skip: missing ?? false }, () => {
  async function nodes(n: number, ttlMs = 15_000): Promise<{ s: RedisClusterState[]; url: string; prefix: string; stop: () => Promise<void> }> {
    const r = await redis();
    const prefix = `cs${process.pid}-${++counter}`;
    const s = Array.from({ length: n }, (_, i) => new RedisClusterState({ url: r.url, nodeId: `n${i}-${counter}`, prefix, ttlMs }));
    for (const x of s) await x.start();
    return { s, url: r.url, prefix, stop: async () => void (await Promise.all(s.map((x) => x.stop()))) };
  }

  it('a guest name taken on node A cannot be claimed on node B, and is free again when the holder leaves', async () => {
    const { s: [a, b], stop } = await nodes(2);
    try {
      assert.equal(await a.names.acquire('zoe', 'u-zoe'), true);
      assert.equal(await a.names.acquire('zoe', 'u-zoe'), true, 'second connection on A');
      assert.equal(await b.names.acquire('zoe', 'u-other'), false, 'another user on B is refused');
      assert.equal(await b.names.acquire('zoe', 'u-zoe'), true, 'the same user on B (a second device) is fine');
      assert.equal(await b.names.holder('zoe'), 'u-zoe');
      a.names.release('zoe', 'u-zoe');
      a.names.release('zoe', 'u-zoe');
      assert.equal(await b.names.acquire('zoe', 'u-other'), false, 'still held through node B');
      b.names.release('zoe', 'u-zoe'); // sent before the next command on B's connection
      assert.equal(await b.names.holder('zoe'), undefined);
      assert.equal(await b.names.acquire('zoe', 'u-other'), true, 'free again');
    } finally {
      await stop();
    }
  });

  it('two nodes racing for one name: exactly one wins, every time', async () => {
    const { s: [a, b], stop } = await nodes(2);
    try {
      for (let i = 0; i < 50; i++) {
        const [x, y] = await Promise.all([a.names.acquire(`race${i}`, `ua${i}`), b.names.acquire(`race${i}`, `ub${i}`)]);
        assert.equal(Number(x) + Number(y), 1, `race ${i}`);
      }
    } finally {
      await stop();
    }
  });

  it('presence is cluster-wide: online on the first connection anywhere, offline after the last one anywhere', async () => {
    const { s: [a, b, c], stop } = await nodes(3);
    try {
      assert.equal(await a.userOnline(u('x')), true, 'first anywhere');
      assert.equal(await b.userOnline(u('x')), false, 'already online through A');
      assert.equal(await c.userOnline(u('y')), true);
      const all = await b.onlineUsers(100);
      assert.equal(all.total, 2);
      assert.deepEqual(all.users.map((v) => v.id).sort(), ['x', 'y']);
      assert.deepEqual([...(await c.onlineAmong(['x', 'y', 'z']))].sort(), ['x', 'y']);
      assert.equal(await a.userOffline(u('x')), false, 'still on B');
      assert.deepEqual([...(await c.onlineAmong(['x']))], ['x']);
      assert.equal(await b.userOffline(u('x')), true, 'gone everywhere');
      assert.deepEqual([...(await c.onlineAmong(['x']))], []);
      const limited = await a.onlineUsers(1);
      assert.equal(limited.users.length, 1);
      assert.equal(limited.total, 1);
    } finally {
      await stop();
    }
  });

  it("a crashed node's users go offline and its names free up once its heartbeat expires", async () => {
    const { s: [a, b], stop } = await nodes(2, 1200);
    const gone: UserRef[] = [];
    b.onPresence = (users, online) => {
      if (!online) gone.push(...users);
    };
    try {
      await a.userOnline(u('p'));
      await a.userOnline(u('q'));
      await b.userOnline(u('q')); // q also has a connection on B: stays online
      assert.equal(await a.names.acquire('pat', 'p'), true);
      crash(a);
      await waitFor(() => gone.length > 0, 10_000, 'the sweep by node B');
      assert.deepEqual(gone, [u('p')]);
      assert.deepEqual([...(await b.onlineAmong(['p', 'q']))], ['q']);
      assert.equal(await b.names.acquire('pat', 'someone-else'), true, "the crashed node's name is free");
    } finally {
      await stop();
    }
  });

  it('a clean stop leaves at once (no TTL wait)', async () => {
    const { s: [a, b], stop } = await nodes(2);
    try {
      await a.userOnline(u('s'));
      assert.equal(await a.names.acquire('sam', 's'), true);
      await a.stop();
      assert.deepEqual([...(await b.onlineAmong(['s']))], []);
      assert.equal(await b.names.holder('sam'), undefined);
    } finally {
      await stop();
    }
  });

  it('Redis restarted empty: every node puts its names and users back by itself', async () => {
    const own = await startRedis();
    const prefix = `rs${process.pid}-${++counter}`;
    const a = new RedisClusterState({ url: own.url, nodeId: 'ra', prefix, ttlMs: 1500 });
    const b = new RedisClusterState({ url: own.url, nodeId: 'rb', prefix, ttlMs: 1500 });
    try {
      await a.start();
      await b.start();
      await a.userOnline(u('m'));
      await b.userOnline(u('n'));
      assert.equal(await a.names.acquire('mia', 'm'), true);
      await own.kill();
      await own.start();
      let ok = false;
      const end = Date.now() + 15_000;
      while (!ok && Date.now() < end) {
        try {
          const on = await b.onlineAmong(['m', 'n']);
          ok = on.size === 2 && (await b.names.holder('mia')) === 'm';
        } catch {
          // not reconnected yet
        }
        if (!ok) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(ok, 'both users online and the name held again after the restart');
      assert.equal(await b.names.acquire('mia', 'intruder'), false);
    } finally {
      await a.stop();
      await b.stop();
      await own.cleanup();
    }
  });

  it('agree: the first candidate wins for every node', async () => {
    const { s: [a, b], stop } = await nodes(2);
    try {
      const [x, y] = await Promise.all([a.agree('secret', 'from-a'), b.agree('secret', 'from-b')]);
      assert.equal(x, y);
      assert.ok(x === 'from-a' || x === 'from-b');
    } finally {
      await stop();
    }
  });
});

describe('RedisClusterState on a Redis Cluster (3 masters)', { skip: redisClusterMissing() ?? false }, () => {
  it('names, presence and the dead-node sweep work with every key in one hash slot', async () => {
    const rc = await startRedisCluster(3);
    const prefix = `rc${process.pid}`;
    const a = new RedisClusterState({ url: rc.url, nodeId: 'ca', prefix, ttlMs: 1200 });
    const b = new RedisClusterState({ url: rc.url, nodeId: 'cb', prefix, ttlMs: 1200 });
    const gone: UserRef[] = [];
    b.onPresence = (users, online) => {
      if (!online) gone.push(...users);
    };
    try {
      await a.start();
      await b.start();
      assert.equal(await a.names.acquire('kim', 'k1'), true);
      assert.equal(await b.names.acquire('kim', 'k2'), false);
      assert.equal(await a.userOnline(u('k1')), true);
      assert.equal(await b.userOnline(u('k1')), false);
      assert.equal(await b.userOnline(u('k3')), true);
      assert.equal((await b.onlineUsers(10)).total, 2);
      await b.userOffline(u('k1'));
      crash(a);
      await waitFor(() => gone.some((x) => x.id === 'k1'), 15_000, 'the sweep on the cluster');
      assert.equal(await b.names.acquire('kim', 'k2'), true);
      assert.deepEqual([...(await b.onlineAmong(['k1', 'k3']))], ['k3']);
    } finally {
      await b.stop();
      await rc.cleanup();
    }
  });
});
