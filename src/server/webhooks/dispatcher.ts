/**
 * The webhook dispatcher: one per node (app.ts starts it, drains it on shutdown). Every `pollMs` it re-reads
 * the enabled endpoints (which also tells the store whether to write delivery rows at all), then for each
 * endpoint claims as many due deliveries as it has free request slots (`concurrency` per endpoint: a slow
 * receiver holds at most that many requests of this node) under a lease longer than one attempt, and sends
 * each: POST, the stored body as is, signed (./signer.ts), bounded by `timeoutMs`. A 2xx is delivered;
 * anything else (another status, a timeout, a refused or reset connection) is retried after a backoff
 * (./retry.ts) until `maxAttempts`, then failed. Retention and the queue bound run every `pruneEveryMs`.
 *
 * The store is the queue: nothing is held only in memory. A node killed mid-request leaves its claimed rows
 * leased; when the lease ends any node claims them again (at-least-once: the receiver may see a delivery
 * twice, never none). With PostgreSQL several nodes claim from the same table without overlap (FOR UPDATE
 * SKIP LOCKED), so in the normal case each event goes out from exactly one node.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { WEBHOOK_HEADERS } from '../../protocol/webhooks.js';
import type { Metrics } from '../metrics.js';
import type { ClaimedDelivery, DeliveryOutcome, WebhookRecord, WebhookStore } from '../store/webhooks.js';
import { retryDelayMs } from './retry.js';
import { sign } from './signer.js';
import { checkWebhookUrl } from './url.js';

export interface DispatcherOptions {
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  pollMs: number;
  concurrency: number;
  retentionMs: number;
  keepDeliveries: number;
  maxPending: number;
  allowHosts: readonly string[];
  /** Retention and queue-bound pass interval (default 60 s, at most every poll). */
  pruneEveryMs?: number;
}

/** Rows deleted or failed per retention pass and endpoint (the next pass takes the rest). */
const PRUNE_BATCH = 5000;
const USER_AGENT = 'scale-chat-webhooks/1';

export class WebhookDispatcher {
  /** This process's lease owner id: the node id and a random suffix (a restarted node is a new owner). */
  readonly owner: string;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopped = false;
  private lastPrune = 0;
  /** When a failed poll was last logged (a store outage logs once a minute, not once a poll). */
  private lastPollWarn = 0;
  private pollFailures = 0;
  /** In-flight requests per endpoint id (bounded by concurrency each). */
  private readonly inflight = new Map<string, Set<Promise<void>>>();
  private readonly aborts = new Set<AbortController>();
  /** The enabled endpoints as last read, and when. */
  private endpoints: WebhookRecord[] | null = null;
  private endpointsAt = 0;

  constructor(
    private readonly store: WebhookStore,
    private readonly opts: DispatcherOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    nodeId: string,
  ) {
    this.owner = `${nodeId}-${randomBytes(4).toString('hex')}`;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs one poll now (and keeps polling): after a local change an admin would like to see at once. */
  kick(): void {
    if (!this.stopped && !this.polling) this.schedule(0);
  }

  /** After an endpoint changed on this node (admin API): re-read the endpoints at the next poll, now. */
  endpointsChanged(): void {
    this.endpoints = null;
    this.kick();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.polling = this.poll()
        .then(() => {
          this.pollFailures = 0;
        })
        .catch((err) => {
          this.pollFailures++;
          if (Date.now() - this.lastPollWarn < 60_000) return;
          this.lastPollWarn = Date.now();
          this.log.warn({ err: String(err), failures: this.pollFailures }, 'webhooks: poll failed (the store is unreachable?); deliveries wait in the store');
        })
        .finally(() => {
          this.polling = null;
          this.schedule(this.opts.pollMs);
        });
    }, ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    // The endpoints are re-read once per pollMs; a poll kicked by a freed slot in between uses that list.
    if (!this.endpoints || now - this.endpointsAt >= this.opts.pollMs) {
      this.endpoints = await this.store.refreshWebhooks();
      this.endpointsAt = now;
    }
    const endpoints = this.endpoints;
    for (const ep of endpoints) {
      if (this.stopped) return;
      const running = this.inflight.get(ep.id)?.size ?? 0;
      const free = this.opts.concurrency - running;
      if (free <= 0) continue;
      // The lease outlives one attempt (timeout) with a margin for the outcome's write.
      const claimed = await this.store.claimDeliveries(ep.id, this.owner, now, this.opts.timeoutMs + 5000, free);
      for (const d of claimed) this.track(ep, d);
    }
    const pruneEvery = this.opts.pruneEveryMs ?? 60_000;
    if (now - this.lastPrune >= pruneEvery) {
      this.lastPrune = now;
      const r = await this.store.pruneDeliveries({ finishedBefore: now - this.opts.retentionMs, keepFinished: this.opts.keepDeliveries, maxPending: this.opts.maxPending, now, batch: PRUNE_BATCH });
      if (r.dropped) this.log.warn({ dropped: r.dropped, maxPending: this.opts.maxPending }, 'webhooks: pending deliveries over the bound failed (queue_full)');
      this.metrics.webhookQueue.set(await this.store.pendingDeliveries());
    }
  }

