/**
 * Webhook endpoints and their outbox on SQLite (../webhooks.ts has the contract). `record` runs inside the
 * caller's transaction (append, createRoom, addMember, removeMember in ./chat.ts): one INSERT ... SELECT per
 * event writes a delivery row for each enabled endpoint subscribed to its type. One process writes (or
 * several `serve --workers` processes sharing the file, serialized by SQLite's write lock): a claim is one
 * UPDATE ... RETURNING, atomic under that lock.
 */
import type Database from 'better-sqlite3';
import {
  eventsColumn,
  toDelivery,
  toWebhook,
  type ClaimedDelivery,
  type DeliveryDbRow,
  type DeliveryOutcome,
  type DeliveryRow,
  type EndpointDbRow,
  type OutboxEvent,
  type WebhookPatch,
  type WebhookRecord,
  type WebhookWithCounts,
} from '../webhooks.js';
import type { WebhookEventType } from '../../../protocol/webhooks.js';
import { lim } from '../rows.js';

function prepare(db: Database.Database) {
  return {
    enabled: db.prepare<[], EndpointDbRow>('SELECT * FROM webhook_endpoints WHERE enabled = 1 ORDER BY created_at ASC, id ASC'),
    record: db.prepare(
      `INSERT INTO webhook_deliveries (endpoint, event_id, type, body, created_at, next_at)
       SELECT id, @event_id, @type, @body, @now, @now FROM webhook_endpoints
        WHERE enabled = 1 AND (events = '' OR instr(events, @needle) > 0)`,
    ),
    insert: db.prepare(
      `INSERT INTO webhook_endpoints (id, url, description, events, secret, enabled, created_at, created_by)
       VALUES (@id, @url, @description, @events, @secret, @enabled, @created_at, @created_by)`,
    ),
    get: db.prepare<[string], EndpointDbRow>('SELECT * FROM webhook_endpoints WHERE id = ?'),
    list: db.prepare<[], EndpointDbRow & { pending: number; failed: number; delivered: number }>(
      `SELECT e.*,
              (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint = e.id AND d.state = 'pending') AS pending,
              (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint = e.id AND d.state = 'failed') AS failed,
              (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint = e.id AND d.state = 'delivered') AS delivered
         FROM webhook_endpoints e ORDER BY e.created_at ASC, e.id ASC`,
    ),
    remove: db.prepare('DELETE FROM webhook_endpoints WHERE id = ?'),
    deliveries: db.prepare<[string, number, number], DeliveryDbRow>(
      `SELECT id, event_id, type, state, attempts, last_status, last_error, created_at, next_at, finished_at
         FROM webhook_deliveries WHERE endpoint = ? AND id < ? ORDER BY id DESC LIMIT ?`,
    ),
    claim: db.prepare<[number, string, string, number, number, number], { id: number; endpoint: string; event_id: string; type: string; body: string; attempts: number }>(
      `UPDATE webhook_deliveries SET lease_until = ?, lease_owner = ?, attempts = attempts + 1
        WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint AND e.enabled = 1
                      WHERE d.endpoint = ? AND d.state = 'pending' AND d.next_at <= ? AND d.lease_until <= ?
                      ORDER BY d.next_at, d.id LIMIT ?)
        RETURNING id, endpoint, event_id, type, body, attempts`,
    ),
    delivered: db.prepare(
      `UPDATE webhook_deliveries SET state = 'delivered', finished_at = ?, last_status = ?, last_error = NULL, next_at = NULL, lease_until = 0, lease_owner = NULL
        WHERE id = ? AND state = 'pending'`,
    ),
    retry: db.prepare(
      `UPDATE webhook_deliveries SET next_at = ?, last_status = ?, last_error = ?, lease_until = 0, lease_owner = NULL
        WHERE id = ? AND state = 'pending' AND lease_owner = ?`,
    ),
    failed: db.prepare(
      `UPDATE webhook_deliveries SET state = 'failed', finished_at = ?, last_status = ?, last_error = ?, next_at = NULL, lease_until = 0, lease_owner = NULL
        WHERE id = ? AND state = 'pending' AND lease_owner = ?`,
    ),
    pruneOld: db.prepare(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND finished_at < ? LIMIT ?)`,
    ),
    endpoints: db.prepare<[], { id: string }>('SELECT id FROM webhook_endpoints'),
    // The id of the keep-th newest finished row of an endpoint: rows at or below it go.
    finishedCut: db.prepare<[string, number], { id: number }>(
      `SELECT id FROM webhook_deliveries WHERE endpoint = ? AND state <> 'pending' ORDER BY id DESC LIMIT 1 OFFSET ?`,
    ),
    pruneBeyond: db.prepare(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE endpoint = ? AND state <> 'pending' AND id <= ? LIMIT ?)`,
    ),
    pendingCut: db.prepare<[string, number], { id: number }>(
      `SELECT id FROM webhook_deliveries WHERE endpoint = ? AND state = 'pending' ORDER BY id DESC LIMIT 1 OFFSET ?`,
    ),
    dropBeyond: db.prepare(
      `UPDATE webhook_deliveries SET state = 'failed', finished_at = ?, last_error = 'queue_full', next_at = NULL, lease_owner = NULL
        WHERE id IN (SELECT id FROM webhook_deliveries WHERE endpoint = ? AND state = 'pending' AND id <= ? AND lease_until <= ? LIMIT ?)`,
    ),
    pending: db.prepare<[], { n: number }>(
      `SELECT COUNT(*) AS n FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint AND e.enabled = 1 WHERE d.state = 'pending'`,
    ),
    memberName: db.prepare<[string], { name: string }>('SELECT name FROM users WHERE id = ?'),
  };
}

