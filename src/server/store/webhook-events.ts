/**
 * The webhook events (docs/integration.md#3-webhooks), as both backends build them inside the transaction
 * of what they describe (./sqlite/chat.ts, ./postgres/chat.ts): their JSON is made once, and the same
 * bytes go to every endpoint on every attempt.
 */
import { randomUUID } from 'node:crypto';
import type { WebhookEvent } from '../../protocol/webhooks.js';
import type { AppendResult } from './store.js';
import type { OutboxEvent } from './webhooks.js';

/** A fresh event id: unique per event (the same for every endpoint and every attempt). */
export function webhookEventId(): string {
  return `evt_${randomUUID().replace(/-/g, '')}`;
}

function outbox(ev: WebhookEvent): OutboxEvent {
  return { id: ev.id, type: ev.type, body: JSON.stringify(ev) };
}

/** The events of an append's results: new messages and changes (duplicates and refusals describe nothing new). */
export function messageEvents(results: readonly AppendResult[], now = Date.now()): OutboxEvent[] {
  const out: OutboxEvent[] = [];
  for (const r of results) {
    if (r.duplicate || r.refused) continue;
    const m = r.message;
    const user = { id: m.uid, name: m.user };
    const c = m.change;
    const id = webhookEventId();
    if (!c) {
      const data: Extract<WebhookEvent, { type: 'message.created' }>['data'] = { room: m.room, seq: m.seq, id: m.id, user, text: m.text, ts: m.ts };
      if (m.replyTo !== undefined) data.replyTo = m.replyTo;
      if (m.mentions?.length) data.mentions = m.mentions.map((u) => ({ id: u.id, name: u.name }));
      if (m.mentionAll) data.mentionAll = true;
      if (m.bot) data.bot = true;
      out.push(outbox({ id, type: 'message.created', ts: now, data }));
    } else if (c.kind === 'edit') {
      out.push(outbox({ id, type: 'message.edited', ts: now, data: { room: m.room, seq: m.seq, target: c.target, user, ts: m.ts, text: c.text } }));
    } else if (c.kind === 'remove') {
      out.push(outbox({ id, type: 'message.deleted', ts: now, data: { room: m.room, seq: m.seq, target: c.target, user, ts: m.ts } }));
    } else {
      out.push(outbox({ id, type: 'message.reacted', ts: now, data: { room: m.room, seq: m.seq, target: c.target, user, ts: m.ts, emoji: c.emoji, on: c.on } }));
    }
  }
  return out;
}

/** room.created, then member.joined for each member it was created with (`names`: their names, by id). */
export function roomCreatedEvents(
  room: { id: string; kind: string; createdBy: string | null; createdAt: number },
  members: readonly string[],
  names: ReadonlyMap<string, string>,
  now = Date.now(),
): OutboxEvent[] {
  const ids = [...new Set(members)];
  const out = [outbox({ id: webhookEventId(), type: 'room.created', ts: now, data: { room: { id: room.id, kind: room.kind, createdBy: room.createdBy, createdAt: room.createdAt }, members: ids } })];
  for (const uid of ids) out.push(memberEvent('member.joined', room.id, uid, names.get(uid) ?? uid, now));
  return out;
}

/** message.deleted for an administrator's removal (AdminStore.deleteMessage): no change event, no author of it. */
export function adminDeletedEvent(room: string, seq: number, now = Date.now()): OutboxEvent {
  return outbox({ id: webhookEventId(), type: 'message.deleted', ts: now, data: { room, seq, target: seq, ts: now, admin: true } });
}

export function memberEvent(type: 'member.joined' | 'member.left', room: string, uid: string, name: string, now = Date.now()): OutboxEvent {
  return outbox({ id: webhookEventId(), type, ts: now, data: { room, user: { id: uid, name } } });
}

