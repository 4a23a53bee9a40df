/**
 * The Bus contract: every Bus implementation (memory, Redis) must pass this suite unchanged.
 *
 * Usage, in a `*.test.ts` file:
 *   busContract('memory', async (n) => ({ nodes, cleanup }));
 *
 * `makeNodes(n)` is called once per test and returns `n` nodes of one fresh cluster, not yet started (the suite
 * calls `start` with its own handler). `cleanup()` closes them (`close()` must be idempotent) and anything else
 * the factory created.
 *
 * Remote delivery may be asynchronous (Redis), and so may subscriptions take effect asynchronously: the suite
 * waits with `waitFor` for things that must arrive, and proves that something did NOT arrive by waiting for a
 * later "sentinel" message from the same publisher on a topic the receiver does subscribe (per-publisher order).
 * `options.settleMs` is extra time given after an unsubscribe before publishing (0 for memory).
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus, BusMessage } from '../src/server/bus/bus.js';
import { roomTopic, userTopic } from '../src/server/bus/bus.js';

export interface BusCluster {
  nodes: Bus[];
  cleanup: () => Promise<void>;
}

export type BusFactory = (n: number) => Promise<BusCluster>;

export interface BusContractOptions {
  /** Time for an unsubscribe to take effect across the cluster (ms). Default 0. */
  settleMs?: number;
  /** Longest wait for a remote delivery (ms). Default 5000. */
  timeoutMs?: number;
}

/** Polls `predicate` until it is true; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (predicate()) return;
    if (Date.now() > deadline) throw new Error(`waitFor: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Received {
  topic: string;
  msg: BusMessage;
}

/** Recorder for one node: everything its handler received, probes excluded. */
class Inbox {
  readonly all: Received[] = [];
  readonly probes: Received[] = [];
  handler = (topic: string, msg: BusMessage): void => {
    if (msg.json.startsWith('{"probe"')) this.probes.push({ topic, msg });
    else this.all.push({ topic, msg });
  };
  on(topic: string): BusMessage[] {
    return this.all.filter((r) => r.topic === topic).map((r) => r.msg);
  }
  has(topic: string, json: string): boolean {
    return this.all.some((r) => r.topic === topic && r.msg.json === json);
  }
  clear(): void {
    this.all.length = 0;
    this.probes.length = 0;
  }
}

let probeCounter = 0;

