/**
 * The chaos lab's fault injectors. Each acts only on what the lab started: its server child process
 * (kill -9 then a restart on the same data dir and port; SIGSTOP, a hold, SIGCONT) or its own
 * clients' sockets (drop: cut from the client side; slow: stop reading for a while). Each returns
 * the fault's record (./chaos-history.ts) once the fault is over and every client is connected
 * again (or the reconnect bound passed: then `recoveredAt` is null and the checker says who).
 */
import type { ChaosClient } from './chaos-client.js';
import type { FaultRecord } from './chaos-history.js';
import type { PlannedFault } from './chaos-plan.js';
import { shuffle } from './chaos-plan.js';
import { kill9, sleep, type Server } from './lab.js';

export interface FaultTarget {
  server(): Server;
  /** Starts the server again on the same data dir and port; resolves when it listens. */
  restart(): Promise<void>;
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
    case 'kill9': {
      const pid = t.server().pid;
      await kill9(t.server());
      const gone = Date.now() - at;
      await t.restart();
      end = Date.now();
      detail = `kill -9 of pid ${pid}, gone in ${gone} ms, listening again ${end - at} ms after the kill (pid ${t.server().pid})`;
      break;
    }
    case 'sigstop': {
      const s = t.server();
      s.proc.kill('SIGSTOP');
      await sleep(f.holdMs);
      s.proc.kill('SIGCONT');
      end = Date.now();
      detail = `SIGSTOP of pid ${s.pid} for ${end - at} ms`;
      break;
    }
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
  }
  const recoveredAt = await waitAllOpen(t.clients, boundMs);
  return { n, kind: f.kind, at, end, recoveredAt, clients: hit, detail };
}
