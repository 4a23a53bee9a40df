/**
 * Naming rules shared by the server (authoritative) and clients (early feedback).
 */

/** User names: 2-24 characters, letters/digits (any script), `_`, `-`, `.`; starting with a letter or digit. */
export const NAME_RE = /^[\p{L}\p{N}][\p{L}\p{N}_.-]{1,23}$/u;
/** Room names (user-created rooms): 2-32 characters, lowercase a-z, 0-9, `_`, `-`; starting with a letter or digit. */
export const ROOM_RE = /^[a-z0-9][a-z0-9_-]{1,31}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
/** The global room every user is in. */
export const GLOBAL_ROOM = 'general';
/** DM rooms are named `dm:<userId>:<userId>` with the two ids sorted. */
export const DM_PREFIX = 'dm:';

/** Normalizes a user name for display (NFC). */
export function normalizeName(name: string): string {
  return name.normalize('NFC');
}

/**
 * Display-level case fold (NFC + lower case), for clients (e.g. matching names as the user types).
 * It is not the server's uniqueness key: the server also folds look-alikes (`nameKey` in
 * src/server/common/name-key.ts, Unicode confusables), which this browser-safe module does not load.
 */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

export function isValidName(name: string): boolean {
  return NAME_RE.test(normalizeName(name));
}

export function isValidRoomName(room: string): boolean {
  return ROOM_RE.test(room);
}

export function dmRoomId(userA: string, userB: string): string {
  return userA < userB ? `${DM_PREFIX}${userA}:${userB}` : `${DM_PREFIX}${userB}:${userA}`;
}

export function isDmRoom(room: string): boolean {
  return room.startsWith(DM_PREFIX);
}
