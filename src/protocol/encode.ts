/**
 * The one encoder of server events. Every server event that reaches a client is serialized here, once,
 * by the node that produces it (the bus and the outboxes carry the resulting text as-is). Browser-safe:
 * strings only (the server turns them into Buffers where it writes them).
 *
 * Key order is part of the wire format: `msgEvent` builds the `msg` object with a fixed key order, and
 * the load generator's fast decoder (src/loadtest/fastframe.ts) reads `msg`, `ack` and `ping` events and
 * `batch` frames by position. src/loadtest/fastframe.test.ts fails when this encoder and that decoder drift.
 *   {"type":"msg","room":R,"seq":N,"id":S,"uid":S,"user":S,"text":S,"ts":N}            (+ ,"deleted":true, then
 *     the optional fields of message changes: ,"replyTo":N ,"edited":N ,"v":N ,"reactions":[...] ,"change":{...},
 *     then the mentions: ,"mentions":[{"id":S,"name":S},...] ,"mentionAll":true, then ,"bot":true)
 *   {"type":"ack","id":S,"room":R,"seq":N,"ts":N}
 *   {"type":"ping","ts":N}
 *   {"type":"batch","events":[e1,e2,...]}
 */
import type { AckFrame, HistoryFrame, MsgEvent, PingEvent, ServerEvent } from './types.js';

/** A message as stores hold it (the server's StoredMessage is one): the `msg` event's fields, what `msgEvent` reads. */
export type MessageRecord = Omit<MsgEvent, 'type' | 'deleted' | 'mentionAll' | 'bot'> & { deleted?: boolean; mentionAll?: boolean; bot?: boolean };

/**
 * The `msg` event of a message, with the wire's fixed key order (`deleted: true` only on tombstones).
 * The one place a `msg` event object is built: live delivery, resume replay, history and the cluster's
 * gap filler all use it, so a replayed or filled event is byte-identical to the live one.
 */
export function msgEvent(m: MessageRecord): MsgEvent {
  const ev: MsgEvent = { type: 'msg', room: m.room, seq: m.seq, id: m.id, uid: m.uid, user: m.user, text: m.text, ts: m.ts };
  if (m.deleted) ev.deleted = true;
  // The fields of message changes (./changes.ts), after the fixed head, in this order.
  if (m.replyTo !== undefined) ev.replyTo = m.replyTo;
  if (m.edited !== undefined) ev.edited = m.edited;
  if (m.v !== undefined) ev.v = m.v;
  if (m.reactions?.length) ev.reactions = m.reactions;
  if (m.change) ev.change = m.change;
  // Mentions (resolved at send time), last.
  if (m.mentions?.length) ev.mentions = m.mentions;
  if (m.mentionAll) ev.mentionAll = true;
  // A bot's message (an API key's user), after everything else.
  if (m.bot) ev.bot = true;
  return ev;
}

/** The `ack` of a stored message (fixed key order: the load generator reads acks by position too). */
export function ackFrame(m: Pick<MessageRecord, 'id' | 'room' | 'seq' | 'ts'>): AckFrame {
  return { type: 'ack', id: m.id, room: m.room, seq: m.seq, ts: m.ts };
}

/** The server heartbeat event (fixed key order, read by position by the load generator). */
export function pingEvent(ts: number): PingEvent {
  return { type: 'ping', ts };
}

/** Serializes one server event (the one serialization of events). */
export function encodeEvent(ev: ServerEvent): string {
  return JSON.stringify(ev);
}

/** `msgEvent` serialized. */
export function encodeMsg(m: MessageRecord): string {
  return JSON.stringify(msgEvent(m));
}

/**
 * Batch framing: `BATCH_HEAD` + events separated by `BATCH_SEP` + `BATCH_TAIL`, the events being
 * already-serialized (never re-serialized). The server's outbox concatenates Buffers of these.
 */
export const BATCH_HEAD = '{"type":"batch","events":[';
export const BATCH_SEP = ',';
export const BATCH_TAIL = ']}';

/** Joins already-serialized events into one `batch` frame without re-serializing them. */
export function joinBatch(events: readonly string[]): string {
  return BATCH_HEAD + events.join(BATCH_SEP) + BATCH_TAIL;
}

/**
 * A `history` reply from already-serialized `msg` events (`encodeMsg`), without re-serializing them:
 * the same text as `encodeEvent` of the HistoryFrame (same keys, same order).
 */
export function encodeHistory(re: string, room: string, messages: readonly string[], hasMore: boolean): string {
  const head: Omit<HistoryFrame, 'messages' | 'hasMore'> = { type: 'history', re, room };
  const h = JSON.stringify(head);
  return `${h.slice(0, -1)},"messages":[${messages.join(',')}],"hasMore":${hasMore}}`;
}
