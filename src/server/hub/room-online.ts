/**
 * Users online in one room, cluster-wide: the snapshot behind large-room presence counts
 * (presence-fanout.ts). `general` holds everyone, so it is the cluster's online count; for any other room,
 * its members (at most ROOM_ONLINE_SCAN of them, read from the store) that are online anywhere.
 */
import { GLOBAL_ROOM } from '../../protocol/rules.js';
import type { ClusterState } from '../cluster/state.js';
import type { ChatStore } from '../store/store.js';

/** Most members of one room read to count who is online (beyond: the count covers the first ones). */
export const ROOM_ONLINE_SCAN = 20_000;

export async function roomOnline(store: ChatStore, cluster: ClusterState, room: string): Promise<number> {
  if (room === GLOBAL_ROOM) return (await cluster.onlineUsers(0)).total;
  const { members } = await store.listMembers(room, ROOM_ONLINE_SCAN);
  return (await cluster.onlineAmong(members.map((m) => m.id))).size;
}
