/**
 * `--target ws-naive`: load clients for the naive ws peer (bench/peers/ws-naive-server.ts), which
 * speaks scale-chat's JSON frames as far as fan-out needs them: `hello` -> `welcome`, `join` ->
 * `joined`, `send` -> `ack`, `msg` events, `error` with `re`. No resume, no reconnect, no DMs.
 * Received frames go through the generator's lazy decoder (../fastframe.ts): a `msg` costs its room
 * and seq, as with the scale-chat target, so the comparison measures servers, not decoders.
 */
import { encodeClientFrame } from '../../protocol/codec.js';
import type { ErrorFrame, JoinedFrame, MsgEvent } from '../../protocol/types.js';
import { FastDecoder, LazyMsg } from '../fastframe.js';
import { PeerClient, PeerError, PlainMsg } from './peer-client.js';
import type { ClientHooks, ClientSpec, TargetAdapter } from './types.js';

class WsNaiveClient extends PeerClient {
  private readonly decoder = new FastDecoder();
  private nextReq = 0;

  constructor(spec: ClientSpec, hooks: ClientHooks) {
    super(spec, hooks);
  }

  protected socketUrl(url: string): string {
    return url;
  }

  protected onSocketOpen(): void {
    this.write(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: this.spec.name }, presence: false }));
  }

  protected onText(text: string): void {
    for (const ev of this.decoder.decode(text)) {
      switch (ev.type) {
        case 'msg':
          this.hooks.message(ev instanceof LazyMsg ? ev : new PlainMsg(ev as MsgEvent));
          break;
        case 'ack':
          this.settle(ev.id, ev.seq);
          break;
        case 'joined':
          this.settle((ev as JoinedFrame).re, (ev as JoinedFrame).room);
          break;
        case 'welcome':
          this.handshakeDone();
          break;
        case 'error': {
          const e = ev as ErrorFrame;
          if (e.re !== undefined && this.settle(e.re, undefined, new PeerError(e.code, e.message))) break;
          if (e.code === 'handshake_required') this.fail(e.code, e.message);
          else this.hooks.error(e.code);
          break;
        }
        default:
          break; // pong and anything else: nothing to do
      }
    }
  }

  async joinRoom(room: string): Promise<void> {
    const id = `j${++this.nextReq}`;
    const info = await this.request<{ id: string; lastSeq: number }>(id, encodeClientFrame({ type: 'join', id, room }));
    if (typeof info?.lastSeq !== 'number') throw new PeerError('protocol_error', 'joined without room.lastSeq');
    this.hooks.roomAdded(room, info.lastSeq, false);
  }

  send(room: string, text: string, id: string): Promise<number> {
    return this.request<number>(id, encodeClientFrame({ type: 'send', id, room, text }));
  }
}

export const wsNaiveTarget: TargetAdapter = {
  kind: 'ws-naive',
  supportsDm: false,
  create: (spec, hooks) => new WsNaiveClient(spec, hooks),
};
