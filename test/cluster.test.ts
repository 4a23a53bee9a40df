/**
 * Multi-node: the deployment topology with real processes. Three `scale-chat serve` processes share a real
 * redis-server (bus + cluster state) and a real PostgreSQL (store), behind a real nginx running
 * deploy/nginx.conf. SDK clients chat across nodes; then the failures: a node killed with SIGKILL under load,
 * Redis killed and restarted under load, PostgreSQL stopped under load. Every scenario checks what a user
 * would notice: every acknowledged message reaches every member exactly once, in order.
 *
 * Loads are bounded in count and time; waits have generous bounds (they are not performance assertions).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../src/client/index.js';
import type { AckFrame, MsgEvent, PresenceEvent } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { nginxMissing, startNginx, type TestNginx } from './helpers/nginx.js';
import { startNode, type NodeProcess } from './helpers/nodes.js';
import { postgresMissing, startPostgres, type TestPostgres } from './helpers/postgres.js';
import { redisMissing, startRedis, type TestRedis } from './helpers/redis.js';
import { sleep, waitUntil } from './helpers/binaries.js';

const missing = redisMissing() ?? postgresMissing() ?? nginxMissing();

/** Node TTL in these tests: a killed node's users go offline within ~4/3 of it. */
const NODE_TTL_MS = 3000;

interface Tracked {
  c: ChatClient;
  name: string;
  got: MsgEvent[];
  gaps: { room: string; reason: string }[];
  presence: PresenceEvent[];
  states: string[];
  /** Last seq of each room at the first welcome: messages after it must all arrive. */
  start: Map<string, number>;
}

function client(url: string, name: string, extra: Partial<ChatClientOptions> = {}): Tracked {
  const c = new ChatClient({
    url,
    WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'],
    auth: { kind: 'guest', name },
    backoff: { baseMs: 100, maxMs: 1000 },
    ackTimeoutMs: 60_000,
    requestTimeoutMs: 30_000,
    ...extra,
  });
  const t: Tracked = { c, name, got: [], gaps: [], presence: [], states: [], start: new Map() };
  c.on('message', (m) => t.got.push(m));
  c.on('gap', (g) => t.gaps.push({ room: g.room, reason: g.reason }));
  c.on('presence', (p) => t.presence.push(p));
  c.on('state', (s) => t.states.push(s.to));
  c.on('welcome', (w) => {
    if (t.start.size === 0) for (const r of w.rooms) t.start.set(r.id, r.lastSeq);
  });
  return t;
}

/** Every message after the client's start, exactly once, in seq order, up to `lastSeq`. */
function assertExactlyOnce(t: Tracked, room: string, lastSeq: number): void {
  const from = t.start.get(room) ?? 0;
  const seqs = t.got.filter((m) => m.room === room).map((m) => m.seq);
  const want = Array.from({ length: lastSeq - from }, (_, i) => from + 1 + i);
  if (seqs.length !== want.length || seqs.some((s, i) => s !== want[i])) {
    const dups = seqs.length - new Set(seqs).size;
    const missingSeqs = want.filter((s) => !seqs.includes(s));
    assert.fail(`${t.name} in ${room}: ${seqs.length} msgs, expected ${want.length} (${from + 1}..${lastSeq}); duplicates ${dups}; missing ${missingSeqs.slice(0, 10).join(',')}`);
  }
}

/**
 * Writers send `perWriter` messages each at a bounded pace to `room`; resolves with every ack.
 * `during` runs once `triggerAt` messages were sent (the failure being tested).
 */
async function load(writers: Tracked[], room: string, perWriter: number, everyMs: number, triggerAt: number, during: () => Promise<void>): Promise<AckFrame[]> {
  const acks: Promise<AckFrame>[] = [];
  let sent = 0;
  let triggered: Promise<void> | null = null;
  const deadline = Date.now() + 120_000;
  for (let i = 0; i < perWriter && Date.now() < deadline; i++) {
    for (const w of writers) {
      acks.push(w.c.send(room, `${w.name}#${i}`));
      sent++;
    }
    if (!triggered && sent >= triggerAt) triggered = during();
    await sleep(everyMs);
  }
  await triggered;
  return Promise.all(acks);
}

