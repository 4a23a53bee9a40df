/**
 * The room in the URL (`#room=<id>`): anyone can craft a link, so what it names is checked before
 * it is shown. Something that cannot be a room id (`__proto__`, `toString`: room names are lowercase)
 * is ignored and general shows; a valid name (`constructor` is one) shows that room, or the join
 * prompt when you are not in it (the server then says whether it exists).
 */
import { DM_PREFIX, GLOBAL_ROOM, isValidName, isValidRoomName } from '../../../src/protocol/rules.js';
import type { RoomInfo } from '../../../src/protocol/types.js';

/** DM ids: `dm:<userId>:<userId>` (user ids are opaque; no `:` inside). */
const DM_RE = /^dm:[^:\s]{1,60}:[^:\s]{1,60}$/;

export function isRoomId(room: string): boolean {
  if (room === GLOBAL_ROOM) return true;
  if (room.startsWith(DM_PREFIX)) return DM_RE.test(room);
  return isValidRoomName(room);
}

/** The room a `location.hash` names, or null (no room, undecodable, or not a room id). */
export function roomFromHash(hash: string): string | null {
  const m = /^#room=(.+)$/.exec(hash);
  if (!m) return null;
  let room: string;
  try {
    room = decodeURIComponent(m[1]);
  } catch {
    return null;
  }
  return isRoomId(room) ? room : null;
}

/** The peer name a `#dm=<name>` hash names, or null (not a DM link, undecodable, or not a valid name). */
export function dmFromHash(hash: string): string | null {
  const m = /^#dm=(.+)$/.exec(hash);
  if (!m) return null;
  let name: string;
  try {
    name = decodeURIComponent(m[1]).normalize('NFC');
  } catch {
    return null;
  }
  return isValidName(name) ? name : null;
}

/** The URL hash of a room: `#dm=<peer name>` for a DM whose peer is known, else `#room=<id>`. */
export function hashOf(room: string, rooms: readonly RoomInfo[]): string {
  const info = rooms.find((r) => r.id === room);
  if (info?.kind === 'dm' && info.peer) return `#dm=${encodeURIComponent(info.peer.name)}`;
  return `#room=${encodeURIComponent(room)}`;
}
