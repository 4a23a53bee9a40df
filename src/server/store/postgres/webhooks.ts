/**
 * Webhook endpoints and their outbox on PostgreSQL (../webhooks.ts has the contract), shared by every node.
 * `record` runs on the caller's transaction client (append, createRoom, addMember, removeMember in
 * ./chat.ts): one INSERT ... SELECT for all the events of the transaction. A claim is one UPDATE over a
 * `FOR UPDATE SKIP LOCKED` selection: two nodes claiming at once get disjoint rows, and a row stays with
 * its node until its lease runs out.
 */
import type pg from 'pg';
import type { WebhookEventType } from '../../../protocol/webhooks.js';
import { lim } from '../rows.js';
import type { NewMessage } from '../store.js';
import { messageEvents } from '../webhook-events.js';
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

type Runner = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export class PostgresWebhooks {
  /** Any endpoint enabled (cached; see ../webhooks.ts). */
  on = false;

  /**
   * The plain-send fast path with webhooks (./chat.ts appendOnce): the batch insert and the deliveries of
   * its messages in ONE statement (so one transaction, with no round trip while the rooms are locked). The
   * bodies are built before the seqs are known, with `"seq":-1,` in place of the seq, which the statement
   * fills in (`"seq":-1,` can only be that key: quotes inside JSON strings are escaped).
   * $1-$7 as ./chat.ts INSERT_BATCH_SQL (the bots' flags $7), $8 event ids, $9 bodies (by batch position), $10 now.
   */
  static readonly INSERT_BATCH_SQL = `
    WITH ins AS (SELECT o_ord, o_seq FROM scalechat_insert_batch_bots($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::boolean[])),
         ev AS (
           INSERT INTO webhook_deliveries (endpoint, event_id, type, body, created_at, next_at)
           SELECT e.id, x.eid, 'message.created', replace(x.body, '"seq":-1,', '"seq":' || ins.o_seq || ','), $10, $10
             FROM ins
             JOIN unnest($8::text[], $9::text[]) WITH ORDINALITY AS x (eid, body, ord) ON x.ord = ins.o_ord
             JOIN webhook_endpoints e ON e.enabled AND (e.events = '' OR position(',message.created,' in e.events) > 0)
            ORDER BY ins.o_ord, e.id)
    SELECT o_ord, o_seq FROM ins`;

  /** $8-$10 of INSERT_BATCH_SQL for these plain sends (no reply, no mention, no change). */
  createdArgs(fresh: readonly NewMessage[], now = Date.now()): [string[], string[], number] {
    const evs = messageEvents(fresh.map((m) => ({ message: { room: m.room, seq: -1, id: m.id, uid: m.uid, user: m.user, text: m.text, ts: m.ts, ...(m.bot ? { bot: true } : {}) }, duplicate: false, conflict: false })), now);
    return [evs.map((e) => e.id), evs.map((e) => e.body), now];
  }

  constructor(private readonly db: () => Runner) {}

  async refresh(): Promise<WebhookRecord[]> {
    const r = await this.db().query<EndpointDbRow>('SELECT * FROM webhook_endpoints WHERE enabled ORDER BY created_at ASC, id ASC');
    this.on = r.rows.length > 0;
    return r.rows.map(toWebhook);
  }

  /** On the caller's transaction: a delivery row per enabled endpoint subscribed to each event. */
  async record(c: Runner, events: readonly OutboxEvent[], now = Date.now()): Promise<void> {
    if (!events.length) return;
    await c.query(
      `INSERT INTO webhook_deliveries (endpoint, event_id, type, body, created_at, next_at)
       SELECT e.id, x.eid, x.type, x.body, $4, $4
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS x (eid, type, body, ord)
         JOIN webhook_endpoints e ON e.enabled AND (e.events = '' OR position(',' || x.type || ',' in e.events) > 0)
        ORDER BY x.ord, e.id`,
      [events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.body), now],
    );
  }

  /** Names of users by id (for member events), on the caller's transaction. */
  async userNames(c: Runner, uids: readonly string[]): Promise<Map<string, string>> {
    const r = await c.query<{ id: string; name: string }>('SELECT id, name FROM users WHERE id = ANY ($1::text[])', [[...uids]]);
    return new Map(r.rows.map((u) => [u.id, u.name]));
  }

  async create(w: WebhookRecord): Promise<void> {
    await this.db().query(
      `INSERT INTO webhook_endpoints (id, url, description, events, secret, enabled, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [w.id, w.url, w.description, eventsColumn(w.events), w.secret, w.enabled, w.createdAt, w.createdBy],
    );
    await this.refresh();
  }

  async get(id: string): Promise<WebhookRecord | null> {
    const r = await this.db().query<EndpointDbRow>('SELECT * FROM webhook_endpoints WHERE id = $1', [id]);
    return r.rows[0] ? toWebhook(r.rows[0]) : null;
  }

  async list(): Promise<WebhookWithCounts[]> {
    const r = await this.db().query<EndpointDbRow & { pending: number; failed: number; delivered: number }>(
      `SELECT e.*,
              (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint = e.id AND d.state = 'pending')::int AS pending,
              (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint = e.id AND d.state = 'failed')::int AS failed,
              (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint = e.id AND d.state = 'delivered')::int AS delivered
         FROM webhook_endpoints e ORDER BY e.created_at ASC, e.id ASC`,
    );
    return r.rows.map((x) => ({ ...toWebhook(x), pending: x.pending, failed: x.failed, delivered: x.delivered }));
  }

  async update(id: string, p: WebhookPatch): Promise<boolean> {
    const sets: string[] = [];
    const vals: unknown[] = [id];
    const set = (col: string, v: unknown) => {
      vals.push(v);
      sets.push(`${col} = $${vals.length}`);
    };
    if (p.enabled !== undefined) set('enabled', p.enabled);
    if (p.secret !== undefined) set('secret', p.secret);
    if (p.description !== undefined) set('description', p.description);
    if (p.events !== undefined) set('events', eventsColumn(p.events as WebhookEventType[]));
    if (p.url !== undefined) set('url', p.url);
    const sql = sets.length ? `UPDATE webhook_endpoints SET ${sets.join(', ')} WHERE id = $1` : 'SELECT 1 FROM webhook_endpoints WHERE id = $1';
    const r = await this.db().query(sql, vals);
    await this.refresh();
    return (r.rowCount ?? 0) > 0;
  }

  async remove(id: string): Promise<boolean> {
    const r = await this.db().query('DELETE FROM webhook_endpoints WHERE id = $1', [id]);
    await this.refresh();
    return (r.rowCount ?? 0) > 0;
  }

  async deliveries(endpoint: string, limit: number, before?: number): Promise<DeliveryRow[]> {
    const r = await this.db().query<DeliveryDbRow>(
      `SELECT id, event_id, type, state, attempts, last_status, last_error, created_at, next_at, finished_at
         FROM webhook_deliveries WHERE endpoint = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
      [endpoint, before ?? Number.MAX_SAFE_INTEGER, lim(limit)],
    );
    return r.rows.map(toDelivery);
  }

  async claim(endpoint: string, owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    const r = await this.db().query<{ id: number; endpoint: string; event_id: string; type: string; body: string; attempts: number }>(
      `UPDATE webhook_deliveries SET lease_until = $1, lease_owner = $2, attempts = attempts + 1
        WHERE id IN (SELECT d.id FROM webhook_deliveries d
                      WHERE d.endpoint = $3 AND d.state = 'pending' AND d.next_at <= $4 AND d.lease_until <= $4
                        AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint AND e.enabled)
                      ORDER BY d.next_at, d.id LIMIT $5 FOR UPDATE SKIP LOCKED)
        RETURNING id, endpoint, event_id, type, body, attempts`,
      [now + leaseMs, owner, endpoint, now, lim(limit)],
    );
    return r.rows
      .map((x) => ({ id: Number(x.id), endpoint: x.endpoint, eventId: x.event_id, type: x.type as WebhookEventType, body: x.body, attempts: x.attempts }))
      .sort((a, b) => a.id - b.id);
  }

  async finish(id: number, owner: string, o: DeliveryOutcome): Promise<boolean> {
    let r: pg.QueryResult;
    if (o.ok) {
      r = await this.db().query(
        `UPDATE webhook_deliveries SET state = 'delivered', finished_at = $1, last_status = $2, last_error = NULL, next_at = NULL, lease_until = 0, lease_owner = NULL
          WHERE id = $3 AND state = 'pending'`,
        [o.at, o.status, id],
      );
    } else if (o.nextAt === null) {
      r = await this.db().query(
        `UPDATE webhook_deliveries SET state = 'failed', finished_at = $1, last_status = $2, last_error = $3, next_at = NULL, lease_until = 0, lease_owner = NULL
          WHERE id = $4 AND state = 'pending' AND lease_owner = $5`,
        [o.at, o.status, o.error, id, owner],
      );
    } else {
      r = await this.db().query(
        `UPDATE webhook_deliveries SET next_at = $1, last_status = $2, last_error = $3, lease_until = 0, lease_owner = NULL
          WHERE id = $4 AND state = 'pending' AND lease_owner = $5`,
        [o.nextAt, o.status, o.error, id, owner],
      );
    }
    return (r.rowCount ?? 0) > 0;
  }

  async prune(o: { finishedBefore: number; keepFinished: number; maxPending: number; now: number; batch: number }): Promise<{ deleted: number; dropped: number }> {
    const db = this.db();
    let deleted =
      (
        await db.query(
          `DELETE FROM webhook_deliveries WHERE id IN (
             SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND finished_at < $1 LIMIT $2)`,
          [o.finishedBefore, o.batch],
        )
      ).rowCount ?? 0;
    let dropped = 0;
    const eps = await db.query<{ id: string }>('SELECT id FROM webhook_endpoints');
    for (const { id } of eps.rows) {
      deleted +=
        (
          await db.query(
            `DELETE FROM webhook_deliveries WHERE id IN (
               SELECT id FROM webhook_deliveries WHERE endpoint = $1 AND state <> 'pending'
                  AND id <= (SELECT id FROM webhook_deliveries WHERE endpoint = $1 AND state <> 'pending' ORDER BY id DESC LIMIT 1 OFFSET $2)
                LIMIT $3)`,
            [id, o.keepFinished, o.batch],
          )
        ).rowCount ?? 0;
      dropped +=
        (
          await db.query(
            `UPDATE webhook_deliveries SET state = 'failed', finished_at = $4, last_error = 'queue_full', next_at = NULL, lease_owner = NULL
              WHERE id IN (SELECT id FROM webhook_deliveries WHERE endpoint = $1 AND state = 'pending' AND lease_until <= $4
                              AND id <= (SELECT id FROM webhook_deliveries WHERE endpoint = $1 AND state = 'pending' ORDER BY id DESC LIMIT 1 OFFSET $2)
                            LIMIT $3 FOR UPDATE SKIP LOCKED)`,
            [id, o.maxPending, o.batch, o.now],
          )
        ).rowCount ?? 0;
    }
    return { deleted, dropped };
  }

  async pending(): Promise<number> {
    const r = await this.db().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint AND e.enabled WHERE d.state = 'pending'`,
    );
    return r.rows[0].n;
  }
}
