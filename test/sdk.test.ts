/**
 * The SDK against the real server: chat between SDK clients, and the promise a user notices most:
 * through a server restart and a slow-consumer close, every acknowledged message arrives exactly once,
 * in order, and sends made while disconnected are delivered after the reconnect.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../src/client/index.js';
import type { AckFrame, MsgEvent } from '../src/protocol/types.js';
import { startServer, tempDir, type TestServer } from './helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function client(url: string, name: string, extra: Partial<ChatClientOptions> = {}): { c: ChatClient; got: MsgEvent[]; states: string[] } {
  const c = new ChatClient({
    url,
    WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'],
    auth: { kind: 'guest', name },
    backoff: { baseMs: 50, maxMs: 500 },
    ...extra,
  });
  const got: MsgEvent[] = [];
  const states: string[] = [];
  c.on('message', (m) => got.push(m));
  c.on('state', (s) => states.push(s.to));
  return { c, got, states };
}

async function until(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function assertExactlyOnceInOrder(got: MsgEvent[], room: string): void {
  const seqs = got.filter((m) => m.room === room).map((m) => m.seq);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `seq ${seqs[i - 1]} then ${seqs[i]}`);
}

describe('SDK against a real server', () => {
  it('two users chat in general, in a private room and in a DM', async () => {
    const srv = await startServer();
    try {
      const a = client(srv.url, 'ann');
      const b = client(srv.url, 'ben');
      await a.c.connect();
      await b.c.connect();
      const ack = await a.c.send('general', 'hi ben');
      await until(() => b.got.some((m) => m.id === ack.id));
      const room = await a.c.create('backroom', 'private');
      await a.c.invite(room.id, 'ben');
      await until(() => b.c.rooms.has('backroom'), 5000, 'invite');
      await b.c.send('backroom', 'thanks');
      await until(() => a.got.some((m) => m.room === 'backroom'));
      const dm = await b.c.dm('ann');
      await b.c.send(dm.id, 'psst');
      await until(() => a.got.some((m) => m.room === dm.id && m.text === 'psst'));
      const page = await b.c.history('general');
      assert.deepEqual(page.messages.map((m) => m.text), ['hi ben']);
      a.c.close();
      b.c.close();
    } finally {
      await srv.cleanup();
    }
  });

  it('a server restart mid-conversation loses nothing and duplicates nothing', async () => {
    const dir = tempDir();
    let srv: TestServer = await startServer({ ratePerSec: 1000, rateBurst: 1000 }, dir);
    const port = srv.port;
    try {
      const writer = client(srv.url, 'writer');
      const reader = client(srv.url, 'reader');
      await writer.c.connect();
      await reader.c.connect();
      const acks: Promise<AckFrame>[] = [];
      let i = 0;
      const pump = setInterval(() => {
        if (i < 300) acks.push(writer.c.send('general', `m${i++}`));
      }, 5);
      await until(() => i >= 60);
      await srv.stop(); // clients see 1012 and start reconnecting; sends keep being queued
      await sleep(200);
      srv = await startServer({ ratePerSec: 1000, rateBurst: 1000, port }, dir);
      await until(() => i >= 300, 20_000, 'all sends issued');
      clearInterval(pump);
      const done = await Promise.all(acks);
      assert.equal(new Set(done.map((x) => x.seq)).size, 300, 'every send acked once, with its own seq');
      await until(() => reader.got.length >= 300, 20_000, 'reader caught up');
      await sleep(200);
      assert.equal(reader.got.length, 300, 'no duplicate');
      assert.deepEqual(reader.got.map((m) => m.text).sort(), done.map((_, k) => `m${k}`).sort());
      assertExactlyOnceInOrder(reader.got, 'general');
      assert.ok(reader.states.includes('reconnecting') && reader.states.at(-1) === 'open');
      writer.c.close();
      reader.c.close();
    } finally {
      await srv.cleanup();
    }
  });

  it('a slow consumer closed with 4500 resumes by itself without loss', async () => {
    const srv = await startServer({ ratePerSec: 100_000, rateBurst: 100_000, maxOutboxBytes: 128 * 1024, replayMax: 500, historyPageMax: 200 });
    try {
      const slow = client(srv.url, 'slowpoke', { ackTimeoutMs: 60_000 });
      await slow.c.connect();
      const fast = client(srv.url, 'speedy', { ackTimeoutMs: 60_000 });
      await fast.c.connect();
      // Stop reading the slow client's socket for a while.
      const ws = (slow.c as unknown as { socket: { ws: WebSocket | null } }).socket.ws as unknown as { _socket: import('node:net').Socket };
      ws._socket.pause();
      const big = 'y'.repeat(3000);
      const acks = await Promise.all(Array.from({ length: 3000 }, (_, k) => fast.c.send('general', `${k}:${big}`)));
      ws._socket.resume();
      await until(() => slow.got.length >= 3000, 30_000, 'slow consumer caught up');
      assert.ok(slow.states.includes('reconnecting'), 'it was closed and reconnected');
      assert.equal(slow.got.length, 3000);
      assertExactlyOnceInOrder(slow.got, 'general');
      assert.equal(slow.got.at(-1)!.seq, acks.at(-1)!.seq);
      slow.c.close();
      fast.c.close();
    } finally {
      await srv.cleanup();
    }
  });

  it('a wrong password ends in closed with auth_failed, without reconnect loops', async () => {
    const srv = await startServer();
    try {
      const acct = client(srv.url, 'x', { auth: { kind: 'register', name: 'owner1', password: 'longenough' } });
      await acct.c.connect();
      acct.c.close();
      const bad = client(srv.url, 'x', { auth: { kind: 'login', name: 'owner1', password: 'wrongwrong' } });
      await assert.rejects(bad.c.connect(), (e: { code?: string }) => e.code === 'auth_failed');
      await sleep(300);
      assert.equal(bad.c.state, 'closed');
      assert.equal(bad.states.filter((s) => s === 'reconnecting').length, 0);
    } finally {
      await srv.cleanup();
    }
  });
});
