/**
 * One chaos-lab client: the real SDK ChatClient (src/client/: backoff, token hello with per-room
 * resume seqs, replay and gap filling, resend of unacked sends with the same id) over the `ws`
 * package, recording its complete history (./chaos-history.ts) without changing what the SDK does,
 * and two client-side faults on its current socket:
 *  - drop(): destroys the TCP socket at once (`ws.terminate()`: no close frame, as a network cut);
 *  - pauseReads(ms): stops reading the socket (`ws.pause()`: the kernel buffers fill, then the
 *    server's outbox; past --max-outbox-bytes the server closes it with 4500), then reads again.
 * The SDK resends a send the server refused with `unavailable` (PostgreSQL down) without telling its
 * caller; the lab reads those refusals off the socket itself (a listener beside the SDK's) so the
 * history shows which acked sends were refused first.
 */
import WebSocket from 'ws';
import { ChatClient, ChatError, createIdFactory, type WebSocketConstructor } from '../../src/client/index.js';
import { decodeServerFrame } from '../../src/protocol/index.js';
import type { ClientHistory, SendRecord } from './chaos-history.js';
import { joinOrCreate } from '../../src/loadtest/join-or-create.js';

/** Codes with which the SDK, not the server, ended a send: it may have been stored (resends are deduplicated by id). */
const SDK_GAVE_UP = new Set(['timeout', 'closed', 'disconnected']);

export class ChaosClient {
  readonly client: ChatClient;
  readonly h: ClientHistory;
  /** The socket the SDK opened last (the one faults act on). */
  private ws: WebSocket | null = null;
  private readonly newId = createIdFactory();
  private sent = 0;
  /** Sends not settled yet, by id (to find the record a refusal belongs to). */
  private readonly pending = new Map<string, SendRecord>();
  /** Set by finish(): the close that follows is the lab's, not a lost connection. */
  private finished = false;

  constructor(
    readonly index: number,
    readonly name: string,
    url: string,
    ackTimeoutMs: number,
    /** Padding to this many characters per message text (large texts make slow consumers hit the outbox bound sooner). */
    private readonly textChars = 0,
  ) {
    this.h = { client: index, name, joins: Object.create(null) as Record<string, number>, sends: [], received: Object.create(null) as Record<string, [number, string][]>, conn: [], connectedAtEnd: false };
    const options: WebSocket.ClientOptions = { perMessageDeflate: false, handshakeTimeout: 30_000 };
    const self = this;
    const Ws = class extends WebSocket {
      constructor(u: string) {
        super(u, options);
        self.ws = this;
        let welcomed = false;
        let why = '';
        this.on('message', (data, binary) => {
          if (binary) return;
          const text = String(data);
          if (!welcomed && text.includes('"welcome"')) welcomed = true;
          self.refusals(text);
        });
        this.on('error', (err) => (why ||= err.message.slice(0, 60)));
        this.on('close', (code, reason) => {
          if (welcomed || self.finished) return;
          const k = why || `${code}${reason.length ? ` ${reason.toString().slice(0, 60)}` : ''}`;
          const m = (self.h.failedAttempts ??= {});
          m[k] = (m[k] ?? 0) + 1;
        });
      }
    } as unknown as WebSocketConstructor;
    this.client = new ChatClient({ url, WebSocket: Ws, auth: { kind: 'guest', name }, presence: false, ackTimeoutMs, requestTimeoutMs: 30_000 });
    const c = this.client;
    c.on('welcome', () => this.h.conn.push([Date.now(), 'up']));
    c.on('state', (ch) => {
      if (ch.from === 'open' && ch.to !== 'open' && !this.finished) this.h.conn.push([Date.now(), 'down', ch.reason]);
    });
    // The join point: a room is tracked from its lastSeq when it is added (joined, created, a DM).
    c.on('roomAdded', (r) => {
      if (!(r.id in this.h.joins)) this.h.joins[r.id] = r.lastSeq;
    });
    c.on('message', (m) => (this.h.received[m.room] ??= []).push([m.seq, m.id]));
    // Change events (edits, removals, reactions) are room events with their seq: the checker expects them too.
    c.on('change', (m) => (this.h.received[m.room] ??= []).push([m.seq, m.id]));
  }

  get open(): boolean {
    return this.client.state === 'open';
  }

  get rooms(): string[] {
    return Object.keys(this.h.joins);
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** Joins `room`, creating it when nobody has yet. */
  enter(room: string): Promise<void> {
    return joinOrCreate(this.client, room);
  }

  /** Opens a DM with `peer` (a user name); the peer is told by room_added. */
  async dm(peer: string): Promise<string> {
    return (await this.client.dm(peer)).id;
  }

  /** One acked send into `room`; its outcome lands in the history. */
  send(room: string): Promise<void> {
    const id = this.newId();
    const rec: SendRecord = { id, room, at: Date.now(), outcome: 'pending' };
    this.h.sends.push(rec);
    const text = `chaos ${this.index} ${++this.sent} `;
    this.pending.set(id, rec);
    return this.client.send(room, text.padEnd(this.textChars, 'x'), { id }).finally(() => this.pending.delete(id)).then(
      (ack) => {
        rec.outcome = 'acked';
        rec.seq = ack.seq;
        rec.ackAt = Date.now();
      },
      (err: unknown) => {
        const code = err instanceof ChatError ? err.code : String(err).slice(0, 60);
        rec.outcome = SDK_GAVE_UP.has(code) ? 'unknown' : 'failed';
        rec.code = code;
      },
    );
  }

  /** Notes every retryable error frame answering a pending send (cheap test first: most frames are msgs). */
  private refusals(text: string): void {
    if (!text.includes('"error"') || !this.pending.size) return;
    let frames;
    try {
      frames = decodeServerFrame(text);
    } catch {
      return; // the SDK reports bad frames itself
    }
    for (const ev of frames) {
      if (ev.type !== 'error' || typeof ev.re !== 'string') continue;
      const rec = this.pending.get(ev.re);
      if (rec && (ev.code === 'unavailable' || ev.code === 'rate_limited')) (rec.refused ??= []).push([Date.now(), ev.code]);
    }
  }

  /** The names `members` says are online in `room` (ChatClient.members: store members x cluster presence). */
  async online(room: string): Promise<string[]> {
    const r = await this.client.members(room);
    return r.members.filter((m) => m.online).map((m) => m.name);
  }

  /** Whether an app-level ping round trip completes within `ms` (false also when not connected). */
  async alive(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([this.client.ping().then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)))]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cuts the current connection from this side; false when there is none open. */
  drop(): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.terminate();
    return true;
  }

  /** Stops reading the current connection for `ms`; false when there is none open. */
  pauseReads(ms: number): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.pause();
    setTimeout(() => ws.resume(), ms).unref();
    return true;
  }

  /** Ends the history (the connected flag) and closes the client for good. */
  finish(): void {
    this.h.connectedAtEnd = this.open;
    this.finished = true;
    this.client.close();
  }
}
