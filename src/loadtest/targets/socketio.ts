/**
 * `--target socketio`: load clients for the Socket.IO 4 peer (bench/peers/socketio.ts), speaking
 * Engine.IO v4 / Socket.IO v5 framing directly over a raw `ws` socket, so the cost of the
 * socket.io-client library does not skew the comparison:
 *   server `0{"sid":..,"pingInterval":..}`  open          -> client `40` (connect to namespace /)
 *   server `40{"sid":..}`                   connected     -> client `420["hello",{"name":..}]`
 *   server `2`                              ping          -> client `3` (pong)
 *   client `42<n>["event",{..}]`            event with ack id n
 *   server `43<n>[{..}]`                    ack n (welcome, joined, send ack or {error})
 *   server `42["msg",{"room":..,"seq":..,"id":..,..}]`   a delivered message
 *   server `44{..}` connect error, `41` namespace disconnect, `1` close: closed for good.
 * The URL may be `ws://host:port` (the default path /socket.io/ is added) or a full Engine.IO URL;
 * `EIO=4&transport=websocket` is added when missing.
 *
 * A delivered `msg` is read cheaply: room and seq by position (the server emits an object literal
 * with a fixed key order), the rest lazily through ../fastframe.ts's LazyMsg; a frame that does not
 * match the layout is JSON.parsed whole.
 */
import { LazyMsg } from '../fastframe.js';
import { PeerClient, PeerError, PlainMsg } from './peer-client.js';
import type { ClientHooks, ClientSpec, TargetAdapter } from './types.js';

const MSG_HEAD = '42["msg",{"room":"';
/** Where the msg object starts in the frame: after `42["msg",`. */
const OBJ_START = 9;
const SEQ_KEY = ',"seq":';

/** ws://h:p -> ws://h:p/socket.io/?EIO=4&transport=websocket (an explicit path and query are kept). */
export function socketIoUrl(url: string): string {
  const u = new URL(url);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/socket.io/';
  if (!u.searchParams.has('EIO')) u.searchParams.set('EIO', '4');
  if (!u.searchParams.has('transport')) u.searchParams.set('transport', 'websocket');
  return u.toString();
}

class SocketIoClient extends PeerClient {
  private nextAck = 0;
  private lastRoom = '';

  constructor(spec: ClientSpec, hooks: ClientHooks) {
    super(spec, hooks);
  }

  protected socketUrl(url: string): string {
    return socketIoUrl(url);
  }

  protected onSocketOpen(): void {
    // The server speaks first (the Engine.IO open packet).
  }

  protected onText(t: string): void {
    if (t.startsWith(MSG_HEAD)) {
      this.onMsg(t);
      return;
    }
    switch (t.charCodeAt(0)) {
      case 52: // '4': a Socket.IO packet
        this.onPacket(t);
        return;
      case 50: // '2': ping
        this.write('3');
        return;
      case 48: // '0': open
        this.write('40');
        return;
      case 49: // '1': close
        this.fail('closed_by_server', 'Engine.IO close packet');
        return;
      default:
        return; // '6' noop and upgrade packets: nothing to do
    }
  }

  private onPacket(t: string): void {
    const kind = t.charCodeAt(1);
    if (kind === 51) {
      // '3' ack: 43<id>[payload]
      let i = 2;
      let id = 0;
      for (let c = t.charCodeAt(i); c >= 48 && c <= 57; c = t.charCodeAt(++i)) id = id * 10 + (c - 48);
      if (i === 2) throw new Error('ack without id');
      const args = JSON.parse(t.slice(i)) as unknown[];
      const body = (Array.isArray(args) ? args[0] : undefined) as { error?: unknown; message?: unknown } | undefined;
      if (body && typeof body.error === 'string') this.settle(id, undefined, new PeerError(body.error, String(body.message ?? body.error)));
      else this.settle(id, body);
      return;
    }
    if (kind === 50) {
      // '2' event other than a fast-path msg
      const args = JSON.parse(t.slice(2)) as unknown[];
      if (Array.isArray(args) && args[0] === 'msg') {
        const m = args[1] as { room: string; seq: number; id: string; user: string; text: string };
        if (typeof m?.room !== 'string' || typeof m.seq !== 'number') throw new Error('msg without room and seq');
        this.hooks.message(new PlainMsg(m));
      }
      return;
    }
    if (kind === 48) {
      // '0' connected to the namespace: the chat handshake
      const ack = this.nextAck++;
      this.request<{ user?: unknown }>(ack, `42${ack}${JSON.stringify(['hello', { name: this.spec.name }])}`).then(
        (w) => (w?.user ? this.handshakeDone() : this.fail('protocol_error', 'welcome without user')),
        (err: PeerError) => this.fail(err.code, err.message),
      );
      return;
    }
    if (kind === 52) return this.fail('connect_error', `namespace connect refused: ${t.slice(2, 200)}`);
    if (kind === 49) return this.fail('disconnected', 'disconnected by the server');
  }

  /** `42["msg",{"room":"R","seq":N,...}]`: room and seq by position, the rest lazily. */
  private onMsg(t: string): void {
    let p = MSG_HEAD.length;
    const prev = this.lastRoom;
    let room: string;
    if (prev.length > 0 && t.startsWith(prev, p) && t.charCodeAt(p + prev.length) === 34) {
      room = prev;
      p += prev.length + 1;
    } else {
      const q = t.indexOf('"', p);
      room = q < 0 ? '' : t.slice(p, q);
      if (q < 0 || room.indexOf('\\') !== -1) return this.onPacket(t);
      this.lastRoom = room;
      p = q + 1;
    }
    if (!t.startsWith(SEQ_KEY, p)) return this.onPacket(t);
    p += SEQ_KEY.length;
    const first = p;
    let seq = 0;
    for (let c = t.charCodeAt(p); c >= 48 && c <= 57; c = t.charCodeAt(++p)) seq = seq * 10 + (c - 48);
    const end = t.length - 1; // the closing `]`
    if (p === first || p - first > 15 || t.charCodeAt(p) !== 44 || t.charCodeAt(end) !== 93 || t.charCodeAt(end - 1) !== 125) return this.onPacket(t);
    this.hooks.message(new LazyMsg(room, seq, t, OBJ_START, p + 1, end));
  }

  async joinRoom(room: string): Promise<void> {
    const ack = this.nextAck++;
    const r = await this.request<{ room?: { lastSeq?: unknown } }>(ack, `42${ack}${JSON.stringify(['join', { room }])}`);
    const lastSeq = r?.room?.lastSeq;
    if (typeof lastSeq !== 'number') throw new PeerError('protocol_error', 'join reply without room.lastSeq');
    this.hooks.roomAdded(room, lastSeq, false);
  }

  async send(room: string, text: string, id: string): Promise<number> {
    const ack = this.nextAck++;
    const r = await this.request<{ seq?: unknown }>(ack, `42${ack}${JSON.stringify(['send', { id, room, text }])}`);
    if (typeof r?.seq !== 'number') throw new PeerError('protocol_error', 'send ack without seq');
    return r.seq;
  }
}

export const socketIoTarget: TargetAdapter = {
  kind: 'socketio',
  supportsDm: false,
  create: (spec, hooks) => new SocketIoClient(spec, hooks),
};
