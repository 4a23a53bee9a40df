/**
 * Memory amplification through replies: clients that never read pipeline history requests (and resumes
 * that replay long rooms). The server must not produce replies faster than a connection takes them: its
 * memory stays under a bound per connection (maxOutboxBytes + one reply), and a healthy client's acks stay
 * fast meanwhile. The server runs as its own process so its RSS is measured alone.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { AckFrame, HistoryFrame, MsgEvent } from '../src/protocol/types.js';
import { startNode, type NodeProcess } from './helpers/nodes.js';
import { RawClient } from './helpers/raw.js';

const MiB = 1024 * 1024;
const OUTBOX = 4 * MiB; // the defaults
const PAGE_BYTES = 1 * MiB;
const NON_READERS = 6;
const RESUMERS = 4;
const PIPELINED = 40;
const BIG_MESSAGES = 200;
/** 4000 three-byte characters: a 12 KB text, the most the default text limit allows in UTF-8. */
const BIG_TEXT = '€'.repeat(4000);
/** Slack for the V8 heap (garbage of the pages read from the store before it is collected), the test's own traffic and allocator noise. Without the bound this test measured +487 MB. */
const SLACK = 100 * MiB;
/** What the server may hold for each attacking connection: its unsent bound plus one reply. */
const PER_CONNECTION = OUTBOX + PAGE_BYTES;

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const mb = (n: number) => Math.round((n / MiB) * 10) / 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Opens a connection, says hello, reads the welcome, then stops reading its socket for good. */
async function nonReader(url: string, name: string, resume?: Record<string, number>): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  const hello: Record<string, unknown> = { type: 'hello', v: 1, auth: { kind: 'guest', name } };
  if (resume) {
    // A resumer stops reading before the server even answers: its whole replay is unread.
    hello.resume = resume;
    (ws as unknown as { _socket: Socket })._socket.pause();
    ws.send(JSON.stringify(hello));
    return ws;
  }
  const welcome = new Promise<void>((resolve) => ws.once('message', () => resolve()));
  ws.send(JSON.stringify(hello));
  await welcome;
  (ws as unknown as { _socket: Socket })._socket.pause();
  return ws;
}

let node: NodeProcess;
before(async () => {
  node = await startNode({ maxOutboxBytes: OUTBOX, historyPageBytes: PAGE_BYTES, ratePerSec: 500, rateBurst: 500, heartbeatMs: 60_000 });
});
after(async () => {
  await node.cleanup();
});

