/**
 * The send queue: every request and message send that is waiting for its reply (the server's
 * per-connection frame queue is a different thing, `Outbox` in src/server/transport/outbox.ts).
 *
 * - Requests (`join`, `history`, ...) carry an `id` and get exactly one reply with `re` = id, or an
 *   `error` with `re`. Made while not connected, they are queued and sent when the connection is
 *   ready. When a connection drops after a request was sent, idempotent requests (`retry: true`)
 *   are resent on the next connection; the others are rejected with 'disconnected' (they may or may
 *   not have been carried out). Each has a deadline (requestTimeoutMs from the call) => 'timeout'.
 * - Sends (`send`, and the changes `edit`, `remove`, `react`) carry the client-chosen message id and are answered by `ack {id}` (or an error
 *   with `re` = id). The server dedupes by id, so an unacked send is resent with the same id on
 *   every new connection until acked or its deadline (ackTimeoutMs) passes. `rate_limited` and
 *   `unavailable` errors schedule a resend after `retryAfterMs` instead of failing.
 *
 * Entries go out in call order (one Map, insertion-ordered). The socket is reached through
 * `transmit`, which returns false when there is no ready connection.
 */
import type { ClientFrame, ClientFrameOf } from '../protocol/schema.js';
import type { AckFrame, ServerEvent } from '../protocol/types.js';
import { ChatError } from './errors.js';

type Timer = ReturnType<typeof setTimeout>;

/** Frames the server answers with `ack {id}`: a send and the message changes (all deduplicated by id). */
export type AckedFrame = ClientFrameOf<'send'> | ClientFrameOf<'edit'> | ClientFrameOf<'remove'> | ClientFrameOf<'react'>;

interface Entry {
  key: string;
  frame: ClientFrame;
  isSend: boolean;
  /** Resend after a reconnect if it was already sent (always true for sends). */
  retry: boolean;
  /** Sent on the current connection, reply pending. */
  inFlight: boolean;
  deadline: Timer;
  /** Pending delayed resend (rate_limited / unavailable). */
  retryTimer?: Timer;
  onSent?: (at: number) => void;
  resolve: (ev: ServerEvent) => void;
  reject: (err: ChatError) => void;
  promise: Promise<ServerEvent>;
}

export interface SendQueueHost {
  /** Writes a frame to the ready connection; false when there is none. */
  transmit(frame: ClientFrame): boolean;
  now(): number;
  /** Default resend delay for `unavailable` without retryAfterMs. */
  defaultRetryMs: number;
}

/** Send errors that mean "not carried out, try again later" (same id, so never a duplicate). */
const RETRYABLE_SEND_ERRORS = new Set<string>(['rate_limited', 'unavailable']);

export class SendQueue {
  private readonly entries = new Map<string, Entry>();
  private connected = false;

  constructor(private readonly host: SendQueueHost) {}

  get size(): number {
    return this.entries.size;
  }

  /** Number of sends not yet acknowledged. */
  get unacked(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.isSend) n++;
    return n;
  }

  /** Queues a request frame (must carry `id`) and resolves with its reply frame. */
  request(
    frame: ClientFrame & { id: string },
    opts: { timeoutMs: number; retry: boolean; onSent?: (at: number) => void },
  ): Promise<ServerEvent> {
    return this.add('r:' + frame.id, frame, false, opts.retry, opts.timeoutMs, opts.onSent);
  }

  /** Queues a message send or change (answered by `ack`); a second send() with a pending id returns the same promise. */
  send(frame: AckedFrame, timeoutMs: number): Promise<AckFrame> {
    const existing = this.entries.get('s:' + frame.id);
    if (existing) return existing.promise as Promise<AckFrame>;
    return this.add('s:' + frame.id, frame, true, true, timeoutMs) as Promise<AckFrame>;
  }

  private add(
    key: string,
    frame: ClientFrame,
    isSend: boolean,
    retry: boolean,
    timeoutMs: number,
    onSent?: (at: number) => void,
  ): Promise<ServerEvent> {
    if (this.entries.has(key)) return Promise.reject(new ChatError('bad_frame', `duplicate request id ${key.slice(2)}`));
    let resolve!: (ev: ServerEvent) => void;
    let reject!: (err: ChatError) => void;
    const promise = new Promise<ServerEvent>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const what = isSend ? `send ${key.slice(2)}` : `${frame.type} request`;
    const deadline = setTimeout(() => {
      this.finish(key)?.reject(new ChatError('timeout', `${what} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const entry: Entry = { key, frame, isSend, retry, inFlight: false, deadline, onSent, resolve, reject, promise };
    this.entries.set(key, entry);
    if (this.connected) this.transmit(entry);
    return promise;
  }

  private transmit(e: Entry): void {
    if (!this.host.transmit(e.frame)) return;
    e.inFlight = true;
    e.onSent?.(this.host.now());
  }

  /** Removes an entry and clears its timers; returns it if it was pending. */
  private finish(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    clearTimeout(e.deadline);
    if (e.retryTimer !== undefined) clearTimeout(e.retryTimer);
    return e;
  }

  /** A connection became ready: send everything not in flight, in call order. */
  online(): void {
    this.connected = true;
    for (const e of [...this.entries.values()]) {
      if (!this.connected) return; // transmit failed / connection lost meanwhile
      if (!e.inFlight && e.retryTimer === undefined) this.transmit(e);
    }
  }

  /** The connection was lost: in-flight non-retryable requests fail, the rest wait for online(). */
  offline(): void {
    this.connected = false;
    for (const e of [...this.entries.values()]) {
      if (!e.inFlight) continue;
      e.inFlight = false;
      if (!e.retry) {
        this.finish(e.key)?.reject(
          new ChatError('disconnected', `connection lost before the reply to ${e.frame.type}: it may or may not have been carried out`),
        );
      }
    }
  }

  /** Routes a server frame that may answer an entry; returns true when it did. */
  handle(ev: ServerEvent): boolean {
    if (ev.type === 'ack') {
      const e = this.finish('s:' + ev.id);
      e?.resolve(ev);
      return e !== undefined;
    }
    const re = (ev as { re?: unknown }).re;
    if (typeof re !== 'string') return false;
    if (ev.type !== 'error') {
      const e = this.finish('r:' + re);
      e?.resolve(ev);
      return e !== undefined;
    }
    const req = this.finish('r:' + re);
    if (req) {
      req.reject(ChatError.fromFrame(ev));
      return true;
    }
    const send = this.entries.get('s:' + re);
    if (!send) return false;
    if (RETRYABLE_SEND_ERRORS.has(ev.code)) {
      send.inFlight = false;
      if (send.retryTimer !== undefined) clearTimeout(send.retryTimer);
      send.retryTimer = setTimeout(() => {
        send.retryTimer = undefined;
        if (this.connected && this.entries.get(send.key) === send && !send.inFlight) this.transmit(send);
      }, Math.max(0, ev.retryAfterMs ?? this.host.defaultRetryMs));
    } else {
      this.finish(send.key)?.reject(ChatError.fromFrame(ev));
    }
    return true;
  }

  /** Rejects everything (client closed). */
  rejectAll(err: ChatError): void {
    this.connected = false;
    for (const key of [...this.entries.keys()]) this.finish(key)?.reject(err);
  }
}
