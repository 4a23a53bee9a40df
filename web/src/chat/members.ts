/**
 * Pure updates of a room's member list from presence diffs and member events. Lists are kept
 * sorted: online first, then by name. In `general` the list is the users online, so going offline
 * removes a user there; in other rooms it only flips the dot.
 */
import type { Member, MemberEvent, PresenceEvent, RoomInfo, UserRef } from '../../../src/protocol/types.js';

export function sortMembers(list: Member[]): Member[] {
  return list.sort((a, b) => (a.online === b.online ? a.name.localeCompare(b.name) : a.online ? -1 : 1));
}

/** Applies a presence diff; returns the new list and how many users were added minus removed. */
export function applyPresence(list: readonly Member[], ev: PresenceEvent, onlineOnly: boolean): { list: Member[]; delta: number } {
  const byId = new Map(list.map((m) => [m.id, m]));
  let delta = 0;
  for (const u of ev.offline) {
    if (!byId.has(u.id)) continue;
    if (onlineOnly) {
      byId.delete(u.id);
      delta--;
    } else byId.set(u.id, { ...byId.get(u.id)!, online: false });
  }
  for (const u of ev.online) {
    if (!byId.has(u.id)) delta++;
    byId.set(u.id, { id: u.id, name: u.name, online: true });
  }
  return { list: sortMembers([...byId.values()]), delta };
}

/** Applies a member joined/left event; `isOnline` tells whether a newcomer is online. */
export function applyMember(list: readonly Member[], ev: MemberEvent, isOnline: (u: UserRef) => boolean): Member[] {
  const rest = list.filter((m) => m.id !== ev.user.id);
  if (ev.action === 'left') return rest;
  return sortMembers([...rest, { id: ev.user.id, name: ev.user.name, online: isOnline(ev.user) }]);
}

/** Sidebar order: general, then rooms by name, then direct messages by the other user's name. */
export function sortRooms(rooms: Iterable<RoomInfo>): RoomInfo[] {
  const rank = (r: RoomInfo) => (r.kind === 'global' ? 0 : r.kind === 'dm' ? 2 : 1);
  const label = (r: RoomInfo) => (r.kind === 'dm' ? (r.peer?.name ?? r.id) : r.id);
  return [...rooms].sort((a, b) => rank(a) - rank(b) || label(a).localeCompare(label(b)));
}
