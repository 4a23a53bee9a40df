/**
 * The webhook half of the Store (src/server/webhooks/ sends them; docs/integration.md#3-webhooks): endpoints
 * configured by administrators, and the outbox of deliveries, one row per (event, endpoint).
 *
 * Rows are written in the same transaction as what they describe (a message append, a room creation, a
 * membership change), for each enabled endpoint subscribed to the event's type, and only when the store
 * knows of at least one enabled endpoint (`webhooksOn`: changed at once by this store's own endpoint
 * writes, refreshed by `refreshWebhooks`, which the dispatcher calls every poll; another node's new
 * endpoint is seen within that poll interval). So a commit without a delivery row cannot happen, and the
 * hot path pays nothing while no endpoint is enabled.
 *
 * A delivery is claimed with a lease (`claimDeliveries`: attempts + 1, lease_until, lease_owner; PostgreSQL:
 * FOR UPDATE SKIP LOCKED, so two nodes never claim the same row while its lease runs); its outcome is
 * written by `finishDelivery`. A node that dies holding leases leaves them to expire: the rows are claimed
 * again after `lease_until` (at-least-once).
 */
import type { AdminWebhookDelivery, WebhookDeliveryState, WebhookEventType } from '../../protocol/webhooks.js';

/** An event ready to be written: its id, its type and its body (./webhook-events.ts builds them). */
export interface OutboxEvent {
  id: string;
  type: WebhookEventType;
  body: string;
}

export interface WebhookRecord {
  id: string;
  url: string;
  description: string;
  /** Empty: every type. */
  events: WebhookEventType[];
  /** The signing secret (`whsec_` + 64 hex digits). */
  secret: string;
  enabled: boolean;
  createdAt: number;
  createdBy: string | null;
}

export interface WebhookWithCounts extends WebhookRecord {
  pending: number;
  failed: number;
  delivered: number;
}

export type WebhookPatch = Partial<Pick<WebhookRecord, 'enabled' | 'secret' | 'description' | 'events' | 'url'>>;

/** A delivery claimed for one attempt. */
export interface ClaimedDelivery {
  id: number;
  endpoint: string;
  eventId: string;
  type: WebhookEventType;
  /** The event's JSON, sent as these exact bytes. */
  body: string;
  /** Attempts so far, this one included. */
  attempts: number;
}

/** What an attempt came to. */
export type DeliveryOutcome =
  | { ok: true; status: number; at: number }
  | { ok: false; status: number | null; error: string | null; at: number; /** The next attempt, or null: no more (failed). */ nextAt: number | null };

export type DeliveryRow = AdminWebhookDelivery;
export type { WebhookDeliveryState };

export interface WebhookStore {
  /** True while the store knows of an enabled endpoint: only then are delivery rows written. */
  readonly webhooksOn: boolean;
  /** Re-reads the enabled endpoints (other nodes' changes too) and so `webhooksOn`; returns them, oldest first. */
  refreshWebhooks(): Promise<WebhookRecord[]>;

  /** Throws when the id exists. */
  createWebhook(w: WebhookRecord): Promise<void>;
  getWebhook(id: string): Promise<WebhookRecord | null>;
  /** Oldest first, with their delivery counts. */
  listWebhooks(): Promise<WebhookWithCounts[]>;
  /** False when no such endpoint. */
  updateWebhook(id: string, patch: WebhookPatch): Promise<boolean>;
  /** Deletes the endpoint and its deliveries; false when no such endpoint. */
  deleteWebhook(id: string): Promise<boolean>;

  /** The delivery log of one endpoint, newest first; `before`: only rows with id < before. */
  listDeliveries(endpoint: string, limit: number, before?: number): Promise<DeliveryRow[]>;
  /**
   * Claims at most `limit` due deliveries of an enabled endpoint (pending, next attempt due, no lease
   * running) for `owner` until `now + leaseMs`, oldest due first; each one's attempts + 1.
   */
  claimDeliveries(endpoint: string, owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]>;
  /**
   * Writes an attempt's outcome. A success marks the row delivered whoever holds its lease now (it did
   * arrive); a failure is written only while `owner` holds the lease (else another node has it). False
   * when nothing was written.
   */
  finishDelivery(id: number, owner: string, outcome: DeliveryOutcome): Promise<boolean>;
  /**
   * Retention: deletes delivered and failed rows finished before `finishedBefore`, and those beyond the
   * newest `keepFinished` of each endpoint; marks the oldest pending rows of an endpoint beyond
   * `maxPending` failed (`queue_full`). At most `batch` rows each. Returns the rows deleted and failed.
   */
  pruneDeliveries(opts: { finishedBefore: number; keepFinished: number; maxPending: number; now: number; batch: number }): Promise<{ deleted: number; dropped: number }>;
  /** Pending deliveries of enabled endpoints (the queue depth). */
  pendingDeliveries(): Promise<number>;
}

/** Events a list of endpoints' `events` column holds: ',a,b,' ('' = every type), matched with ',type,'. */
export function eventsColumn(events: readonly WebhookEventType[]): string {
  return events.length ? `,${[...new Set(events)].join(',')},` : '';
}

export function parseEventsColumn(col: string): WebhookEventType[] {
  return col.split(',').filter(Boolean) as WebhookEventType[];
}

/** A delivery row as both backends read it. */
export interface DeliveryDbRow {
  id: number;
  event_id: string;
  type: string;
  state: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  next_at: number | null;
  finished_at: number | null;
}

export function toDelivery(r: DeliveryDbRow): DeliveryRow {
  return {
    id: Number(r.id),
    eventId: r.event_id,
    type: r.type as WebhookEventType,
    state: r.state as WebhookDeliveryState,
    attempts: r.attempts,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at,
    nextAt: r.state === 'pending' ? r.next_at : null,
    deliveredAt: r.state === 'delivered' ? r.finished_at : null,
  };
}

export interface EndpointDbRow {
  id: string;
  url: string;
  description: string;
  events: string;
  secret: string;
  enabled: number | boolean;
  created_at: number;
  created_by: string | null;
}

export function toWebhook(r: EndpointDbRow): WebhookRecord {
  return { id: r.id, url: r.url, description: r.description, events: parseEventsColumn(r.events), secret: r.secret, enabled: Boolean(r.enabled), createdAt: r.created_at, createdBy: r.created_by };
}