type Statements = ReturnType<typeof prepare>;

export class SqliteWebhooks {
  /** Any endpoint enabled (cached; see ../webhooks.ts). */
  on = false;
  private st: Statements | null = null;

  constructor(private readonly db: Database.Database) {}

  /** After the migrations. */
  init(): void {
    this.st ??= prepare(this.db);
    this.refresh();
  }

  close(): void {
    this.st = null;
  }

  private get s(): Statements {
    if (!this.st) throw new Error('SqliteStore is closed or not initialized');
    return this.st;
  }

  refresh(): WebhookRecord[] {
    const rows = this.s.enabled.all().map(toWebhook);
    this.on = rows.length > 0;
    return rows;
  }

  /** Inside the caller's transaction: a delivery row per enabled endpoint subscribed to each event. */
  record(events: readonly OutboxEvent[], now = Date.now()): void {
    const s = this.s;
    for (const e of events) s.record.run({ event_id: e.id, type: e.type, body: e.body, now, needle: `,${e.type},` });
  }

  /** A user's name, for member events (inside the caller's transaction). */
  userName(uid: string): string {
    return this.s.memberName.get(uid)?.name ?? uid;
  }

  create(w: WebhookRecord): void {
    this.s.insert.run({ id: w.id, url: w.url, description: w.description, events: eventsColumn(w.events), secret: w.secret, enabled: w.enabled ? 1 : 0, created_at: w.createdAt, created_by: w.createdBy });
    this.refresh();
  }

  get(id: string): WebhookRecord | null {
    const r = this.s.get.get(id);
    return r ? toWebhook(r) : null;
  }

  list(): WebhookWithCounts[] {
    return this.s.list.all().map((r) => ({ ...toWebhook(r), pending: r.pending, failed: r.failed, delivered: r.delivered }));
  }

  update(id: string, p: WebhookPatch): boolean {
    const sets: string[] = [];
    const vals: Record<string, unknown> = { id };
    if (p.enabled !== undefined) (sets.push('enabled = @enabled'), (vals.enabled = p.enabled ? 1 : 0));
    if (p.secret !== undefined) (sets.push('secret = @secret'), (vals.secret = p.secret));
    if (p.description !== undefined) (sets.push('description = @description'), (vals.description = p.description));
    if (p.events !== undefined) (sets.push('events = @events'), (vals.events = eventsColumn(p.events as WebhookEventType[])));
    if (p.url !== undefined) (sets.push('url = @url'), (vals.url = p.url));
    const changed = sets.length
      ? this.db.prepare(`UPDATE webhook_endpoints SET ${sets.join(', ')} WHERE id = @id`).run(vals).changes > 0
      : this.s.get.get(id) !== undefined;
    this.refresh();
    return changed;
  }

  remove(id: string): boolean {
    const n = this.s.remove.run(id).changes;
    this.refresh();
    return n > 0;
  }

  deliveries(endpoint: string, limit: number, before?: number): DeliveryRow[] {
    return this.s.deliveries.all(endpoint, before ?? Number.MAX_SAFE_INTEGER, lim(limit)).map(toDelivery);
  }

  claim(endpoint: string, owner: string, now: number, leaseMs: number, limit: number): ClaimedDelivery[] {
    if (limit <= 0) return [];
    return this.s.claim
      .all(now + leaseMs, owner, endpoint, now, now, lim(limit))
      .sort((a, b) => a.id - b.id)
      .map((r) => ({ id: r.id, endpoint: r.endpoint, eventId: r.event_id, type: r.type as WebhookEventType, body: r.body, attempts: r.attempts }));
  }

  finish(id: number, owner: string, o: DeliveryOutcome): boolean {
    const s = this.s;
    if (o.ok) return s.delivered.run(o.at, o.status, id).changes > 0;
    if (o.nextAt === null) return s.failed.run(o.at, o.status, o.error, id, owner).changes > 0;
    return s.retry.run(o.nextAt, o.status, o.error, id, owner).changes > 0;
  }

  prune(o: { finishedBefore: number; keepFinished: number; maxPending: number; now: number; batch: number }): { deleted: number; dropped: number } {
    const s = this.s;
    let deleted = s.pruneOld.run(o.finishedBefore, o.batch).changes;
    let dropped = 0;
    for (const { id } of s.endpoints.all()) {
      const cut = s.finishedCut.get(id, o.keepFinished);
      if (cut) deleted += s.pruneBeyond.run(id, cut.id, o.batch).changes;
      const pcut = s.pendingCut.get(id, o.maxPending);
      if (pcut) dropped += s.dropBeyond.run(o.now, id, pcut.id, o.now, o.batch).changes;
    }
    return { deleted, dropped };
  }

  pending(): number {
    return this.s.pending.get()!.n;
  }
}
