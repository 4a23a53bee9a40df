/**
 * Turns a room's messages (plus own pending ones) into the rows the list renders: day separators,
 * and messages grouped under one header when the same author writes again within five minutes on
 * the same day.
 */
import type { MsgEvent } from '../../../src/protocol/types.js';
import type { PendingMessage } from '../chat/types.js';
import { dayKey, dayLabel } from './format.js';

export const GROUP_WINDOW_MS = 5 * 60 * 1000;

export type Row =
  | { kind: 'edge'; key: string; more: boolean }
  | { kind: 'day'; key: string; label: string }
  /** `namesake`: the author is not the user who holds this name now (see namesakes() in the SDK). */
  | { kind: 'msg'; key: string; msg: MsgEvent; head: boolean; own: boolean; namesake: boolean }
  | { kind: 'pending'; key: string; pending: PendingMessage; head: boolean };

export function buildRows(
  messages: readonly MsgEvent[],
  pending: readonly PendingMessage[],
  me: { id: string; name: string } | undefined,
  now = Date.now(),
  /** User ids to mark as another user than the current holder of their name. */
  namesakes: ReadonlySet<string> = new Set(),
): Row[] {
  const rows: Row[] = [];
  let prevUid: string | undefined;
  let prevTs = 0;
  let prevDay = '';
  const place = (uid: string, ts: number): boolean => {
    const day = dayKey(ts);
    if (day !== prevDay) {
      rows.push({ kind: 'day', key: `day:${day}`, label: dayLabel(ts, now) });
      prevDay = day;
      prevUid = undefined;
    }
    const head = uid !== prevUid || ts - prevTs > GROUP_WINDOW_MS || ts < prevTs;
    prevUid = uid;
    prevTs = ts;
    return head;
  };
  for (const msg of messages) {
    const head = place(msg.uid, msg.ts);
    rows.push({ kind: 'msg', key: `m:${msg.seq}`, msg, head, own: msg.uid === me?.id, namesake: namesakes.has(msg.uid) });
  }
  for (const p of pending) {
    const head = place(me?.id ?? '', p.createdAt);
    rows.push({ kind: 'pending', key: `p:${p.id}`, pending: p, head });
  }
  return rows;
}

/** Height guess before a row is measured (px): close enough that the scrollbar does not jump much. */
export function estimateRowHeight(row: Row): number {
  if (row.kind === 'day') return 40;
  if (row.kind === 'edge') return 56;
  const text = row.kind === 'msg' ? row.msg.text : row.pending.text;
  let lines = 0;
  for (const line of text.split('\n')) lines += Math.max(1, Math.ceil(line.length / 70));
  const replyTo = row.kind === 'msg' ? row.msg.replyTo : row.pending.replyTo;
  const extra = (replyTo !== undefined ? 24 : 0) + (row.kind === 'msg' && row.msg.reactions?.length ? 30 : 0);
  return (row.head ? 30 : 2) + lines * 22 + extra;
}
