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
  fault(f: PlannedFault & { kind: ServerFaultKind }, r: () => number): Promise<string>;
  /** Stops the servers and returns the store's final messages. */
  finish(): Promise<StoredMessage[]>;
  /** Kills whatever is still running (idempotent; also after finish()). */
  cleanup(): Promise<void>;
}

export interface FaultTarget {
  topology: Topology;
  clients: readonly ChaosClient[];
}

/**
 * Waits (bounded) until every client is connected and has answered an app-level ping sent from now on
 * (a connection that a paused node or a partition left open but silent does not count); returns when
 * the last one did, or null past the bound.
 */
export async function waitAllLive(clients: readonly ChaosClient[], boundMs: number): Promise<number | null> {
  const deadline = Date.now() + boundMs;
  // The clients a fault hit may not have noticed yet (a close event is asynchronous).
  await sleep(200);
  let last = Date.now();
  const live = async (c: ChaosClient): Promise<boolean> => {
    while (Date.now() < deadline) {
      if (c.open && (await c.alive(Math.min(3000, deadline - Date.now())))) {
        last = Math.max(last, Date.now());
        return true;
      }
      await sleep(100);
    }
    return false;
  };
  const all = await Promise.all(clients.map(live));
  return all.every(Boolean) ? last : null;
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
      detail = await t.topology.fault({ ...f, kind: f.kind }, r);
      end = Date.now();
  }
  const recoveredAt = await waitAllLive(t.clients, boundMs);
  return { n, kind: f.kind, at, end, recoveredAt, clients: hit, detail };
}