export function busContract(name: string, makeNodes: BusFactory, options: BusContractOptions = {}): void {
  const settleMs = options.settleMs ?? 0;
  const timeoutMs = options.timeoutMs ?? 5000;

  describe(`Bus contract: ${name}`, () => {
    let cluster: BusCluster | null = null;

    afterEach(async () => {
      if (cluster) await cluster.cleanup();
      cluster = null;
    });

    /** A started cluster of `n` nodes with one inbox each. */
    async function setup(n: number): Promise<{ nodes: Bus[]; inbox: Inbox[] }> {
      cluster = await makeNodes(n);
      assert.equal(cluster.nodes.length, n);
      const inbox = cluster.nodes.map(() => new Inbox());
      for (let i = 0; i < n; i++) await cluster.nodes[i].start(inbox[i].handler);
      return { nodes: cluster.nodes, inbox };
    }

    /**
     * Makes sure `sub`'s subscription to `topic` is effective for publications from `pub`: publishes probes
     * until one arrives. Probes are kept out of the inboxes' `all`.
     */
    async function ensureSubscribed(pub: Bus, subInbox: Inbox, topic: string): Promise<void> {
      const json = JSON.stringify({ probe: ++probeCounter });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        pub.publish(topic, { json });
        try {
          await waitFor(() => subInbox.probes.some((p) => p.topic === topic && p.msg.json === json), 50, 'probe');
          return;
        } catch {
          if (Date.now() > deadline) throw new Error(`subscription to ${topic} never became effective`);
        }
      }
    }

    /** Publishes a sentinel on `topic` (which `inbox`'s node subscribes) from `pub` and waits for it. */
    async function sentinel(pub: Bus, inbox: Inbox, topic: string): Promise<void> {
      const json = JSON.stringify({ sentinel: ++probeCounter });
      pub.publish(topic, { json });
      await waitFor(() => inbox.has(topic, json), timeoutMs, `sentinel on ${topic}`);
    }

    it('reports its kind', async () => {
      const { nodes } = await setup(1);
      assert.ok(nodes[0].kind === 'memory' || nodes[0].kind === 'redis');
    });

    it('local delivery is synchronous when the publishing node subscribes', async () => {
      const { nodes, inbox } = await setup(2);
      const t = roomTopic('general');
      nodes[0].subscribe(t);
      nodes[0].publish(t, { json: '{"type":"msg","n":1}', seq: 1 });
      // No await between publish and this check.
      assert.deepEqual(inbox[0].on(t), [{ json: '{"type":"msg","n":1}', seq: 1 }]);
    });

    it('a publishing node that does not subscribe does not receive its own message', async () => {
      const { nodes, inbox } = await setup(2);
      const t = roomTopic('r1');
      nodes[1].subscribe(t);
      await ensureSubscribed(nodes[0], inbox[1], t);
      nodes[0].publish(t, { json: '"x"' });
      await waitFor(() => inbox[1].has(t, '"x"'), timeoutMs, 'remote delivery');
      assert.deepEqual(inbox[0].all, []);
    });

    it('delivers to other subscribing nodes, exactly once each', async () => {
      const { nodes, inbox } = await setup(3);
      const t = roomTopic('lobby');
      for (const n of nodes) n.subscribe(t);
      for (const i of [1, 2]) await ensureSubscribed(nodes[0], inbox[i], t);
      nodes[0].publish(t, { json: '"hello"', seq: 7 });
      await waitFor(() => inbox[1].has(t, '"hello"') && inbox[2].has(t, '"hello"'), timeoutMs, 'delivery');
      // A later message from the same publisher proves no second copy is on its way.
      await sentinel(nodes[0], inbox[1], t);
      await sentinel(nodes[0], inbox[2], t);
      for (const i of [0, 1, 2]) assert.equal(inbox[i].on(t).filter((m) => m.json === '"hello"').length, 1, `node ${i}`);
      // Any node may publish.
      nodes[2].publish(t, { json: '"back"' });
      await waitFor(() => inbox[0].has(t, '"back"') && inbox[1].has(t, '"back"'), timeoutMs, 'delivery from node 2');
      assert.ok(inbox[2].has(t, '"back"'));
    });

    it('does not deliver to nodes that do not subscribe the topic', async () => {
      const { nodes, inbox } = await setup(3);
      const t = roomTopic('quiet');
      const other = userTopic('u1');
      nodes[1].subscribe(t);
      nodes[2].subscribe(other);
      await ensureSubscribed(nodes[0], inbox[1], t);
      await ensureSubscribed(nodes[0], inbox[2], other);
      nodes[0].publish(t, { json: '"for-1-only"' });
      await waitFor(() => inbox[1].has(t, '"for-1-only"'), timeoutMs, 'delivery');
      await sentinel(nodes[0], inbox[2], other);
      assert.equal(inbox[2].on(t).length, 0);
      assert.equal(inbox[0].all.length, 0);
      for (const r of inbox[1].all) assert.equal(r.topic, t, 'a handler only sees topics its node subscribes');
    });

    it('stops delivering after unsubscribe (locally and remotely)', async () => {
      const { nodes, inbox } = await setup(2);
      const t = roomTopic('gone');
      const keep = roomTopic('kept');
      for (const n of nodes) {
        n.subscribe(t);
        n.subscribe(keep);
      }
      await ensureSubscribed(nodes[0], inbox[1], t);
      await ensureSubscribed(nodes[0], inbox[1], keep);
      nodes[0].publish(t, { json: '"before"' });
      await waitFor(() => inbox[1].has(t, '"before"'), timeoutMs, 'delivery');
      assert.ok(inbox[0].has(t, '"before"'));

      nodes[0].unsubscribe(t);
      nodes[1].unsubscribe(t);
      if (settleMs) await sleep(settleMs);
      nodes[0].publish(t, { json: '"after"' });
      assert.equal(inbox[0].has(t, '"after"'), false, 'local delivery stops at once');
      await sentinel(nodes[0], inbox[1], keep);
      assert.equal(inbox[1].has(t, '"after"'), false);
      assert.ok(inbox[0].has(keep, inbox[1].on(keep).at(-1)!.json), 'other topics still flow');
    });

    it('subscribe and unsubscribe are idempotent', async () => {
      const { nodes, inbox } = await setup(2);
      const t = roomTopic('idem');
      const keep = roomTopic('idem-keep');
      nodes[0].unsubscribe(t); // never subscribed: no error
      for (const n of nodes) {
        n.subscribe(t);
        n.subscribe(t);
        n.subscribe(t);
        n.subscribe(keep);
      }
      await ensureSubscribed(nodes[0], inbox[1], t);
      await ensureSubscribed(nodes[0], inbox[1], keep);
      nodes[0].publish(t, { json: '"once"' });
      await sentinel(nodes[0], inbox[1], t);
      assert.equal(inbox[0].on(t).filter((m) => m.json === '"once"').length, 1, 'subscribed thrice, delivered once');
      assert.equal(inbox[1].on(t).filter((m) => m.json === '"once"').length, 1);

      // One unsubscribe undoes any number of subscribes (a set, not a reference count).
      nodes[1].unsubscribe(t);
      nodes[1].unsubscribe(t);
      if (settleMs) await sleep(settleMs);
      nodes[0].publish(t, { json: '"no more"' });
      await sentinel(nodes[0], inbox[1], keep);
      assert.equal(inbox[1].has(t, '"no more"'), false);

      // Re-subscribing works again.
      nodes[1].subscribe(t);
      await ensureSubscribed(nodes[0], inbox[1], t);
      nodes[0].publish(t, { json: '"again"' });
      await waitFor(() => inbox[1].has(t, '"again"'), timeoutMs, 'delivery after re-subscribe');
    });

    it('preserves order per topic (1,000 messages, two interleaved topics)', async () => {
      const { nodes, inbox } = await setup(2);
      const ta = roomTopic('order-a');
      const tb = roomTopic('order-b');
      for (const n of nodes) {
        n.subscribe(ta);
        n.subscribe(tb);
      }
      await ensureSubscribed(nodes[0], inbox[1], ta);
      await ensureSubscribed(nodes[0], inbox[1], tb);
      const N = 1000;
      for (let i = 1; i <= N; i++) {
        nodes[0].publish(ta, { json: JSON.stringify({ t: 'a', i }), seq: i });
        if (i % 3 === 0) nodes[0].publish(tb, { json: JSON.stringify({ t: 'b', i }), seq: i / 3 });
      }
      const nb = Math.floor(N / 3);
      await waitFor(() => inbox[1].on(ta).length >= N && inbox[1].on(tb).length >= nb, timeoutMs * 2, '1,000 messages');
      for (const i of [0, 1]) {
        assert.deepEqual(
          inbox[i].on(ta).map((m) => m.seq),
          Array.from({ length: N }, (_, k) => k + 1),
          `node ${i} topic a`,
        );
        assert.deepEqual(
          inbox[i].on(tb).map((m) => m.seq),
          Array.from({ length: nb }, (_, k) => k + 1),
          `node ${i} topic b`,
        );
        assert.equal(inbox[i].on(ta)[N - 1].json, JSON.stringify({ t: 'a', i: N }));
      }
    });

    it('delivers every BusMessage field intact, and the topic', async () => {
      const { nodes, inbox } = await setup(2);
      const t = userTopic('u-42');
      for (const n of nodes) n.subscribe(t);
      await ensureSubscribed(nodes[0], inbox[1], t);
      const sent: BusMessage[] = [
        { json: JSON.stringify({ type: 'msg', room: 'r', seq: 12, text: 'héllo 👋 "q" \\ \n' }), seq: 12 },
        { json: '{"type":"typing","room":"r","uid":"u1","user":"A"}', excludeUid: 'u1' },
        { json: '{"type":"room_added"}', control: { kind: 'room_added', room: 'dm:a:b' } },
        { json: '{"type":"room_removed"}', control: { kind: 'room_removed', room: 'team' } },
        { json: '{"type":"read","room":"r","seq":9}', control: { kind: 'read', room: 'r', seq: 9 } },
        { json: '"all"', seq: 0, excludeUid: 'u2', control: { kind: 'read', room: 'general', seq: 0 } },
      ];
      for (const m of sent) nodes[0].publish(t, m);
      await waitFor(() => inbox[1].on(t).length >= sent.length, timeoutMs, 'all fields');
      for (const i of [0, 1]) {
        assert.deepEqual(inbox[i].on(t), sent, `node ${i}`);
        assert.ok(inbox[i].all.every((r) => r.topic === t));
      }
    });

    it('a closed node receives nothing more; the others carry on', async () => {
      const { nodes, inbox } = await setup(3);
      const t = roomTopic('closing');
      for (const n of nodes) n.subscribe(t);
      for (const i of [1, 2]) await ensureSubscribed(nodes[0], inbox[i], t);
      await nodes[1].close();
      const before = inbox[1].all.length;
      nodes[0].publish(t, { json: '"after close"' });
      await waitFor(() => inbox[2].has(t, '"after close"'), timeoutMs, 'delivery to node 2');
      await sentinel(nodes[0], inbox[2], t);
      assert.equal(inbox[1].all.length, before);
      assert.ok(inbox[0].has(t, '"after close"'));
    });
  });
}
