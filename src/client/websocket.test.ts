/** Which WebSocket constructor a ChatClient uses (./websocket.ts): given, else global, else a clear error. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { ChatClient } from './client.js';
import type { WebSocketConstructor } from './types.js';
import { resolveWebSocket } from './websocket.js';

const ws = WebSocket as unknown as WebSocketConstructor;

describe('resolveWebSocket', () => {
  it('takes the constructor passed in', () => {
    assert.equal(resolveWebSocket(ws), ws);
  });

  it("uses the runtime's global WebSocket when none is passed, and says what to do when there is none", () => {
    const g = globalThis as { WebSocket?: unknown };
    const had = Object.hasOwn(g, 'WebSocket');
    const saved = g.WebSocket;
    try {
      g.WebSocket = ws;
      assert.equal(resolveWebSocket(undefined), ws);
      delete g.WebSocket;
      assert.throws(() => resolveWebSocket(undefined), { name: 'TypeError', message: /no global WebSocket .*install the ws package and pass it/ });
      assert.throws(() => new ChatClient({ url: 'ws://127.0.0.1:1/ws', auth: { kind: 'guest', name: 'ann' } }), TypeError);
    } finally {
      if (had) g.WebSocket = saved;
      else delete g.WebSocket;
    }
  });
});