describe('memory bound: non-reading clients cannot amplify replies', () => {
  it(`${NON_READERS} non-readers x ${PIPELINED} pipelined history pages and ${RESUMERS} unread replays stay under the bound`, { timeout: 90_000 }, async () => {
    const pid = node.pid!;
    // A room of long texts: every history page of 200 would be ~2.4 MB.
    const { c: writer } = await RawClient.guest(node.url, 'writer');
    for (let i = 0; i < BIG_MESSAGES; i++) writer.send({ type: 'send', id: `big-${i}`, room: 'general', text: BIG_TEXT });
    await writer.next((e) => e.type === 'ack' && e.id === `big-${BIG_MESSAGES - 1}`, 30_000);
    // The healthy pair chats in a room of its own (the attackers are not in it).
    const { c: alice } = await RawClient.guest(node.url, 'alice');
    const { c: bob } = await RawClient.guest(node.url, 'bob');
    await alice.request({ type: 'create', id: 'mk', room: 'healthy', visibility: 'public' });
    await bob.request({ type: 'join', id: 'j', room: 'healthy' });
    await new Promise((r) => setTimeout(r, 500));
    const baseline = rssOf(pid);

    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
    const attackers: WebSocket[] = [];
    for (let i = 0; i < NON_READERS; i++) {
      const ws = await nonReader(node.url, `sink${i}`);
      for (let k = 0; k < PIPELINED; k++) ws.send(JSON.stringify({ type: 'history', id: `h${k}`, room: 'general', limit: 200 }));
      attackers.push(ws);
    }
    for (let i = 0; i < RESUMERS; i++) attackers.push(await nonReader(node.url, `replay${i}`, { general: 0 }));

    // Meanwhile alice sends every 40 ms; every ack is timed.
    const latencies: number[] = [];
    const until = Date.now() + 8000;
    for (let i = 0; Date.now() < until; i++) {
      const t0 = performance.now();
      const ack = await alice.request<AckFrame>({ type: 'send', id: `ok-${i}`, room: 'healthy', text: `healthy ${i}` }, 10_000);
      latencies.push(performance.now() - t0);
      assert.equal(ack.type, 'ack');
      await new Promise((r) => setTimeout(r, 40));
    }
    clearInterval(sampler);
    peak = Math.max(peak, rssOf(pid));
    // bob received all of alice's messages, in order
    const got = bob.all<MsgEvent>('msg').filter((m) => m.room === 'healthy').map((m) => m.id);
    assert.deepEqual(got, latencies.map((_, i) => `ok-${i}`));

    for (const ws of attackers) ws.terminate();
    await new Promise((r) => setTimeout(r, 3000));
    const afterwards = rssOf(pid);
    const sorted = [...latencies].sort((a, b) => a - b);
    const bound = (NON_READERS + RESUMERS) * PER_CONNECTION + SLACK;
    const metrics = await (await fetch(`${node.http}/metrics`)).text();
    const pauses = Number(/^scalechat_read_pauses_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
    console.log(
      `memory-bound: ${NON_READERS} non-readers x ${PIPELINED} pipelined history pages (~2.4 MB each unbounded) + ${RESUMERS} unread replays of ${BIG_MESSAGES} x 12 KB; ` +
        `server RSS baseline ${mb(baseline)} MB, peak ${mb(peak)} MB (+${mb(peak - baseline)} MB, bound +${mb(bound)} MB), ${mb(afterwards)} MB 3 s after they left; ` +
        `read pauses ${pauses}; healthy acks n=${sorted.length} p50 ${percentile(sorted, 50).toFixed(1)} ms p99 ${percentile(sorted, 99).toFixed(1)} ms max ${sorted[sorted.length - 1].toFixed(1)} ms`,
    );
    assert.ok(peak - baseline < bound, `server RSS grew ${mb(peak - baseline)} MB, bound ${mb(bound)} MB`);
    assert.ok(pauses >= NON_READERS, 'the non-readers were paused, not served');
    assert.ok(percentile(sorted, 99) < 500, `healthy p99 ack ${percentile(sorted, 99).toFixed(0)} ms`);

    // The server still answers everyone (and the paused connections did not leak their slots).
    const h = await writer.request<HistoryFrame>({ type: 'history', id: 'final', room: 'general', limit: 200 });
    assert.ok(h.messages.length > 0 && Buffer.byteLength(JSON.stringify(h)) <= PAGE_BYTES + 1024, 'a page is cut to historyPageBytes');
    assert.equal(h.hasMore, true);
    writer.close();
    alice.close();
    bob.close();
  });

  it('under process-wide pressure (maxBufferedBytes) every connection is paused at 64 KiB unsent', { timeout: 60_000 }, async () => {
    const tight = await startNode({ maxBufferedBytes: 1 * MiB, ratePerSec: 500, rateBurst: 500, heartbeatMs: 60_000 });
    try {
      const { c: writer } = await RawClient.guest(tight.url, 'writer');
      for (let i = 0; i < BIG_MESSAGES; i++) writer.send({ type: 'send', id: `big-${i}`, room: 'general', text: BIG_TEXT });
      await writer.next((e) => e.type === 'ack' && e.id === `big-${BIG_MESSAGES - 1}`, 30_000);
      const sinks: WebSocket[] = [];
      const attack = async (from: number, n: number) => {
        for (let i = from; i < from + n; i++) {
          const ws = await nonReader(tight.url, `sink${i}`);
          for (let k = 0; k < PIPELINED; k++) ws.send(JSON.stringify({ type: 'history', id: `h${k}`, room: 'general', limit: 200 }));
          sinks.push(ws);
        }
        await new Promise((r) => setTimeout(r, 2000));
        const metrics = await (await fetch(`${tight.http}/metrics`)).text();
        return Number(/^scalechat_outgoing_buffered_bytes\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? NaN);
      };
      // Two sinks put the process over its 1 MiB budget; four more arrive while it is.
      const first = await attack(0, 2);
      const total = await attack(2, 4);
      // Each late sink: at most 64 KiB unsent when its next request was read, plus that one reply (a 1 MiB page).
      const bound = 4 * (64 * 1024 + 1 * MiB + 64 * 1024);
      console.log(
        `memory-bound: under pressure (maxBufferedBytes 1 MiB): 2 sinks hold ${mb(first)} MB unsent, 4 more sinks added ${mb(total - first)} MB ` +
          `(bound ${mb(bound)} MB; without pressure each may hold 2 MiB + one reply)`,
      );
      assert.ok(first > 1 * MiB, 'the first sinks put the process under pressure');
      assert.ok(total - first <= bound, `${total - first} bytes more unsent, bound ${bound}`);
      for (const ws of sinks) ws.terminate();
      writer.close();
    } finally {
      await tight.cleanup();
    }
  });
});
