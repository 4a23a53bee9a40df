/** Display helpers: times, day labels, room names, name colours. Local time zone, browser locale. */
import { UNREAD_CAP, type RoomInfo } from '../../../src/protocol/types.js';

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
const dayYearFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });

export function formatTime(ts: number): string {
  return timeFmt.format(ts);
}

export function formatFull(ts: number): string {
  return fullFmt.format(ts);
}

/** Local calendar day of a timestamp, e.g. 2026-11-22 (months 1-based, zero padded). */
export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** "Today", "Yesterday", or the date (with the year when it is not this year). */
export function dayLabel(ts: number, now = Date.now()): string {
  const key = dayKey(ts);
  if (key === dayKey(now)) return 'Today';
  const y = new Date(now);
  y.setDate(y.getDate() - 1);
  if (key === dayKey(y.getTime())) return 'Yesterday';
  return new Date(ts).getFullYear() === new Date(now).getFullYear() ? dayFmt.format(ts) : dayYearFmt.format(ts);
}

/** What the sidebar and header call a room: `general`, `design`, or the DM peer's name. */
export function roomTitle(room: Pick<RoomInfo, 'id' | 'kind' | 'peer'>): string {
  if (room.kind === 'dm') return room.peer?.name ?? 'direct message';
  return room.id;
}

/**
 * A stable hue for a key (avatar colour). Give it the user id, not the name: a guest's name is freed
 * when they leave and the next guest with it is someone else, who must not look the same.
 */
export function hueOf(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return h % 360;
}

export function initial(name: string): string {
  return (Array.from(name)[0] ?? '?').toUpperCase();
}

/**
 * Unread messages as the SDK keeps them (src/client/rooms.ts: the server's count of messages of others
 * after the read marker, not change events nor tombstones, plus those delivered since): 0 when unknown.
 */
export function unreadCount(room: Pick<RoomInfo, 'unread'>): number {
  return room.unread ?? 0;
}

/** Of the unread messages, those mentioning you or the room. */
export function mentionCount(room: Pick<RoomInfo, 'mentions'>): number {
  return room.mentions ?? 0;
}

/** A count as a badge shows it: the server stops counting at UNREAD_CAP ("99+"). */
export function badgeCount(n: number): string {
  return n >= UNREAD_CAP ? `${UNREAD_CAP}+` : String(n);
}
