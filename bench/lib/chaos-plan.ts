/**
 * The seeded plan of a chaos run (pure: the same seed gives the same run): which clients share
 * which rooms, and when which fault comes with which parameters. The orchestrator (bench/chaos.ts)
 * carries it out; nothing here touches a process or a socket.
 *
 * Rooms, of mixed sizes: 3 big rooms (15% of the clients each), small rooms of 2-8 for the rest,
 * and a DM for a fifth of the clients (paired, on top of their room).
 * Faults: each kind asked for once first (in a shuffled order, so a short run still has them all),
 * then random kinds, spread over the run with some jitter; each starts once the previous one is
 * over and the clients are back (the orchestrator waits), so faults never overlap.
 */
import type { FaultKind } from './chaos-history.js';

/** The load lab's seedable PRNG (Math.random cannot be seeded). */
export { rng } from '../../src/loadtest/plan.js';

export function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

export interface RoomPlan {
  /** Public rooms: id and member client indexes (the first creates it). */
  rooms: { id: string; members: number[] }[];
  /** DMs: [opener, peer] client indexes. */
  dms: [number, number][];
}

export function planRooms(clients: number, r: () => number): RoomPlan {
  const order = shuffle(
    Array.from({ length: clients }, (_, i) => i),
    r,
  );
  const rooms: RoomPlan['rooms'] = [];
  const big = clients >= 20 ? Math.floor(clients * 0.15) : 0;
  let at = 0;
  for (let b = 0; b < 3 && big > 0; b++, at += big) rooms.push({ id: `big${b}`, members: order.slice(at, at + big) });
  for (let s = 0; at < clients; s++) {
    const size = Math.min(clients - at, 2 + Math.floor(r() * 7));
    rooms.push({ id: `small${s}`, members: order.slice(at, at + size) });
    at += size;
  }
  const pairs = shuffle(
    Array.from({ length: clients }, (_, i) => i),
    r,
  ).slice(0, Math.floor(clients / 5) & ~1);
  const dms: [number, number][] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) dms.push([pairs[i], pairs[i + 1]]);
  return { rooms, dms };
}

export interface PlannedFault {
  kind: FaultKind;
  /** ms after the workload started. */
  atMs: number;
  /** sigstop: how long the server stays stopped; slow: how long the clients stop reading; redis, redis-outage, pg: how long it stays down; the network kinds: how long the node's rules stay. */
  holdMs: number;
  /** drop and slow: the share of clients hit; loss: the share of the node's packets dropped. */
  share: number;
  /** delay: the added one-way delay, ms. */
  delayMs?: number;
}

export interface FaultPlanOptions {
  kinds: readonly FaultKind[];
  durationMs: number;
  /** How many faults (at least one per kind). */
  count: number;
  /** [min, max] ms a SIGSTOP lasts. */
  pauseMs: [number, number];
  /** [min, max] ms slow clients stop reading. */
  slowMs: [number, number];
  /** Cluster kinds: [min, max] ms Redis is down in a restart, in an outage, and PostgreSQL is stopped. */
  redisMs?: [number, number];
  outageMs?: [number, number];
  pgMs?: [number, number];
  /** The network kinds: [min, max] ms a partition, a loss or a delay lasts. */
  netMs?: [number, number];
}

/** The [min, max] hold of a kind (null: none, and no draw from the seed, so single-mode plans stay what they were). */
function holdRange(o: FaultPlanOptions, kind: FaultKind): [number, number] | null {
  switch (kind) {
    case 'sigstop':
      return o.pauseMs;
    case 'slow':
      return o.slowMs;
    case 'redis':
      return o.redisMs ?? [1000, 3000];
    case 'redis-outage':
      return o.outageMs ?? [15_000, 30_000];
    case 'pg':
      return o.pgMs ?? [5000, 15_000];
    case 'partition-backends':
    case 'partition-clients':
    case 'loss':
    case 'delay':
      return o.netMs ?? [5000, 20_000];
    default:
      return null;
  }
}

export function planFaults(o: FaultPlanOptions, r: () => number): PlannedFault[] {
  if (!o.kinds.length) return [];
  const kinds = shuffle([...o.kinds], r);
  while (kinds.length < o.count) kinds.push(o.kinds[Math.floor(r() * o.kinds.length)]);
  // Faults in the first 85% of the run, one per slot, jittered within the slot's first 30%:
  // the rest of the run lets the last one recover under load.
  const slot = (o.durationMs * 0.85) / kinds.length;
  const between = (lo: number, hi: number) => Math.round(lo + r() * (hi - lo));
  const share = (kind: FaultKind) => (kind === 'drop' ? 0.1 + r() * 0.2 : kind === 'slow' ? 0.05 + r() * 0.1 : kind === 'loss' ? 0.05 + r() * 0.15 : 1);
  return kinds.map((kind, i) => ({
    kind,
    atMs: Math.round(o.durationMs * 0.05 + i * slot + r() * slot * 0.3),
    holdMs: ((h) => (h ? between(...h) : 0))(holdRange(o, kind)),
    share: share(kind),
    ...(kind === 'delay' ? { delayMs: between(100, 500) } : {}),
  }));
}
