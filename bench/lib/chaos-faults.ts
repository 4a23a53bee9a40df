/**
 * The chaos lab's fault injectors. Each acts only on what the lab started: the server side through
 * its topology (./chaos-single.ts: the one node; ./chaos-cluster.ts: the nodes, Redis, PostgreSQL)
 * or its own clients' sockets (drop: cut from the client side; slow: stop reading for a while). Each returns
 * the fault's record (./chaos-history.ts) once the fault is over and every client is connected
 * again (or the reconnect bound passed: then `recoveredAt` is null and the checker says who).
 */
import type { ChaosClient } from './chaos-client.js';
import type { FaultRecord, ServerFaultKind, StoredMessage } from './chaos-history.js';
import type { PlannedFault } from './chaos-plan.js';
import { shuffle } from './chaos-plan.js';
import { sleep } from './lab.js';

/** What the clients talk to, as the lab drives it (a single node, or the cluster). */
export interface Topology {
  /** The WebSocket URL the clients connect to. */
  url: string;
  /** The server-side faults it takes (the rest are refused by the flags before the run). */
  kinds: readonly ServerFaultKind[];
  /** Carries out one server-side fault (`r` picks a node); resolves with its detail once it is over. */
  fault(kind: ServerFaultKind, holdMs: number, r: () => number): Promise<string>;
  /** Stops the servers and returns the store's final messages. */
  finish(): Promise<StoredMessage[]>;
  /** Kills whatever is still running (idempotent; also after finish()). */
  cleanup(): Promise<void>;
}

export interface FaultTarget {
  topology: Topology;
  clients: readonly ChaosClient[];
}

/** Waits (bounded) until every client is connected; returns when, or null past the bound. */
export async function waitAllOpen(clients: readonly ChaosClient[], boundMs: number): Promise<number | null> {
  const deadline = Date.now() + boundMs;
  // The clients a fault hit may not have noticed yet (a close event is asynchronous).
  await sleep(200);
  while (Date.now() < deadline) {
    if (clients.every((c) => c.open)) return Date.now();
    await sleep(50);
  }
  return clients.every((c) => c.open) ? Date.now() : null;
}

function pick(clients: readonly ChaosClient[], share: number, r: () => number): ChaosClient[] {
  const n = Math.max(1, Math.round(clients.length * share));
  return shuffle([...clients], r).slice(0, n);
}

export async function inject(n: number, f: PlannedFault, t: FaultTarget, r: () => number, boundMs: number): Promise<FaultRecord> {
  const all = t.clients.map((c) => c.index);
  const at = Date.now();
  let end = at;
  let hit = all;
  let detail: string;
  switch (f.kind) {
    case 'drop': {
      const cut = pick(t.clients, f.share, r).filter((c) => c.drop());
      hit = cut.map((c) => c.index);
      detail = `${cut.length} client connections destroyed from the client side`;
      break;
    }
    case 'slow': {
      const slow = pick(t.clients, f.share, r).filter((c) => c.pauseReads(f.holdMs));
      hit = slow.map((c) => c.index);
      await sleep(f.holdMs);
      end = Date.now();
      detail = `${slow.length} clients stopped reading for ${f.holdMs} ms`;
      break;
    }
    default:
      detail = await t.topology.fault(f.kind, f.holdMs, r);
      end = Date.now();
  }
  const recoveredAt = await waitAllOpen(t.clients, boundMs);
  return { n, kind: f.kind, at, end, recoveredAt, clients: hit, detail };
}
