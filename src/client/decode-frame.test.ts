/**
 * ChatClientOptions.decodeFrame: the client uses the injected decoder for every frame (once per
 * frame, before dispatch), delivers what it returns as it would the default decoder's events, and
 * treats a throwing decoder like a frame that is not JSON. Minimal in-memory WebSocket, as in
 * client.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeServerFrame, type MsgEvent, type ServerEvent } from '../protocol/index.js';
import { ChatClient, type WebSocketLike } from './index.js';

function fakeSocketClass() {
  const sockets: Fake[] = [];
  class Fake implements WebSocketLike {
    readyState = 0;
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    constructor(readonly url: string) {
      sockets.push(this);
    }
    send(): void {}
    close(code?: number, reason?: string): void {
      this.readyState = 3;
      queueMicrotask(() => this.onclose?.({ code: code ?? 1005, reason: reason ?? '' }));
    }
    open(): void {
      this.readyState = 1;
      this.onopen?.({});
    }
    push(frame: object | string): void {
      this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
    }
  }
  return { Fake, sockets };
}

const welcome = {
  type: 'welcome', v: 1, user: { id: 'u1', name: 'ann', account: false }, token: 't', tokenExpiresAt: 0,
  rooms: [{ id: 'general', kind: 'global', lastSeq: 0, lastRead: 0, members: 1 }], heartbeatMs: 30_000, serverTime: 0,
  limits: { maxFrameBytes: 65536, maxTextLength: 2000, historyPageMax: 50, replayMax: 100, ratePerSec: 10, rateBurst: 20 },
};
const msg = (seq: number): MsgEvent => ({ type: 'msg', room: 'general', seq, id: `m${seq}`, uid: 'u2', user: 'bob', text: `t${seq}`, ts: seq });

test('decodeFrame: called once per frame; its events are dispatched like the default decoder\'s', async () => {
  const { Fake, sockets } = fakeSocketClass();
  const seen: string[] = [];
  const client = new ChatClient({
    url: 'ws://x/ws',
    WebSocket: Fake,
    auth: { kind: 'guest', name: 'ann' },
    decodeFrame: (data) => {
      seen.push(data);
      return decodeServerFrame(data);
    },
  });
  const got: MsgEvent[] = [];
  client.on('message', (m) => got.push(m));
  const connected = client.connect();
  sockets[0].open();
  sockets[0].push(welcome);
  await connected;
  const batch = { type: 'batch', events: [msg(1), msg(2)] };
  sockets[0].push(batch);
  sockets[0].push(msg(3));
  assert.equal(seen.length, 3, 'one call per frame');
  assert.equal(seen[1], JSON.stringify(batch), 'the raw frame text');
  assert.deepEqual(got.map((m) => m.seq), [1, 2, 3]);
  assert.equal(client.rooms.get('general')?.lastSeq, 3);
  client.close();
});

test('decodeFrame: events it builds differently (e.g. lazy objects) reach listeners as returned', async () => {
  const { Fake, sockets } = fakeSocketClass();
  const marker = Symbol('mine');
  const client = new ChatClient({
    url: 'ws://x/ws',
    WebSocket: Fake,
    auth: { kind: 'guest', name: 'ann' },
    decodeFrame: (data) => decodeServerFrame(data).map((e: ServerEvent) => (e.type === 'msg' ? Object.assign(Object.create({ [marker]: true }), e) : e)),
  });
  const got: MsgEvent[] = [];
  client.on('message', (m) => got.push(m));
  const connected = client.connect();
  sockets[0].open();
  sockets[0].push(welcome);
  await connected;
  sockets[0].push(msg(1));
  assert.equal(got.length, 1);
  assert.equal((got[0] as unknown as Record<symbol, boolean>)[marker], true);
  client.close();
});

test('decodeFrame: a decoder that throws closes the client like a frame that is not JSON', async () => {
  const { Fake, sockets } = fakeSocketClass();
  const client = new ChatClient({
    url: 'ws://x/ws',
    WebSocket: Fake,
    auth: { kind: 'guest', name: 'ann' },
    decodeFrame: (data) => {
      if (data.includes('"msg"')) throw new SyntaxError('bad');
      return decodeServerFrame(data);
    },
  });
  const errors: string[] = [];
  client.on('error', (e) => errors.push(e.code));
  const connected = client.connect();
  sockets[0].open();
  sockets[0].push(welcome);
  await connected;
  sockets[0].push(msg(1));
  assert.equal(client.state, 'closed');
  assert.deepEqual(errors, ['bad_json']);
});
