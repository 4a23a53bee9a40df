/**
 * Outgoing webhooks (docs/integration.md#3-webhooks): the event types an endpoint receives, and the JSON of
 * the admin API's webhook routes (/admin/api/webhooks), shared by the server (src/server/webhooks/,
 * src/server/admin/) and the web admin page (web/src/admin/). Types and constants only; browser-safe.
 */

/** Every event type, in the order the docs list them. */
export const WEBHOOK_EVENT_TYPES = [
  'message.created',
  'message.edited',
  'message.deleted',
  'message.reacted',
  'member.joined',
  'member.left',
  'room.created',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(v: unknown): v is WebhookEventType {
  return typeof v === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(v);
}

/** A user as an event names it. */
export interface WebhookUser {
  id: string;
  name: string;
}

export interface WebhookMessageCreated {
  room: string;
  seq: number;
  /** The client's message id (unique per author). */
  id: string;
  user: WebhookUser;
  text: string;
  ts: number;
  replyTo?: number;
  mentions?: WebhookUser[];
  mentionAll?: boolean;
  /** Sent by a bot (an API key's user, docs/api.md). */
  bot?: true;
}

/** message.edited / message.deleted / message.reacted: a change event with its own seq, applied to `target`. */
export interface WebhookMessageChanged {
  room: string;
  /** The seq of the change event itself (a removal by an administrator has none: then `seq` = `target`). */
  seq: number;
  /** The seq of the message changed. */
  target: number;
  /** Who made the change (absent for a removal by an administrator through the admin API: `admin` instead). */
  user?: WebhookUser;
  /** message.deleted by an administrator (admin API `DELETE /admin/api/message`). */
  admin?: true;
  ts: number;
  /** message.edited: the new text. */
  text?: string;
  /** message.reacted: the emoji, and whether it was turned on (true) or off. */
  emoji?: string;
  on?: boolean;
}

export interface WebhookMember {
  room: string;
  user: WebhookUser;
}

export interface WebhookRoomCreated {
  room: { id: string; kind: string; createdBy: string | null; createdAt: number };
  /** The members it was created with (each also gets a member.joined event). */
  members: string[];
}

export interface WebhookDataByType {
  'message.created': WebhookMessageCreated;
  'message.edited': WebhookMessageChanged;
  'message.deleted': WebhookMessageChanged;
  'message.reacted': WebhookMessageChanged;
  'member.joined': WebhookMember;
  'member.left': WebhookMember;
  'room.created': WebhookRoomCreated;
}

/** The JSON body of one delivery (the same bytes for every attempt and every endpoint). */
export type WebhookEvent = {
  [T in WebhookEventType]: { id: string; type: T; ts: number; data: WebhookDataByType[T] };
}[WebhookEventType];

/** The request headers of a delivery. */
export const WEBHOOK_HEADERS = {
  eventId: 'x-scalechat-event-id',
  eventType: 'x-scalechat-event-type',
  timestamp: 'x-scalechat-timestamp',
  signature: 'x-scalechat-signature',
} as const;

// ---- admin API: /admin/api/webhooks ----

/** An endpoint as the admin API lists it (the secret only in the create and rotate answers). */
export interface AdminWebhook {
  id: string;
  url: string;
  description: string;
  /** Event types sent; empty: every type. */
  events: WebhookEventType[];
  enabled: boolean;
  createdAt: number;
  /** Deliveries waiting (pending, not yet due or due), failed and delivered, as kept (retention). */
  pending: number;
  failed: number;
  delivered: number;
}

export interface AdminWebhooksResponse {
  webhooks: AdminWebhook[];
}

/** POST /admin/api/webhooks and PATCH with {rotateSecret: true}: the signing secret, shown this once. */
export interface AdminWebhookCreated {
  webhook: AdminWebhook;
  secret: string;
}

export interface AdminWebhookPatchResponse {
  webhook: AdminWebhook;
  /** Only when the secret was rotated. */
  secret?: string;
}

export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed';

/** One row of the delivery log (GET /admin/api/webhooks/{id}/deliveries?before=). */
export interface AdminWebhookDelivery {
  /** Row id, newest first; `before` pages by it. */
  id: number;
  eventId: string;
  type: WebhookEventType;
  state: WebhookDeliveryState;
  attempts: number;
  /** HTTP status of the last attempt, or null (none yet, or no answer). */
  lastStatus: number | null;
  /** Why the last attempt failed when there was no HTTP status (timeout, refused, reset), or null. */
  lastError: string | null;
  createdAt: number;
  /** When the next attempt is due (pending only). */
  nextAt: number | null;
  deliveredAt: number | null;
}

export interface AdminWebhookDeliveriesResponse {
  deliveries: AdminWebhookDelivery[];
}

export interface AdminWebhookDeleted {
  id: string;
}
