/**
 * `scale-chat serve --workers 2`: two worker processes on one port (a shared listening socket), one Redis.
 * Both workers take connections, users on different workers chat, names are unique across them, a worker
 * killed with SIGKILL is replaced and its clients resume without loss, and SIGTERM drains everything.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../src/client/index.js';
import type { MsgEvent } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { sleep, waitUntil } from './helpers/binaries.js';
import { startNode, type NodeProcess } from './helpers/nodes.js';
import { redisMissing, startRedis, type TestRedis } from './helpers/redis.js';

const missing = redisMissing();

/** pids of the direct children of `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * Open connections per worker from ONE scrape of /metrics: whichever worker answers, it answers for all
 * of them (the primary collects every worker's registry), each series labelled with its worker's node.
 */
async function perWorker(http: string): Promise<Map<string, number>> {
  const res = await fetch(`${http}/metrics`, { headers: { connection: 'close' } });
  assert.equal(res.status, 200);
  const text = await res.text();
  const seen = new Map<string, number>();
  for (const m of text.matchAll(/^scalechat_connections\{node="(\w+)"\} (\d+)/gm)) seen.set(m[1], Number(m[2]));
  const listening = Number(/^scalechat_workers_listening (\d+)/m.exec(text)?.[1]);
  assert.equal(Number(/^scalechat_workers_reporting (\d+)/m.exec(text)?.[1]), listening, 'every listening worker reported');
  assert.equal(seen.size, listening, 'one series per reporting worker');
  return seen;
}

function client(url: string, name: string): { c: ChatClient; got: MsgEvent[]; states: string[] } {
  const c = new ChatClient({
    url,
    WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'],
    auth: { kind: 'guest', name },
    backoff: { baseMs: 100, maxMs: 1000 },
    ackTimeoutMs: 60_000,
    presence: false,
  });
  const got: MsgEvent[] = [];
  const states: string[] = [];
  c.on('message', (m) => got.push(m));
  c.on('state', (s) => states.push(s.to));
  return { c, got, states };
}

describe('serve --workers 2', { skip: missing ?? false, timeout: 300_000 }, () => {
  let redis: TestRedis;
  let server: NodeProcess;
  const clients: ReturnType<typeof client>[] = [];

  before(async () => {
    redis = await startRedis();
    server = await startNode({ workers: 2, redisUrl: redis.url, ratePerSec: 1000, rateBurst: 1000, nodeTtlMs: 3000 });
  });
  after(async () => {
    for (const x of clients) x.c.close();
    await server?.cleanup();
    await redis?.cleanup();
  });

  it('both workers accept on the one port; users on different workers chat; names are unique across workers', { timeout: 120_000 }, async () => {
    assert.equal(childrenOf(server.pid!).length, 2, 'two worker processes');
    // The kernel decides which worker accepts each connection (no strict rotation): connect in batches
    // until both hold some (bounded), then check every connection is on one of them.
    let per = new Map<string, number>();
    for (let batch = 0; batch < 20; batch++) {
      const more = Array.from({ length: 10 }, (_, i) => client(server.url, `w${clients.length + i}`));
      clients.push(...more);
      await Promise.all(more.map((x) => x.c.connect()));
      per = await perWorker(server.http);
      if (per.size === 2 && [...per.values()].every((n) => n > 0)) break;
    }
    assert.equal(per.size, 2, `one scrape shows both workers: ${JSON.stringify([...per])}`);
    assert.ok([...per.values()].every((n) => n > 0), `both workers hold connections: ${JSON.stringify([...per])}`);
    assert.equal([...per.values()].reduce((a, b) => a + b, 0), clients.length, 'every connection is on one of them');

    const base = clients.map((x) => x.c.rooms.get('general')!.lastSeq);
    const acks = await Promise.all(clients.slice(0, 10).flatMap((x) => [1, 2, 3].map((k) => x.c.send('general', `${k}`))));
    // (clients of both workers are among the readers: cross-worker delivery goes through Redis)
    const last = Math.max(...acks.map((a) => a.seq));
    await waitUntil(() => clients.every((x) => x.got.length >= last - base[clients.indexOf(x)]), 30_000, 'everyone got everything');
    clients.forEach((x, i) => {
      assert.deepEqual(
        x.got.map((m) => m.seq),
        Array.from({ length: last - base[i] }, (_, k) => base[i] + 1 + k),
      );
    });

    // A name held on one worker is refused whichever worker a new connection lands on.
    for (let i = 0; i < 6; i++) {
      const c = await RawClient.open(server.url);
      c.send({ type: 'hello', v: 1, auth: { kind: 'guest', name: 'W0' } });
      const e = await c.next((x) => x.type === 'error' || x.type === 'welcome');
      c.close();
      assert.equal((e as { code?: string }).code, 'name_taken');
    }
  });

  it('a worker killed with SIGKILL is replaced; its clients reconnect and lose nothing', { timeout: 120_000 }, async () => {
    const before = childrenOf(server.pid!);
    const victim = before[0];
    const writers = clients.slice(0, 8);
    const base = clients.map((x) => x.got.at(-1)!.seq);
    const acks: Promise<{ seq: number }>[] = [];
    for (let i = 0; i < 30; i++) {
      for (const w of writers) acks.push(w.c.send('general', `after-${i}`));
      if (i === 10) process.kill(victim, 'SIGKILL');
      await sleep(20);
    }
    const done = await Promise.all(acks);
    const last = Math.max(...done.map((a) => a.seq));
    await waitUntil(() => clients.every((x, i) => x.got.filter((m) => m.seq > base[i]).length >= last - base[i]), 60_000, 'everyone caught up');
    clients.forEach((x, i) => {
      const seqs = x.got.filter((m) => m.seq > base[i]).map((m) => m.seq);
      assert.deepEqual(seqs, Array.from({ length: last - base[i] }, (_, k) => base[i] + 1 + k), `client ${i}`);
    });
    assert.ok(clients.some((x) => x.states.includes('reconnecting')), 'clients of the killed worker reconnected');
    await waitUntil(() => childrenOf(server.pid!).length === 2, 20_000, 'the primary replaced the worker');
    assert.ok(!childrenOf(server.pid!).includes(victim));
  });

  it('SIGTERM drains every worker and the primary exits 0', { timeout: 60_000 }, async () => {
    const pid = server.pid!;
    const workers = childrenOf(pid);
    const code = await server.stop();
    assert.equal(code, 0);
    for (const w of workers) assert.throws(() => process.kill(w, 0), 'worker gone');
    for (const x of clients) x.c.close();
  });
});
