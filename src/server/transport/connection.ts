/**
 * One client connection: the socket, its outbox, its rate limiter and what the hub knows of it
 * (user, rooms, events held back while entering a room). Implements the hub's HubConn.
 */
import type { WebSocket } from 'ws';
import type { ErrorCode } from '../../protocol/codes.js';
import { encodeEvent } from '../../protocol/encode.js';
import type { ErrorFrame, ServerEvent } from '../../protocol/types.js';
import type { ConnUser, HubConn } from '../hub/conn.js';
import type { Metrics } from '../metrics.js';
import { FlushScheduler, Outbox } from './outbox.js';
import { TokenBucket } from '../../protocol/token-bucket.js';

/** Live events held for a room while its missed messages are read from the store. */
interface Held {
  events: { seq: number; data: Buffer }[];
}

export class Conn implements HubConn {
  user: ConnUser | null = null;
  /** Rooms this connection is registered for (the user's memberships). */
  readonly rooms = new Set<string>();
  /** Receive presence diffs. */
  presence = true;
  /** Any frame (or pong) seen since the last heartbeat tick. */
  alive = true;
  closing = false;
  readonly outbox: Outbox;
  readonly bucket: TokenBucket;
  /** Times of recent rate-limited frames (flood detection). */
  limitedAt: number[] = [];
  /** Rooms being replayed (created on the first hold: most connections never need it). */
  private held: Map<string, Held> | null = null;

  constructor(
    /** Cluster-unique connection id (node id + counter): used in logs and `excludeConn`. */
    readonly id: string,
    readonly ws: WebSocket,
    readonly ip: string,
    scheduler: FlushScheduler,
    private readonly metrics: Metrics,
    ratePerSec: number,
    rateBurst: number,
    onSlow: (conn: Conn) => void,
    /** Unsent bytes past which the connection counts as backlogged (the gateway's bound, tighter under pressure). */
    private readonly backlogLimit: () => number,
  ) {
    this.bucket = new TokenBucket(ratePerSec, rateBurst);
    this.outbox = new Outbox(
      {
        bufferedAmount: () => ws.bufferedAmount,
        write: (frame, events) => {
          metrics.framesOut.inc();
          metrics.bytesOut.inc(frame.length);
          metrics.eventsPerFrame.observe(events);
          ws.send(frame, { binary: false, compress: false });
        },
        slowConsumer: () => onSlow(this),
      },
      scheduler,
    );
  }

  /** Bytes written to this connection and not yet sent: queued this turn plus held by the socket. */
  pendingBytes(): number {
    return this.outbox.queuedBytes + this.ws.bufferedAmount;
  }

  /** More than the backlog bound is unsent: its frames wait unread and replays stop (gateway, hub). */
  backlogged(): boolean {
    return this.pendingBytes() > this.backlogLimit();
  }

  /** Queues an already-serialized event. */
  push(data: Buffer): void {
    this.outbox.push(data);
  }

  /** Serializes and queues one event addressed to this connection only. */
  send(event: ServerEvent): void {
    this.outbox.push(Buffer.from(encodeEvent(event)));
  }

  error(code: ErrorCode, message: string, re?: string, retryAfterMs?: number): void {
    this.metrics.errors.inc({ code });
    const frame: ErrorFrame = { type: 'error', code, message };
    if (re !== undefined) frame.re = re;
    if (retryAfterMs !== undefined) frame.retryAfterMs = retryAfterMs;
    this.send(frame);
  }

  /** Delivers a room event, or holds it while that room is being replayed. */
  deliver(room: string, data: Buffer, seq: number | undefined): void {
    const h = this.held?.get(room);
    if (h && seq !== undefined) h.events.push({ seq, data });
    else this.outbox.push(data);
  }

  hold(room: string): void {
    this.held ??= new Map();
    if (!this.held.has(room)) this.held.set(room, { events: [] });
  }

  /** Stops holding `room`, delivering held events with seq > `afterSeq` in order. */
  release(room: string, afterSeq: number): void {
    const h = this.held?.get(room);
    if (!h) return;
    this.held!.delete(room);
    if (this.held!.size === 0) this.held = null;
    for (const e of h.events) if (e.seq > afterSeq) this.outbox.push(e.data);
  }

  /** Closes with a code: flushes what is queued first (the error frame explaining the close). */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.metrics.closes.inc({ code: String(code) });
    this.outbox.flush(Number.MAX_SAFE_INTEGER);
    this.outbox.close();
    this.ws.close(code, reason.slice(0, 120));
  }

  terminate(): void {
    this.closing = true;
    this.outbox.close();
    this.ws.terminate();
  }
}