  private track(ep: WebhookRecord, d: ClaimedDelivery): void {
    let set = this.inflight.get(ep.id);
    if (!set) this.inflight.set(ep.id, (set = new Set()));
    const p: Promise<void> = this.deliver(ep, d)
      .catch((err) => this.log.warn({ err: String(err), delivery: d.id }, 'webhooks: outcome not written (the lease expires, the delivery is retried)'))
      .finally(() => {
        set.delete(p);
        if (set.size === 0) this.inflight.delete(ep.id);
        // A full slot freed: more may be due at once.
        if (set.size === this.opts.concurrency - 1) this.kick();
      });
    set.add(p);
  }

  private async deliver(ep: WebhookRecord, d: ClaimedDelivery): Promise<void> {
    const outcome = await this.attempt(ep, d);
    if (this.stopped && !outcome.ok && outcome.error === 'shutdown') {
      // Drained mid-request: due again at once, for whichever node runs next.
      await this.store.finishDelivery(d.id, this.owner, { ...outcome, nextAt: Date.now() });
      return;
    }
    await this.store.finishDelivery(d.id, this.owner, outcome);
    const label = outcome.ok ? 'delivered' : outcome.nextAt === null ? 'failed' : 'retry';
    this.metrics.webhookDeliveries.inc({ outcome: label });
    if (label === 'failed') this.log.warn({ endpoint: ep.id, event: d.eventId, attempts: d.attempts, status: outcome.ok ? undefined : outcome.status, error: outcome.ok ? undefined : outcome.error }, 'webhooks: delivery failed for good');
    else this.log.debug({ endpoint: ep.id, event: d.eventId, attempts: d.attempts, outcome: label }, 'webhooks: attempt');
  }

  /** One POST; never throws. */
  private async attempt(ep: WebhookRecord, d: ClaimedDelivery): Promise<DeliveryOutcome> {
    const fail = (status: number | null, error: string | null): DeliveryOutcome => {
      const at = Date.now();
      const last = d.attempts >= this.opts.maxAttempts;
      return { ok: false, status, error, at, nextAt: last ? null : at + retryDelayMs(d.attempts, this.opts.retryBaseMs) };
    };
    const url = checkWebhookUrl(ep.url, this.opts.allowHosts);
    if (!url.ok) return { ok: false, status: null, error: 'url_not_allowed', at: Date.now(), nextAt: null };
    const ac = new AbortController();
    this.aborts.add(ac);
    const timer = setTimeout(() => ac.abort(new Error('timeout')), this.opts.timeoutMs);
    const t0 = performance.now();
    const ts = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(url.url, {
        method: 'POST',
        body: d.body,
        redirect: 'manual',
        signal: ac.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          [WEBHOOK_HEADERS.eventId]: d.eventId,
          [WEBHOOK_HEADERS.eventType]: d.type,
          [WEBHOOK_HEADERS.timestamp]: String(ts),
          [WEBHOOK_HEADERS.signature]: sign(ep.secret, ts, d.body),
        },
      });
      // The answer's body is not read (a receiver cannot make this node buffer anything).
      await res.body?.cancel().catch(() => {});
      this.metrics.webhookSeconds.observe((performance.now() - t0) / 1000);
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, at: Date.now() };
      return fail(res.status, null);
    } catch (err) {
      if (ac.signal.aborted) return fail(null, this.stopped ? 'shutdown' : 'timeout');
      return fail(null, errorCode(err));
    } finally {
      clearTimeout(timer);
      this.aborts.delete(ac);
    }
  }

  /**
   * Stops claiming, lets the requests in flight finish for up to `boundMs`, then aborts the rest (they are
   * due again at once). Resolves once every outcome is written (before the store closes).
   */
  async stop(boundMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling?.catch(() => {});
    const all = () => [...this.inflight.values()].flatMap((s) => [...s]);
    if (all().length) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled(all()), new Promise((r) => (t = setTimeout(r, boundMs)))]);
      clearTimeout(t);
    }
    for (const ac of this.aborts) ac.abort(new Error('shutdown'));
    await Promise.allSettled(all());
  }
}

/** A short reason for a request that got no HTTP answer (ECONNREFUSED, ECONNRESET, ...). */
function errorCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = cause && typeof cause.code === 'string' ? cause.code : undefined;
  if (code) return code.slice(0, 64);
  const msg = cause && typeof cause.message === 'string' ? cause.message : String((err as Error)?.message ?? err);
  return msg.slice(0, 120);
}
