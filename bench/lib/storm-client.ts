/**
 * One reconnect-storm client: the real SDK ChatClient (src/client/: full-jitter backoff, token
 * hello with the per-room resume seqs, replay and gap filling, resend of unacked sends with the
 * same id), over a chosen transport (./storm-socket.ts: lean or `ws`) from a chosen source address,
 * with the load generator's lazy frame decoder (src/loadtest/fastframe.ts). Around it, what the storm benchmark records, without changing what
 * the SDK does:
 *  - every connection attempt after the kill (when the SDK opened the socket, after its backoff) and
 *    why each failed one failed (the socket's error code, an HTTP status, or the close code), as its
 *    transport reports them;
 *  - the first welcome after the kill, and when the client had resumed: that welcome, and every
 *    room's seq at least the room's `lastSeq` in it (the replay done, or nothing to replay);
 *  - what reached the application (the SDK's `message` event: seqs of its room) and what came on
 *    the wire (msg events, to count duplicates the SDK drops), and on which connection each ack came
 *    (on the one the kill cut, or an earlier one: acked before the kill).
 */
import { ChatClient, ChatError, createIdFactory, type MsgEvent } from '../../src/client/index.js';
import { FastDecoder } from '../../src/loadtest/fastframe.js';
import type { ClientTimes, SendRecord } from './storm-ipc.js';
import { socketClass, type SocketObserver, type Transport } from './storm-socket.js';

/** Ids seen per room and seq, shared by the clients of a generator (the first id seen wins). */
export type Observed = Map<string, Map<number, string>>;

export class StormClient {
  readonly client: ChatClient;
  /** Seqs of `room` handed to the application, in order. */
  readonly delivered: number[] = [];
  private readonly wireSeen = new Set<number>();
  wireDuplicates = 0;
  /** The room's seq after joining (deliveries start after it). */
  start = 0;
  ready = false;
  /** Connections lost so far. */
  private conn = 0;
  private welcomes = 0;
  /** The kill is coming: record the storm from now on. */
  private armed = false;
  /** `conn` when armed: the connection the kill will cut (a setup hiccup may have replaced the first one). */
  private killConn = 0;
  readonly times: ClientTimes = { lostAt: NaN, welcomeAt: NaN, resumedAt: NaN, attempts: [], failures: [], closed: null, replays: 0 };
  private targets: [string, number][] | null = null;
  readonly sends = new Map<string, SendRecord>();
  private sent = 0;
  private readonly newId = createIdFactory();

  constructor(
    readonly index: number,
    readonly room: string,
    url: string,
    sourceIp: string,
    ackTimeoutMs: number,
    private readonly observed: Observed,
    transport: Transport,
  ) {
    const decoder = new FastDecoder();
    this.client = new ChatClient({
      url,
      WebSocket: socketClass(transport, sourceIp, { attempt: () => this.attempt() }),
      auth: { kind: 'guest', name: `s${index}` },
      presence: false,
      ackTimeoutMs,
      requestTimeoutMs: 30_000,
      decodeFrame: (data) => this.onFrame(decoder.decode(data)),
    });
    const c = this.client;
    c.on('retry', () => {
      this.conn++;
      if (!this.armed) return;
      if (Number.isNaN(this.times.lostAt)) this.times.lostAt = Date.now();
    });
    c.on('welcome', (w) => {
      this.welcomes++;
      if (!this.armed || this.conn === this.killConn || !Number.isNaN(this.times.welcomeAt)) return;
      this.times.welcomeAt = Date.now();
      this.targets = w.rooms.map((r) => [r.id, r.lastSeq]);
      this.checkResumed();
    });
    c.on('message', (m) => this.onMessage(m));
    c.on('state', (ch) => {
      if (ch.to === 'closed' && this.armed) this.times.closed = ch.error ? (ch.error.closeCode ? `close ${ch.error.closeCode}` : ch.error.code) : 'close()';
    });
  }

  /** The kill follows: from now on a lost connection is the storm. */
  arm(): void {
    this.armed = true;
    this.killConn = this.conn;
  }

  get resumed(): boolean {
    return !Number.isNaN(this.times.resumedAt);
  }

  /** Its room's seq as the SDK tracks it. */
  get position(): number {
    return this.client.lastSeq(this.room) ?? 0;
  }

  /** Connects as a new guest and enters its room (join, or create it if nobody has yet). */
  async setup(): Promise<void> {
    await this.client.connect();
    for (let i = 0; i < 3 && !this.ready; i++) {
      try {
        await this.client.join(this.room);
        this.ready = true;
      } catch (err) {
        if (!(err instanceof ChatError) || err.code !== 'no_such_room') throw err;
        try {
          await this.client.create(this.room, 'public');
          this.ready = true;
        } catch (e) {
          if (!(e instanceof ChatError) || e.code !== 'room_exists') throw e;
        }
      }
    }
    if (!this.ready) throw new ChatError('no_such_room', `could not join or create ${this.room}`);
    this.start = this.position;
  }

  /** One acked send (the SDK resends it with the same id after a reconnect until its ack or ackTimeoutMs). */
  send(burst: boolean): Promise<void> {
    const id = this.newId();
    this.sent++;
    const rec: SendRecord = { room: this.room, id, seq: null, ts: null, preKill: false, burst };
    this.sends.set(id, rec);
    return this.client.send(this.room, `storm ${this.index} ${this.sent}`, { id }).then(
      (ack) => {
        rec.seq = ack.seq;
        rec.ts = ack.ts;
      },
      (err: unknown) => {
        rec.error = err instanceof ChatError ? err.code : String(err);
      },
    );
  }

  close(): void {
    this.client.close();
  }

  /** Called with every decoded frame before the SDK sees it. */
  private onFrame(events: ReturnType<FastDecoder['decode']>): ReturnType<FastDecoder['decode']> {
    for (const ev of events) {
      if (ev.type === 'ack') {
        const rec = this.sends.get(ev.id);
        if (rec && rec.seq === null) rec.preKill = !this.armed || this.conn === this.killConn;
      } else if (ev.type === 'resume') {
        if (this.armed) this.times.replays++;
      } else if (ev.type === 'msg' && ev.room === this.room) {
        if (this.wireSeen.has(ev.seq)) this.wireDuplicates++;
        else this.wireSeen.add(ev.seq);
      }
    }
    return events;
  }

  private onMessage(m: MsgEvent): void {
    if (m.room !== this.room) return;
    this.delivered.push(m.seq);
    let ids = this.observed.get(m.room);
    if (!ids) this.observed.set(m.room, (ids = new Map()));
    if (!ids.has(m.seq)) ids.set(m.seq, m.id);
    if (this.targets && !this.resumed) this.checkResumed();
  }

  private checkResumed(): void {
    for (const [room, seq] of this.targets!) if ((this.client.lastSeq(room) ?? 0) < seq) return;
    this.times.resumedAt = Date.now();
  }

  /** Each connection attempt: recorded after the kill, with why it failed when no welcome came on it. */
  private attempt(): ReturnType<SocketObserver['attempt']> {
    const welcomesBefore = this.welcomes;
    const startedAt = Date.now();
    const storm = this.armed && this.conn > this.killConn;
    if (storm) this.times.attempts.push(startedAt);
    let why = '';
    return {
      error: (w) => {
        why ||= w;
      },
      closed: (code) => {
        if (storm && this.welcomes === welcomesBefore) this.times.failures.push([startedAt, why || `close ${code}`]);
      },
    };
  }
}
