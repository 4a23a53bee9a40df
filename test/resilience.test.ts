/**
 * Resume without gap or duplicate (after a disconnect, across a restart, after a slow-consumer close),
 * heartbeat termination of a silent peer, and the graceful drain of a real `scale-chat serve` process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import type { AckFrame, ErrorFrame, HistoryFrame, MsgEvent, ResumeEvent, WelcomeFrame } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { startServer, tempDir } from './helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sendMany(c: RawClient, room: string, prefix: string, count: number, text = (i: number) => `${prefix}${i}`): Promise<AckFrame[]> {
  for (let i = 0; i < count; i++) c.send({ type: 'send', id: `${prefix}${i}`, room, text: text(i) });
  const acks: AckFrame[] = [];
  while (acks.length < count) acks.push(await c.next<AckFrame>((e) => e.type === 'ack' && e.id.startsWith(prefix), 20_000));
  return acks;
}

describe('resume', () => {
  it('after a disconnect: exactly the missed messages, in order, then live', async () => {
    const srv = await startServer({ ratePerSec: 1000, rateBurst: 1000 });
    try {
      const a = await RawClient.guest(srv.url, 'resumer');
      const b = await RawClient.guest(srv.url, 'talker');
      const seen = await sendMany(b.c, 'general', 'x', 3);
      const last = seen[2].seq;
      await a.c.next((e) => e.type === 'msg' && e.seq === last);
      a.c.close();
      await a.c.waitClose();
      const missed = await sendMany(b.c, 'general', 'y', 7);
      const r = await RawClient.open(srv.url);
      r.send({ type: 'hello', v: 1, auth: { kind: 'token', token: a.welcome.token }, resume: { general: last } });
      const w = await r.next<WelcomeFrame>((e) => e.type === 'welcome');
      assert.equal(w.user.id, a.welcome.user.id);
      const end = await r.next<ResumeEvent>((e) => e.type === 'resume');
      assert.deepEqual({ from: end.fromSeq, to: end.toSeq, complete: end.complete }, { from: last, to: missed[6].seq, complete: true });
      const live = await b.c.request<AckFrame>({ type: 'send', id: 'live', room: 'general', text: 'live' });
      await r.next((e) => e.type === 'msg' && e.id === 'live');
      const got = r.all<MsgEvent>('msg').map((m) => m.seq);
      assert.deepEqual(got, [...missed.map((x) => x.seq), live.seq]);
      r.close();
      b.c.close();
    } finally {
      await srv.cleanup();
    }
  });

  it('beyond replayMax: a partial replay marked incomplete, the rest by history', async () => {
    const srv = await startServer({ ratePerSec: 1000, rateBurst: 1000, replayMax: 5 });
    try {
      const a = await RawClient.guest(srv.url, 'farbehind');
      a.c.close();
      const b = await RawClient.guest(srv.url, 'chatty');
      const acks = await sendMany(b.c, 'general', 'z', 12);
      const r = await RawClient.open(srv.url);
      r.send({ type: 'hello', v: 1, auth: { kind: 'token', token: a.welcome.token }, resume: { general: 0 } });
      const end = await r.next<ResumeEvent>((e) => e.type === 'resume');
      assert.equal(end.complete, false);
      assert.equal(r.all<MsgEvent>('msg').length, 5);
      assert.equal(end.toSeq, acks[4].seq);
      r.close();
      b.c.close();
    } finally {
      await srv.cleanup();
    }
  });

  it('across a server restart on the same data dir', async () => {
    const dir = tempDir();
    let srv = await startServer({ ratePerSec: 1000, rateBurst: 1000 }, dir);
    const a = await RawClient.guest(srv.url, 'survivor');
    const b = await RawClient.guest(srv.url, 'writer');
    const first = await sendMany(b.c, 'general', 'p', 2);
    await a.c.next((e) => e.type === 'msg' && e.seq === first[1].seq);
    a.c.close();
    const missed = await sendMany(b.c, 'general', 'q', 4);
    await srv.stop();
    assert.equal((await b.c.waitClose()).code, 1012, 'drain closes with 1012');
    srv = await startServer({ ratePerSec: 1000, rateBurst: 1000 }, dir);
    try {
      const r = await RawClient.open(srv.url);
      r.send({ type: 'hello', v: 1, auth: { kind: 'token', token: a.welcome.token }, resume: { general: first[1].seq } });
      assert.equal((await r.next<WelcomeFrame>((e) => e.type === 'welcome')).user.name, 'survivor');
      await r.next((e) => e.type === 'resume');
      assert.deepEqual(r.all<MsgEvent>('msg').map((m) => m.text), ['q0', 'q1', 'q2', 'q3']);
      assert.deepEqual(r.all<MsgEvent>('msg').map((m) => m.seq), missed.map((m) => m.seq));
      // the writer's resend of an acked id after the restart is still idempotent
      const b2 = await RawClient.open(srv.url);
      b2.send({ type: 'hello', v: 1, auth: { kind: 'token', token: b.welcome.token } });
      await b2.next((e) => e.type === 'welcome');
      const again = await b2.request<AckFrame>({ type: 'send', id: 'q3', room: 'general', text: 'q3' });
      assert.equal(again.seq, missed[3].seq);
      r.close();
      b2.close();
    } finally {
      await srv.cleanup();
    }
  });

  it('a slow consumer is closed with 4500 and resumes without loss', async () => {
    const srv = await startServer({ ratePerSec: 100_000, rateBurst: 100_000, maxOutboxBytes: 256 * 1024, maxTextLength: 4000, replayMax: 100_000 });
    try {
      const slow = await RawClient.guest(srv.url, 'sloth');
      const sock = (slow.c.ws as unknown as { _socket: import('node:net').Socket })._socket;
      sock.pause(); // stop reading: the server's buffers for this socket fill up
      const fast = await RawClient.guest(srv.url, 'hare');
      const total = 4000;
      // Paced in rounds so the (reading) sender never builds a backlog of its own on a busy machine.
      const acks: AckFrame[] = [];
      for (let r = 0; r < total / 100; r++) acks.push(...(await sendMany(fast.c, 'general', `big${r}-`, 100, (i) => `${r}.${i}:` + 'x'.repeat(3000))));
      sock.resume();
      const close = await slow.c.waitClose(20_000);
      assert.equal(close.code, 4500);
      const got = slow.c.all<MsgEvent>('msg');
      const lastSeen = got.length ? got[got.length - 1].seq : 0;
      assert.ok(lastSeen < acks[total - 1].seq, 'it really fell behind');
      const r = await RawClient.open(srv.url);
      r.send({ type: 'hello', v: 1, auth: { kind: 'token', token: slow.welcome.token }, resume: { general: lastSeen } });
      const resumed = await r.next<ResumeEvent>((e) => e.type === 'resume', 20_000);
      const replayed = r.all<MsgEvent>('msg');
      // A replay stops at the connection's backlog bound (half of maxOutboxBytes): the rest is paged, as
      // docs/protocol.md section 9 says a client does after `resume {complete:false}`.
      let cursor = resumed.toSeq;
      for (let more = !resumed.complete, page = 0; more; page++) {
        const h = await r.request<HistoryFrame>({ type: 'history', id: `page-${page}`, room: 'general', after: cursor, limit: 200 }, 20_000);
        replayed.push(...h.messages);
        if (h.messages.length) cursor = h.messages[h.messages.length - 1].seq;
        more = h.hasMore;
      }
      const all = [...got, ...replayed].map((m) => m.seq);
      assert.deepEqual(all, acks.map((a) => a.seq), 'every acked message exactly once, in order');
      const metrics = await (await fetch(srv.http + '/metrics')).text();
      assert.match(metrics, /^scalechat_slow_consumer_closes_total\{[^}]*\} 1$/m, 'the close is counted');
      r.close();
      fast.c.close();
    } finally {
      await srv.cleanup();
    }
  });
});

describe('heartbeat', () => {
  it('terminates a peer that answers no ping; keeps one that does', async () => {
    const srv = await startServer({ heartbeatMs: 150 });
    try {
      const mute = new WebSocket(srv.url, { autoPong: false });
      await new Promise((r) => mute.once('open', r));
      mute.send(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: 'mute' } }));
      const lively = await RawClient.guest(srv.url, 'lively');
      const closed = await new Promise<number>((resolve) => mute.once('close', (code) => resolve(code)));
      assert.equal(closed, 1006, 'terminated without a close frame');
      assert.ok(lively.c.all('ping').length >= 1, 'app-level ping seen');
      assert.equal(lively.c.closed, null);
      // the name of the terminated guest is free again
      const again = await RawClient.guest(srv.url, 'mute');
      again.c.close();
      lively.c.close();
    } finally {
      await srv.cleanup();
    }
  });

  it('spreads its pings over the interval instead of pinging every connection at once', async () => {
    const srv = await startServer({ heartbeatMs: 1000 });
    try {
      const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => RawClient.guest(srv.url, `spread${i}`)));
      const t0 = performance.now();
      const first = await Promise.all(clients.map(async ({ c }) => (await c.next((e) => e.type === 'ping', 5000), performance.now() - t0)));
      first.sort((a, b) => a - b);
      // 20 connections over 10 slots of 100 ms: their first pings span most of the second, not one instant.
      assert.ok(first.at(-1)! - first[0] >= 500, `first pings from ${first[0].toFixed(0)} to ${first.at(-1)!.toFixed(0)} ms`);
      for (const { c } of clients) c.close();
    } finally {
      await srv.cleanup();
    }
  });
});

describe('graceful drain of a real process', () => {
  it('SIGTERM closes clients with 1012, keeps what was acked, exits 0', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['dist/src/cli/main.js', 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir, '--log-level', 'info'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    const port = await new Promise<number>((resolve, reject) => {
      lines.on('line', (l) => {
        const j = JSON.parse(l) as { msg?: string; port?: number };
        if (j.msg === 'scale-chat listening') resolve(j.port!);
      });
      child.once('exit', (code) => reject(new Error(`exited early: ${code}`)));
    });
    const url = `ws://127.0.0.1:${port}/ws`;
    const a = await RawClient.guest(url, 'drained');
    const ack = await a.c.request<AckFrame>({ type: 'send', id: 'last', room: 'general', text: 'before shutdown' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const t0 = Date.now();
    child.kill('SIGTERM');
    assert.equal((await a.c.waitClose()).code, 1012);
    assert.equal(await exited, 0);
    assert.ok(Date.now() - t0 < 11_000);
    // restart on the same data: the acked message is there
    const srv = await startServer({}, dir);
    try {
      const r = await RawClient.open(srv.url);
      r.send({ type: 'hello', v: 1, auth: { kind: 'token', token: a.welcome.token }, resume: { general: 0 } });
      const err = await r.next<ErrorFrame>((e) => e.type === 'resume' || e.type === 'error');
      assert.equal(err.type, 'error', 'test servers use a fixed secret; the process generated its own');
      const g = await RawClient.guest(srv.url, 'reader');
      const h = await g.c.request<import('../src/protocol/types.js').HistoryFrame>({ type: 'history', id: 'h', room: 'general' });
      assert.ok(h.messages.some((m) => m.seq === ack.seq && m.text === 'before shutdown'));
      g.c.close();
    } finally {
      await srv.cleanup();
    }
  });
});
