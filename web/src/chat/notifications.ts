/**
 * Browser notifications (the Notification API) for DMs and mentions (docs/protocol.md 7.1 `mentions`,
 * `mentionAll`), and the per-room mute.
 *
 * - Permission is asked only from a user gesture (`requestPermission`, called by the "Enable
 *   notifications" button of the room header), never on load.
 * - A notification is shown for a new message of someone else that is a DM or mentions you (your id in
 *   `mentions`, or `mentionAll`), when the tab is hidden or that room is not the open one, unless the
 *   room is muted. Messages older than the page (a replay after a reload) or than five minutes (a late
 *   replay after a long disconnect) notify nobody.
 * - Clicking a notification focuses the window and opens its room (the `#room=` link).
 * - Mutes are per room, in localStorage under `scale-chat.muted` (a JSON array of room ids), per browser.
 */
import { isDmRoom } from '../../../src/protocol/rules.js';
import type { MsgEvent } from '../../../src/protocol/types.js';

export const MUTED_KEY = 'scale-chat.muted';
const MAX_AGE_MS = 5 * 60_000;
const loadedAt = Date.now();

type Listener = () => void;
const listeners = new Set<Listener>();
let muted: Set<string> = readMuted();
/** Bumped on every change (permission, mutes): what useSyncExternalStore compares. */
let version = 0;

function readMuted(): Set<string> {
  try {
    const raw = globalThis.localStorage?.getItem(MUTED_KEY);
    const list: unknown = raw ? JSON.parse(raw) : [];
    return new Set(Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

function changed(): void {
  version++;
  for (const f of listeners) f();
}

export function subscribe(f: Listener): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
export function snapshot(): number {
  return version;
}

/** 'unsupported' when the browser has no Notification API. */
export function permission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Asks for permission: call it from a click (browsers refuse requests without a user gesture). */
export async function requestPermission(): Promise<void> {
  if (typeof Notification === 'undefined') return;
  try {
    await Notification.requestPermission();
  } finally {
    changed();
  }
}

export function isMuted(room: string): boolean {
  return muted.has(room);
}

export function setMuted(room: string, on: boolean): void {
  muted = readMuted();
  if (on) muted.add(room);
  else muted.delete(room);
  try {
    globalThis.localStorage?.setItem(MUTED_KEY, JSON.stringify([...muted]));
  } catch {
    // storage full or off: the mute holds for this page only
  }
  changed();
}

/** Whether `msg` should notify `meId` while `active` is the open room (see the top of this file). */
export function shouldNotify(msg: MsgEvent, meId: string | undefined, active: string, hidden: boolean, now = Date.now()): boolean {
  if (msg.change || msg.deleted || msg.uid === meId) return false;
  if (!hidden && msg.room === active) return false;
  if (msg.ts < loadedAt || now - msg.ts > MAX_AGE_MS) return false;
  const mentioned = Boolean(msg.mentionAll || (meId !== undefined && msg.mentions?.some((u) => u.id === meId)));
  if (!mentioned && !isDmRoom(msg.room)) return false;
  return !muted.has(msg.room);
}

/** Shows the notifications of newly delivered messages (called by ./incoming.ts). */
export function notifyIncoming(msgs: readonly MsgEvent[], meId: string | undefined, active: string): void {
  if (permission() !== 'granted' || !msgs.length) return;
  const hidden = typeof document !== 'undefined' && document.hidden;
  for (const m of msgs) {
    if (!shouldNotify(m, meId, active, hidden)) continue;
    const dm = isDmRoom(m.room);
    const title = dm ? m.user : `${m.user} in ${m.room}`;
    try {
      const n = new Notification(title, { body: m.text.slice(0, 200), tag: `${m.room}:${m.seq}` });
      n.onclick = () => {
        window.focus();
        location.hash = `#room=${encodeURIComponent(m.room)}`;
        n.close();
      };
    } catch {
      // e.g. Android Chrome allows only service-worker notifications: nothing to show then
    }
  }
}
