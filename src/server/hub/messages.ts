/**
 * The message pipeline: membership-checked sends are queued, and once per event-loop turn the queue is
 * written to the store in ONE transaction (group commit). Only after the commit are the senders acked
 * and the events published, in seq order: what was acknowledged is durable, and what is delivered has
 * a seq. One commit is in flight at a time, which keeps publication in seq order with async stores.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ackFrame, encodeMsg } from '../../protocol/encode.js';
import { roomTopic, type Bus } from '../bus/bus.js';
import type { Metrics } from '../metrics.js';
import type { AppendPolicy, ChatStore, NewMessage } from '../store/store.js';
import type { AfterFlush, HubConn } from './conn.js';

interface Pending {
  conn: HubConn;
  msg: NewMessage;
  /** performance.now() at receipt */
  at: number;
}

export class MessagePipeline {
  private pending: Pending[] = [];
  private scheduled = false;
  private inflight: Promise<void> | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: ChatStore,
    private readonly bus: Bus,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly scheduler: AfterFlush,
    /** Bound of the queue: beyond it sends are refused with `unavailable` (the store is not keeping up). */
    /** The rules for message changes (the edit window). */
    private readonly policy: AppendPolicy = { editWindowMs: 0 },
    private readonly maxPending = 50_000,
    private readonly maxBatch = 2_000,
  ) {}

  /** Queues a message; false when the queue is full. */
  submit(conn: HubConn, msg: NewMessage): boolean {
    if (this.pending.length >= this.maxPending) return false;
    this.pending.push({ conn, msg, at: performance.now() });
    this.schedule();
    return true;
  }

  /** Resolves when nothing is queued or being committed (used by the drain). */
  idle(): Promise<void> {
    if (!this.pending.length && !this.inflight) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inflight) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.maxBatch);
    if (!batch.length) return this.settle();
    this.inflight = this.commit(batch).finally(() => {
      this.inflight = null;
      if (this.pending.length) this.schedule();
      else this.settle();
    });
  };

  private settle(): void {
    if (this.pending.length || this.inflight) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  private async commit(batch: Pending[]): Promise<void> {
    const started = performance.now();
    let results;
    try {
      results = await this.store.append(
        batch.map((p) => p.msg),
        this.policy,
      );
    } catch (err) {
      const ref = randomUUID().slice(0, 8);
      this.log.error({ err, ref, messages: batch.length }, 'store append failed: messages refused, not acknowledged');
      for (const p of batch) p.conn.error('unavailable', `message not stored (store unavailable, ref ${ref}): retry`, p.msg.id);
      return;
    }
    this.metrics.commitSeconds.observe((performance.now() - started) / 1000);
    this.metrics.commitBatch.observe(batch.length);
    // Acks and local deliveries queued below are written by the next flush: time them then.
    this.scheduler.afterFlush(() => {
      const now = performance.now();
      for (let i = 0; i < batch.length; i++) {
        const s = (now - batch[i].at) / 1000;
        this.metrics.ackSeconds.observe(s);
        if (!results[i].duplicate) this.metrics.fanoutSeconds.observe(s);
      }
    });
    for (let i = 0; i < batch.length; i++) {
      const { message: m, duplicate } = results[i];
      const sent = batch[i].msg;
      const refused = results[i].refused;
      if (refused) {
        batch[i].conn.error(refused.code, refused.message, sent.id);
        continue;
      }
      if (results[i].conflict) {
        batch[i].conn.error('id_conflict', `message id "${sent.id}" was already used for another message: use a new id`, sent.id);
        continue;
      }
      batch[i].conn.send(ackFrame(m));
      if (duplicate) continue;
      this.metrics.messagesAccepted.inc();
      // The hot path: one object for the bus (no options object to merge). A change event is a tombstone carrying its change.
      this.bus.publish(roomTopic(m.room), { json: encodeMsg(m), seq: m.seq });
    }
  }
}
