/**
 * scale-chat target: every load client is a real SDK ChatClient (state machine, backoff, token
 * resume, seq dedup and gap filling, resend until ack), over the `ws` package with
 * permessage-deflate and UTF-8 validation off, an optional source address, and the lazy frame
 * decoder of ../fastframe.ts (ChatClientOptions.decodeFrame) so a received msg costs its room and
 * seq, not a full JSON.parse.
 */
import WebSocket from 'ws';
import { ChatClient, type MsgEvent, type SessionSnapshot, type WebSocketConstructor } from '../../client/index.js';
import { decodeServerFrame } from '../../protocol/codec.js';
import { FastDecoder, LazyMsg } from '../fastframe.js';
import type { ClientHooks, ClientSpec, IncomingMsg, LoadClient, MessageStateReport, TargetAdapter } from './types.js';
import { joinOrCreate } from '../join-or-create.js';

const ctorCache = new Map<string, WebSocketConstructor>();

/** A WebSocket constructor with the generator's socket options (one class per source address). */
function wsConstructor(sourceIp: string | undefined, insecure: boolean): WebSocketConstructor {
  const key = `${sourceIp ?? ''}|${insecure}`;
  let ctor = ctorCache.get(key);
  if (!ctor) {
    const options: WebSocket.ClientOptions = {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: 30_000,
      maxPayload: 256 * 1024 * 1024,
    };
    if (sourceIp) options.localAddress = sourceIp;
    if (insecure) options.rejectUnauthorized = false;
    ctor = class LoadWebSocket extends WebSocket {
      constructor(url: string) {
        super(url, options);
      }
    } as unknown as WebSocketConstructor;
    ctorCache.set(key, ctor);
  }
  return ctor;
}

/** A msg decoded by JSON.parse (replay pages of history fills) seen through IncomingMsg. */
class PlainMsg implements IncomingMsg {
  constructor(private readonly m: MsgEvent) {}
  get room(): string {
    return this.m.room;
  }
  get seq(): number {
    return this.m.seq;
  }
  get id(): string {
    return this.m.id;
  }
  get user(): string {
    return this.m.user;
  }
  textHead(n: number): string {
    return this.m.text.slice(0, n);
  }
}

class ScaleChatClient implements LoadClient {
  private readonly client: ChatClient;

  constructor(spec: ClientSpec, hooks: ClientHooks) {
    const decoder = new FastDecoder();
    const session = spec.session as SessionSnapshot | undefined;
    this.client = new ChatClient({
      url: spec.url,
      WebSocket: (spec.webSocket as WebSocketConstructor | undefined) ?? wsConstructor(spec.sourceIp, spec.insecure),
      auth: session?.token ? { kind: 'token', token: session.token } : { kind: 'guest', name: spec.name },
      resume: session?.resume,
      presence: false,
      ackTimeoutMs: spec.ackTimeoutMs,
      requestTimeoutMs: 30_000,
      // Message states only for runs with changes (their end-of-run comparison): otherwise nothing is held.
      keepMessages: spec.keepStates ? 200 : 0,
      decodeFrame: spec.jsonDecoder
        ? (data) => {
            hooks.frame();
            return decodeServerFrame(data);
          }
        : (data) => {
            hooks.frame();
            return decoder.decode(data);
          },
    });
    const c = this.client;
    c.on('message', (m) => hooks.message(m instanceof LazyMsg ? m : new PlainMsg(m)));
    // A change event is a room event with its seq too: delivered exactly once, in order, like a message.
    c.on('change', (m) => hooks.message(m instanceof LazyMsg ? m : new PlainMsg(m)));
    c.on('roomAdded', (r) => hooks.roomAdded(r.id, c.lastSeq(r.id) ?? r.lastSeq, r.kind === 'dm'));
    c.on('welcome', () => {
      // The first welcome's rooms are not announced by roomAdded.
      for (const [id, r] of c.rooms) hooks.roomAdded(id, c.lastSeq(id) ?? r.lastSeq, r.kind === 'dm');
    });
    c.on('error', (e) => hooks.error(e.code));
    c.on('state', (ch) => {
      if (ch.to === 'open') hooks.state('open', { resumed: ch.reason === 'resumed', reason: ch.reason });
      else if (ch.to === 'reconnecting') hooks.state('reconnecting', { resumed: false, reason: ch.reason });
      else if (ch.to === 'closed') {
        const info: { resumed: boolean; reason: string; error?: string } = { resumed: false, reason: ch.reason };
        if (ch.error) info.error = ch.error.closeCode ? `close_${ch.error.closeCode}` : ch.error.code;
        hooks.state('closed', info);
      }
    });
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  joinRoom(room: string): Promise<void> {
    return joinOrCreate(this.client, room);
  }

  async openDm(peerName: string): Promise<string> {
    return (await this.client.dm(peerName)).id;
  }

  async send(room: string, text: string, id: string): Promise<number> {
    return (await this.client.send(room, text, { id })).seq;
  }

  async edit(room: string, seq: number, text: string, id: string): Promise<number> {
    return (await this.client.edit(room, seq, text, { id })).seq;
  }

  async react(room: string, seq: number, emoji: string, on: boolean, id: string): Promise<number> {
    return (await this.client.react(room, seq, emoji, on, { id })).seq;
  }

  changedStates(): MessageStateReport[] {
    const out: MessageStateReport[] = [];
    for (const room of this.client.rooms.keys()) {
      for (const m of this.client.messages(room)) {
        if (m.v === undefined) continue;
        out.push({ room, seq: m.seq, v: m.v, fp: JSON.stringify([m.text, m.deleted ?? false, m.edited ?? null, m.reactions ?? []]) });
      }
    }
    return out;
  }

  session(): unknown {
    return this.client.session();
  }

  close(): void {
    this.client.close();
  }
}

export const scaleChatTarget: TargetAdapter = {
  kind: 'scale-chat',
  supportsDm: true,
  create: (spec, hooks) => new ScaleChatClient(spec, hooks),
};
