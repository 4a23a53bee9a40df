/**
 * Per-connection outgoing queues, flushed once per event-loop turn.
 *
 * The first event queued for a connection in a turn marks it dirty; ONE setImmediate per turn flushes
 * every dirty connection: a single event is written as-is, several as one `batch` frame built by
 * concatenating the already-serialized events (no re-serialization). Idle: zero added latency. Under load:
 * natural batching, so the per-frame cost (the real budget) is paid once per connection per turn.
 *
 * Under load (src/server/transport/flush-pacer.ts) a connection written to less than the pacer's delay
 * ago waits for a timer instead of the next turn, so several turns' events leave as one frame; the
 * wait is at most that delay, and 0 while the server has time to spare.
 *
 * Bounded: when the socket still holds more than `maxBytes` unsent from earlier turns, the connection is
 * closed as a slow consumer (4500) instead of writing more; its client reconnects and resumes without
 * loss. A healthy client's backlog drains between turns, so one large turn (a burst) never trips it;
 * memory per connection stays under `maxBytes` + one turn's events.
 */
import { BATCH_HEAD as HEAD, BATCH_SEP as SEP, BATCH_TAIL as TAIL } from '../../protocol/encode.js';

/** The batch framing of the one encoder (src/protocol/encode.ts), as Buffers (concatenated, never re-serialized). */
const BATCH_HEAD = Buffer.from(HEAD);
const BATCH_SEP = Buffer.from(SEP);
const BATCH_TAIL = Buffer.from(TAIL);

export interface OutboxSink {
  /** Bytes the socket has not sent yet. */
  bufferedAmount(): number;
  write(frame: Buffer, events: number): void;
  slowConsumer(): void;
}

export class Outbox {
  private items: Buffer[] = [];
  private bytes = 0;
  dirty = false;
  closed = false;
  /** performance.now() of the last frame written (the pacer's reference). */
  lastWrite = -Infinity;

  constructor(
    readonly sink: OutboxSink,
    private readonly scheduler: FlushScheduler,
  ) {}

  /** Bytes queued in this turn, not yet handed to the socket. */
  get queuedBytes(): number {
    return this.bytes;
  }

  push(event: Buffer): void {
    if (this.closed) return;
    this.items.push(event);
    this.bytes += event.length;
    if (!this.dirty) {
      this.dirty = true;
      this.scheduler.mark(this);
    }
  }

  /** Writes what is queued as one frame. */
  flush(maxBytes: number, now = performance.now()): void {
    this.dirty = false;
    if (this.closed || this.items.length === 0) return;
    this.lastWrite = now;
    const items = this.items;
    const bytes = this.bytes;
    this.items = [];
    this.bytes = 0;
    if (this.sink.bufferedAmount() > maxBytes) {
      this.closed = true;
      this.sink.slowConsumer();
      return;
    }
    if (items.length === 1) {
      this.sink.write(items[0], 1);
      return;
    }
    const parts: Buffer[] = new Array(items.length * 2 + 1);
    parts[0] = BATCH_HEAD;
    let k = 1;
    for (let i = 0; i < items.length; i++) {
      if (i > 0) parts[k++] = BATCH_SEP;
      parts[k++] = items[i];
    }
    parts[k++] = BATCH_TAIL;
    parts.length = k;
    this.sink.write(Buffer.concat(parts, bytes + BATCH_HEAD.length + BATCH_TAIL.length + (items.length - 1) * BATCH_SEP.length), items.length);
  }

  close(): void {
    this.closed = true;
    this.items = [];
    this.bytes = 0;
  }
}

/**
 * One setImmediate per turn for all dirty outboxes; under load, one timer for those the pacer holds
 * back (written to less than its delay ago), flushed together when it fires.
 */
export class FlushScheduler {
  private dirty: Outbox[] = [];
  private scheduled = false;
  private after: (() => void)[] = [];
  private deferred: Outbox[] = [];
  private deferTimer: NodeJS.Timeout | null = null;
  private afterDeferred: (() => void)[] = [];

  constructor(
    private readonly maxBytes: number,
    private readonly pacer: { readonly delayMs: number } = { delayMs: 0 },
  ) {}

  /** Runs `fn` once what is queued now has been written (used to time fan-out and acks). */
  afterFlush(fn: () => void): void {
    this.after.push(fn);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  mark(outbox: Outbox): void {
    const delay = this.pacer.delayMs;
    if (delay > 0 && performance.now() - outbox.lastWrite < delay) {
      this.deferred.push(outbox);
      this.deferTimer ??= setTimeout(this.runDeferred, delay);
      return;
    }
    this.dirty.push(outbox);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const list = this.dirty;
    this.dirty = [];
    this.flushAll(list);
    if (this.after.length) {
      const after = this.after;
      this.after = [];
      // What waits for the timer is written then: time it then.
      if (this.deferTimer) this.afterDeferred.push(...after);
      else for (const f of after) f();
    }
  };

  private readonly runDeferred = (): void => {
    this.deferTimer = null;
    const list = this.deferred;
    this.deferred = [];
    this.flushAll(list);
    const after = this.afterDeferred;
    this.afterDeferred = [];
    for (const f of after) f();
  };

  /** Writes each outbox of `list` (one clock reading for the pacer's reference). */
  private flushAll(list: readonly Outbox[]): void {
    const now = performance.now();
    for (const o of list) o.flush(this.maxBytes, now);
  }
}
