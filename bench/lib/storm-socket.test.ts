/**
 * The storm's lean WebSocket transport (./storm-socket.ts) against the `ws` server the scale-chat
 * server uses: upgrade, text both ways at every length encoding (7-bit, 16-bit, 64-bit), a
 * fragmented server message, the server's ping answered, the server's close code and reason, a
 * client close, a refused connection and a refused upgrade, each reported to the observer.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { WebSocketLike } from '../../src/client/index.js';
import { leanSocketClass, type SocketObserver } from './storm-socket.js';

let http: Server;
let wss: WebSocketServer;
let url: string;
let onConn: (ws: ServerSocket) => void = () => {};

before(async () => {
  http = createServer((_req, res) => res.writeHead(503).end());
  wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    if (req.url !== '/ws') return void socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    wss.handleUpgrade(req, socket, head, (ws) => onConn(ws));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
});
after(() => {
  wss.close();
  http.close();
});

function recorder(): SocketObserver & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    attempt: () => {
      log.push('attempt');
      return { error: (why) => log.push(`error ${why}`), closed: (code) => log.push(`closed ${code}`) };
    },
  };
}

function open(u: string, obs: SocketObserver): { ws: WebSocketLike; messages: string[]; closed: Promise<{ code: number; reason: string }>; opened: Promise<void> } {
  const Ctor = leanSocketClass('127.0.0.1', obs);
  const ws = new Ctor(u);
  const messages: string[] = [];
  ws.onmessage = (ev) => messages.push(ev.data as string);
  const opened = new Promise<void>((r) => (ws.onopen = () => r()));
  const closed = new Promise<{ code: number; reason: string }>((r) => (ws.onclose = (ev) => r(ev)));
  ws.onerror = () => {};
  return { ws, messages, closed, opened };
}

test('text both ways at every length, fragments, ping, and the server close code', async () => {
  const sizes = [5, 200, 70_000];
  const got: string[] = [];
  let pongs = 0;
  onConn = (ws) => {
    ws.on('pong', () => pongs++);
    ws.on('message', (data) => {
      got.push(data.toString());
      if (got.length === sizes.length) {
        for (const n of sizes) ws.send('y'.repeat(n));
        ws.send('frag', { fin: false });
        ws.send('ment', { fin: true });
        ws.ping();
        setTimeout(() => ws.close(4501, 'overloaded'), 50);
      }
    });
  };
  const obs = recorder();
  const c = open(url, obs);
  await c.opened;
  assert.equal(c.ws.readyState, 1);
  for (const n of sizes) c.ws.send('x'.repeat(n));
  const ev = await c.closed;
  assert.deepEqual(got, sizes.map((n) => 'x'.repeat(n)));
  assert.deepEqual(c.messages, [...sizes.map((n) => 'y'.repeat(n)), 'fragment']);
  assert.equal(pongs, 1);
  assert.deepEqual(ev, { code: 4501, reason: 'overloaded' });
  assert.deepEqual(obs.log, ['attempt', 'closed 4501']);
});

test('a client close reaches the server with its code', async () => {
  const code = new Promise<number>((r) => (onConn = (ws) => ws.on('close', (c) => r(c))));
  const c = open(url, recorder());
  await c.opened;
  c.ws.close(1000, 'bye');
  assert.equal(await code, 1000);
  assert.equal((await c.closed).code, 1000);
});

test('a refused connection and a refused upgrade are failed attempts closing with 1006', async () => {
  const port = (http.address() as AddressInfo).port;
  const refused = recorder();
  // A port nothing listens on: the one of a server just closed.
  const gone = createServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
  const deadPort = (gone.address() as AddressInfo).port;
  await new Promise<void>((r) => gone.close(() => r()));
  const a = open(`ws://127.0.0.1:${deadPort}/ws`, refused);
  assert.equal((await a.closed).code, 1006);
  assert.deepEqual(refused.log, ['attempt', 'error ECONNREFUSED', 'closed 1006']);
  const notFound = recorder();
  const b = open(`ws://127.0.0.1:${port}/nope`, notFound);
  assert.equal((await b.closed).code, 1006);
  assert.deepEqual(notFound.log, ['attempt', 'error HTTP 404', 'closed 1006']);
});
