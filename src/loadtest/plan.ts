/**
 * The run plan: who is who, deterministically from the options, a run tag and the seed, so the
 * coordinator and every child process compute the same plan without exchanging it.
 *
 * - Client i is user `l<tag>-<i base 36>` (unique per run, valid user name), connects to
 *   urls[i % urls] from sourceIps[i % sourceIps].
 * - Group room r is `lt-<tag>-<r>`; room sizes are drawn with the seed; memberships are laid out
 *   consecutively over the clients, wrapping around: room 0 has clients 0..s0-1, room 1 the next s1...
 *   so with rooms * roomSize == clients every client is in exactly one room.
 * - DM partners: 2k and 2k+1 (when --dm-ratio > 0); a pair always lives in one process, which is
 *   client i's process = (i >> 1) % procs.
 */
import type { LoadOptions } from './options.js';

/** mulberry32: small, fast, good enough for workload choices. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random run tag: 5 base-36 characters. */
export function newRunTag(random = Math.random): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += Math.floor(random() * 36).toString(36);
  return s;
}

export interface Plan {
  tag: string;
  roomIds: string[];
  /** Members of each room (client indexes). */
  roomMembers: number[][];
  /** Group rooms of each client (indexes into roomIds). */
  clientRooms: number[][];
}

/**
 * The guest name of client `i`: the index in decimal. (In base 36, names such as `l…-1` and `l…-i`, or
 * `-0` and `-o`, are lookalikes the server holds for one user: the second is refused with name_taken.)
 */
export function clientName(tag: string, i: number): string {
  return `l${tag}-${i}`;
}

export function workerOf(i: number, procs: number): number {
  return (i >> 1) % procs;
}

export function partnerOf(i: number, o: Pick<LoadOptions, 'dmRatio' | 'clients'>): number {
  if (o.dmRatio <= 0) return -1;
  const p = i ^ 1;
  return p < o.clients ? p : -1;
}

export function makePlan(o: LoadOptions, tag: string): Plan {
  const random = rng(o.seed ^ 0x5eed);
  const roomIds: string[] = [];
  const roomMembers: number[][] = [];
  const clientRooms: number[][] = Array.from({ length: o.clients }, () => []);
  let next = 0;
  for (let r = 0; r < o.rooms; r++) {
    roomIds.push(`lt-${tag}-${r}`);
    const size = Math.min(o.clients, o.roomSize.min + Math.floor(random() * (o.roomSize.max - o.roomSize.min + 1)));
    const members: number[] = [];
    for (let k = 0; k < size; k++) {
      const c = next;
      next = (next + 1) % o.clients;
      members.push(c);
      clientRooms[c].push(r);
    }
    roomMembers.push(members);
  }
  return { tag, roomIds, roomMembers, clientRooms };
}

/** Total memberships of group rooms (what one message per client fans out to, summed). */
export function memberships(plan: Plan): number {
  return plan.roomMembers.reduce((a, m) => a + m.length, 0);
}
