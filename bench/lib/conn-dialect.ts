/**
 * The handshake of one raw `ws` connection in each target's own words, as a tiny state machine for the
 * connection generator (./conn-child.ts), lighter than the load generator's clients: nothing is decoded
 * past the handshake, and the only later duty is answering Socket.IO's heartbeat.
 *  - scale-chat: `hello` (guest with a name, or a session token; `presence` as asked) -> `welcome`
 *    (possibly inside a `batch`); every user is in `general` from the welcome on (docs/protocol.md 3).
 *  - ws-naive: `hello` -> `welcome`, then `join` the room -> `joined` (src/loadtest/targets/ws-naive.ts).
 *  - socketio: Engine.IO open `0{..}` -> `40`; namespace connected `40{..}` -> `420["hello",{name}]`;
 *    ack `430[..]` -> `421["join",{room}]`; ack `431[..]` ready (src/loadtest/targets/socketio.ts).
 *    Engine.IO pings `2` get `3` for as long as the connection lives.
 */
import { socketIoUrl } from '../../src/loadtest/targets/socketio.js';
import type { Target } from './lab.js';

export interface HandshakeSpec {
  target: Target;
  /** Guest name (scale-chat, peers). */
  name: string;
  /** scale-chat: hello.presence. */
  presence: boolean;
  /** scale-chat: authenticate with this session token instead of as a guest. */
  token?: string;
  /** Peers: the room to join after the welcome. */
  room: string;
}

/** What a received frame did: nothing yet, completed the handshake, or refused it (with a code). */
export type Step = { kind: 'wait' } | { kind: 'ready' } | { kind: 'failed'; code: string };

const WAIT: Step = { kind: 'wait' };
const READY: Step = { kind: 'ready' };

export interface Handshake {
  /** Frames to send once the socket is open. */
  open(): string[];
  /** One received text frame; `send` writes a reply. After `ready` it keeps being called (heartbeats). */
  frame(text: string, send: (t: string) => void): Step;
}

/** The error code in a refusal frame, else `fallback`. */
function codeIn(text: string, fallback: string): string {
  return /"(?:code|error)":"([^"]{1,64})"/.exec(text)?.[1] ?? fallback;
}

export function scaleChatHello(spec: Pick<HandshakeSpec, 'name' | 'presence' | 'token'>): string {
  const auth = spec.token ? { kind: 'token', token: spec.token } : { kind: 'guest', name: spec.name };
  return JSON.stringify({ type: 'hello', v: 1, auth, presence: spec.presence });
}

function scaleChat(spec: HandshakeSpec): Handshake {
  let ready = false;
  return {
    open: () => [scaleChatHello(spec)],
    frame(text) {
      if (ready) return WAIT;
      if (text.includes('"type":"welcome"')) {
        ready = true;
        return READY;
      }
      if (text.includes('"type":"error"')) return { kind: 'failed', code: codeIn(text, 'error') };
      return WAIT;
    },
  };
}

function wsNaive(spec: HandshakeSpec): Handshake {
  let phase: 'hello' | 'join' | 'ready' = 'hello';
  return {
    open: () => [JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: spec.name }, presence: false })],
    frame(text, send) {
      if (phase === 'ready') return WAIT;
      if (text.includes('"type":"error"')) return { kind: 'failed', code: codeIn(text, 'error') };
      if (phase === 'hello' && text.includes('"type":"welcome"')) {
        phase = 'join';
        send(JSON.stringify({ type: 'join', id: 'j1', room: spec.room }));
        return WAIT;
      }
      if (phase === 'join' && text.includes('"type":"joined"')) {
        phase = 'ready';
        return READY;
      }
      return WAIT;
    },
  };
}

function socketIo(spec: HandshakeSpec): Handshake {
  let phase: 'open' | 'hello' | 'join' | 'ready' = 'open';
  return {
    open: () => [], // the server speaks first
    frame(text, send) {
      if (text === '2') {
        send('3');
        return WAIT;
      }
      if (phase === 'ready') return WAIT;
      if (text.startsWith('44') || text.startsWith('41') || text === '1') return { kind: 'failed', code: 'connect_error' };
      if (text.startsWith('0{')) {
        send('40');
        return WAIT;
      }
      if (text.startsWith('40')) {
        send(`420${JSON.stringify(['hello', { name: spec.name }])}`);
        phase = 'hello';
        return WAIT;
      }
      const ack = /^43(\d+)/.exec(text);
      if (!ack) return WAIT;
      if (text.includes('"error":')) return { kind: 'failed', code: codeIn(text, 'error') };
      if (phase === 'hello' && ack[1] === '0') {
        send(`421${JSON.stringify(['join', { room: spec.room }])}`);
        phase = 'join';
        return WAIT;
      }
      if (phase === 'join' && ack[1] === '1') {
        phase = 'ready';
        return READY;
      }
      return WAIT;
    },
  };
}

export function handshakeFor(spec: HandshakeSpec): Handshake {
  switch (spec.target) {
    case 'scale-chat':
      return scaleChat(spec);
    case 'ws-naive':
      return wsNaive(spec);
    case 'socketio':
      return socketIo(spec);
  }
}

/** The URL a raw client dials for a server URL from lab.ts (Socket.IO: its Engine.IO websocket path). */
export function dialUrl(target: Target, url: string): string {
  return target === 'socketio' ? socketIoUrl(url) : url;
}