describe('cluster: 3 nodes behind nginx, Redis and PostgreSQL', { skip: missing ?? false, timeout: 600_000 }, () => {
  let redis: TestRedis;
  let pg: TestPostgres;
  let nodes: NodeProcess[] = [];
  let lb: TestNginx;
  const all: Tracked[] = [];
  const raws: RawClient[] = [];

  const track = (t: Tracked): Tracked => {
    all.push(t);
    return t;
  };

  before(async () => {
    redis = await startRedis();
    pg = await startPostgres();
    const postgresUrl = await pg.createDatabase('chat');
    const flags = {
      redisUrl: redis.url,
      postgresUrl,
      nodeTtlMs: NODE_TTL_MS,
      presenceIntervalMs: 100,
      ratePerSec: 2000,
      rateBurst: 2000,
    };
    // Booted together, without a configured token secret: they must agree on one (a token from one node
    // is accepted by the others, which the reconnect tests rely on).
    const started = await Promise.allSettled([0, 1, 2].map(() => startNode(flags)));
    nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason; // after() stops the ones that did start
    lb = await startNginx(nodes.map((n) => n.port));
  });

  after(async () => {
    if (process.env.SCALE_CHAT_TEST_NODE_LOGS) for (const n of nodes) console.error(`--- node ${n.port}\n${n.output()}`);
    for (const t of all) t.c.close();
    for (const r of raws) r.close();
    await lb?.stop();
    await Promise.all(nodes.map((n) => n.cleanup()));
    await redis?.cleanup();
    await pg?.cleanup();
  });

  it('users on different nodes chat in general, a private room and a DM; presence and members are cluster-wide', { timeout: 150_000 }, async () => {
    const ann = track(client(nodes[0].url, 'ann'));
    await ann.c.connect();
    const ben = track(client(nodes[1].url, 'ben'));
    const cat = track(client(nodes[2].url, 'cat'));
    await ben.c.connect();
    await cat.c.connect();
    // ann (node 0) is told that ben (node 1) and cat (node 2) came online.
    await waitUntil(() => {
      const online = new Set(ann.presence.flatMap((p) => (p.room === 'general' ? p.online.map((u) => u.name) : [])));
      return online.has('ben') && online.has('cat');
    }, 10_000, 'presence of ben and cat at ann');

    const hi = await ann.c.send('general', 'hello from node 0');
    await waitUntil(() => ben.got.some((m) => m.id === hi.id) && cat.got.some((m) => m.id === hi.id), 10_000, 'general across nodes');

    const room = await ann.c.create('cross-node', 'private');
    await ann.c.invite(room.id, 'ben');
    await waitUntil(() => ben.c.rooms.has('cross-node'), 10_000, 'the invitation reaches node 1');
    const back = await ben.c.send('cross-node', 'hi ann, from node 1');
    await waitUntil(() => ann.got.some((m) => m.id === back.id), 10_000, 'private room across nodes');
    assert.equal(cat.got.some((m) => m.room === 'cross-node'), false, 'a non-member on node 2 sees nothing');

    const dm = await ben.c.dm('cat');
    const psst = await ben.c.send(dm.id, 'psst cat');
    await waitUntil(() => cat.got.some((m) => m.id === psst.id), 10_000, 'DM from node 1 to node 2');
    const page = await cat.c.history(dm.id);
    assert.deepEqual(
      page.messages.map((m) => m.text),
      ['psst cat'],
    );

    // Members of general, asked on node 2, list the users of every node.
    const members = await cat.c.members('general');
    const names = members.members.map((m) => m.name);
    for (const n of ['ann', 'ben', 'cat']) assert.ok(names.includes(n), `${n} listed in ${names.join(',')}`);
    assert.ok(members.total >= 3);
    const inRoom = await ben.c.members('cross-node');
    assert.deepEqual(
      inRoom.members.map((m) => [m.name, m.online]).sort(),
      [
        ['ann', true],
        ['ben', true],
      ],
    );

    // cat leaves: ann on node 0 is told cat went offline.
    cat.c.close();
    await waitUntil(() => ann.presence.some((p) => p.room === 'general' && p.offline.some((u) => u.name === 'cat')), 10_000, 'cat offline at ann');
  });

  it('names are unique cluster-wide: a name held on one node is refused on the others until released', { timeout: 150_000 }, async () => {
    const holder = await RawClient.guest(nodes[0].url, 'unique-name');
    raws.push(holder.c);
    for (const n of [nodes[1], nodes[2]]) {
      const c = await RawClient.open(n.url);
      raws.push(c);
      c.send({ type: 'hello', v: 1, auth: { kind: 'guest', name: 'Unique-Name' } });
      const e = await c.next((x) => x.type === 'error' || x.type === 'welcome');
      assert.equal(e.type, 'error');
      assert.equal((e as { code: string }).code, 'name_taken');
    }
    holder.c.close();
    // Free again once the holder's connection is gone (released asynchronously: poll).
    let took: RawClient | null = null;
    await waitUntil(async () => {
      try {
        took = (await RawClient.guest(nodes[2].url, 'unique-name')).c;
        return true;
      } catch {
        return false;
      }
    }, 10_000, 'the name to be free on node 2', 200);
    raws.push(took!);

    // Accounts live in PostgreSQL: registered on one node, logged in on another.
    const reg = track(client(nodes[0].url, 'x', { auth: { kind: 'register', name: 'dora', password: 'correct horse' } }));
    await reg.c.connect();
    reg.c.close();
    await sleep(300);
    const login = track(client(nodes[2].url, 'x', { auth: { kind: 'login', name: 'dora', password: 'correct horse' } }));
    const w = await login.c.connect();
    assert.equal(w.user.name, 'dora');
    assert.equal(w.user.account, true);
    login.c.close();
  });

  it('kill -9 of one node under load: its clients reconnect through nginx and resume with zero loss and no duplicates; its stranded users go offline', { timeout: 150_000 }, async () => {
    const room = 'kill-test';
    const owner = track(client(lb.url, 'kill-owner'));
    await owner.c.connect();
    await owner.c.create(room, 'public');
    const users = Array.from({ length: 18 }, (_, i) => track(client(lb.url, `k${i}`)));
    await Promise.all(users.map((u) => u.c.connect()));
    await Promise.all(users.map((u) => u.c.join(room)));
    for (const u of users) u.start.set(room, 0);
    // A user connected straight to the victim that will not come back: the cluster must mark it offline.
    const stranded = await RawClient.guest(nodes[2].url, 'stranded');
    raws.push(stranded.c);
    const watcher = await RawClient.guest(nodes[0].url, 'watcher');
    raws.push(watcher.c);

    const writers = users.slice(0, 9);
    const acks = await load(writers, room, 40, 15, 120, async () => {
      await nodes[2].kill();
    });
    const last = Math.max(...acks.map((a) => a.seq));
    assert.equal(new Set(acks.map((a) => a.seq)).size, acks.length, 'every send acked with its own seq');
    assert.equal(last, acks.length, 'seqs 1..n: nothing lost, nothing doubled in the store');
    await waitUntil(() => users.every((u) => u.got.filter((m) => m.room === room).length >= last), 60_000, 'every reader caught up');
    await sleep(300);
    for (const u of users) assertExactlyOnce(u, room, last);
    const moved = users.filter((u) => u.states.includes('reconnecting'));
    assert.ok(moved.length > 0, 'some clients were on the killed node and reconnected');
    for (const u of moved) assert.equal(u.states.at(-1), 'open');

    // The stranded user goes offline cluster-wide once the dead node's heartbeat expires (bound: 30 s).
    await watcher.c.next((e) => e.type === 'presence' && (e as PresenceEvent).offline.some((x) => x.name === 'stranded'), 30_000);
    await nodes[2].start();
  });

  it('Redis killed and restarted under load: nodes reconnect and fill the gaps themselves: zero loss, no client-side gap', { timeout: 150_000 }, async () => {
    const room = 'redis-test';
    const owner = track(client(lb.url, 'redis-owner'));
    await owner.c.connect();
    await owner.c.create(room, 'public');
    const users = Array.from({ length: 12 }, (_, i) => track(client(nodes[i % 3].url, `r${i}`)));
    await Promise.all(users.map((u) => u.c.connect()));
    await Promise.all(users.map((u) => u.c.join(room)));
    for (const u of users) u.start.set(room, 0);
    const writers = users.slice(0, 6);
    // A private room on node 0; its member r1 (on node 1) is invited while Redis is down.
    const hidden = 'outage-invite';
    await users[0].c.create(hidden, 'private');
    let invited: Promise<unknown> = Promise.resolve();
    const acks = await load(writers, room, 50, 15, 90, async () => {
      await redis.kill();
      invited = users[0].c.invite(hidden, 'r1');
      await sleep(1500);
      await redis.start();
    });
    await invited;
    const last = Math.max(...acks.map((a) => a.seq));
    assert.equal(last, acks.length);
    await waitUntil(() => users.every((u) => u.got.filter((m) => m.room === room).length >= last), 60_000, 'every reader caught up');
    await sleep(300);
    for (const u of users) assertExactlyOnce(u, room, last);
    // The nodes filled the gaps from the store: no client had to.
    const clientGaps = users.flatMap((u) => u.gaps.filter((g) => g.room === room && g.reason === 'live'));
    assert.deepEqual(clientGaps, [], 'no client saw a hole in the live stream');
    // The invitation made during the outage reached node 1 (membership resync after the reconnect).
    await waitUntil(() => users[1].c.rooms.has(hidden), 20_000, 'the invitation made during the outage reaches r1 on node 1');
    const after = await users[0].c.send(hidden, 'after the outage');
    await waitUntil(() => users[1].got.some((m) => m.id === after.id), 10_000, 'a message in the room r1 was invited to');
    // And the cluster state came back: r0 (on node 0) still holds its name, as seen from node 1.
    await waitUntil(async () => {
      const c = await RawClient.open(nodes[1].url);
      raws.push(c);
      c.send({ type: 'hello', v: 1, auth: { kind: 'guest', name: 'r0' } });
      const e = await c.next((x) => x.type === 'error' || x.type === 'welcome');
      c.close();
      return e.type === 'error' && (e as { code: string }).code === 'name_taken';
    }, 10_000, 'r0 still held after the restart', 200);
  });

  it('PostgreSQL stopped under load: sends fail with a clear error (or wait), nothing acknowledged is lost, service recovers by itself', { timeout: 150_000 }, async () => {
    const room = 'pg-test';
    const owner = track(client(lb.url, 'pg-owner'));
    await owner.c.connect();
    await owner.c.create(room, 'public');
    const users = Array.from({ length: 9 }, (_, i) => track(client(nodes[i % 3].url, `p${i}`)));
    await Promise.all(users.map((u) => u.c.connect()));
    await Promise.all(users.map((u) => u.c.join(room)));
    for (const u of users) u.start.set(room, 0);
    const probe = await RawClient.guest(nodes[0].url, 'pg-probe');
    raws.push(probe.c);
    await probe.c.request({ type: 'join', id: 'j1', room });
    let probeError: { code?: string; message?: string } | null = null;
    const writers = users.slice(0, 5);
    const acks = await load(writers, room, 40, 20, 60, async () => {
      await pg.stop();
      // A send while the database is down gets a clear, documented error (not an ack).
      const reply = await probe.c.request({ type: 'send', id: 'during-outage', room, text: 'lost?' }, 20_000);
      probeError = reply as unknown as { code?: string; message?: string };
      await sleep(1000);
      await pg.start();
    });
    assert.equal((probeError as { type?: string } | null)?.type, 'error');
    assert.equal(probeError!.code, 'unavailable', JSON.stringify(probeError));
    const last = Math.max(...acks.map((a) => a.seq));
    assert.equal(new Set(acks.map((a) => a.seq)).size, acks.length, 'each acked message has its own seq');
    await waitUntil(() => users.every((u) => u.got.filter((m) => m.room === room).length >= last), 60_000, 'every reader caught up');
    await sleep(300);
    for (const u of users) assertExactlyOnce(u, room, last);
    // Everything acknowledged is in the store.
    const page = await writers[0].c.history(room, { after: 0, limit: 200 });
    const stored = new Set(page.messages.map((m) => m.id));
    for (const a of acks) assert.ok(stored.has(a.id), `acked ${a.id} is stored`);
    assert.equal(stored.has('during-outage'), false, 'the refused send was not stored');
  });

  it('a few hundred SDK clients across the 3 nodes: every message reaches every client exactly once', { timeout: 150_000 }, async () => {
    const N = 240;
    const crowd: Tracked[] = [];
    for (let i = 0; i < N; i++) crowd.push(track(client(lb.url, `crowd${i}`, { presence: false })));
    for (let i = 0; i < N; i += 40) await Promise.all(crowd.slice(i, i + 40).map((t) => t.c.connect()));
    const writers = crowd.slice(0, 20);
    const acks: AckFrame[] = [];
    for (let round = 0; round < 10; round++) {
      acks.push(...(await Promise.all(writers.map((w) => w.c.send('general', `${w.name} round ${round}`)))));
    }
    const last = Math.max(...acks.map((a) => a.seq));
    await waitUntil(() => crowd.every((t) => t.got.filter((m) => m.room === 'general' && m.seq <= last).length >= last - t.start.get('general')!), 60_000, 'the crowd caught up');
    for (const t of crowd) {
      const from = t.start.get('general')!;
      const seqs = t.got.filter((m) => m.room === 'general' && m.seq <= last).map((m) => m.seq);
      assert.deepEqual(seqs, Array.from({ length: last - from }, (_, k) => from + 1 + k), `${t.name}`);
    }
    for (const t of crowd) t.c.close();
  });
});
