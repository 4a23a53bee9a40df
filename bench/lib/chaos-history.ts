/**
 * What a chaos run (bench/chaos.ts) records, as plain data: the faults it injected, each client's
 * complete history (its sends and their outcomes, what reached its application per room, when it
 * was connected), and the store's final contents. The checker (./chaos-check.ts) is a pure function
 * of exactly this, so its unit tests can feed it synthetic histories with planted violations.
 * Times are ms since the epoch (Date.now() of the orchestrator; the server's `ts` uses the same clock).
 */

/** The single node's fault kinds (--mode single). */
export const SINGLE_FAULT_KINDS = ['kill9', 'sigstop', 'drop', 'slow'] as const;
/**
 * --mode cluster adds the infrastructure: redis (kill -9 and restart after 1-3 s), redis-outage (down
 * for a long hold), pg (PostgreSQL stopped for a while), rolling (every node SIGTERMed and restarted
 * in turn); kill9 and sigstop then hit one random node.
 */
export const CLUSTER_FAULT_KINDS = [...SINGLE_FAULT_KINDS, 'redis', 'redis-outage', 'pg', 'rolling'] as const;
/**
 * Network faults on one node, which runs in a namespace of the lab's own (./chaos-net.ts):
 * partition-backends (its packets to and from Redis and PostgreSQL dropped, its clients still connected),
 * partition-clients (its packets to and from nginx dropped), loss (a share of all its packets dropped at
 * random), delay (netem; only where the kernel has it).
 */
export const NET_FAULT_KINDS = ['partition-backends', 'partition-clients', 'loss', 'delay'] as const;
export const FAULT_KINDS = [...CLUSTER_FAULT_KINDS, ...NET_FAULT_KINDS] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** The faults the lab's server side carries out (drop and slow act on the clients' sockets). */
export type ServerFaultKind = Exclude<FaultKind, 'drop' | 'slow'>;

export interface FaultRecord {
  /** 1, 2, ... in the order injected. */
  n: number;
  kind: FaultKind;
  /** When it was injected. */
  at: number;
  /** When it was over: kill9, the restarted server listening; sigstop, SIGCONT; drop, `at`; slow, reads resumed; redis, redis-outage, pg: the server accepting connections again; rolling: the last node ready again; the network kinds: the node's rules removed. */
  end: number;
  /** When every client was connected again after it and had answered a ping sent after its end (null: not within the reconnect bound). */
  recoveredAt: number | null;
  /** Indexes of the clients it was aimed at (server faults: every client). */
  clients: number[];
  detail: string;
}

/** A send that the server rejected (an error frame) is `failed`; one the SDK gave up on (timeout, client closed) is `unknown`: it may or may not be stored. */
export interface SendRecord {
  id: string;
  room: string;
  at: number;
  outcome: 'acked' | 'failed' | 'unknown' | 'pending';
  seq?: number;
  ackAt?: number;
  code?: string;
  /** Times the server refused an attempt with a retryable error (`unavailable`, `rate_limited`) that the SDK then resent with the same id: the final outcome is what counts. */
  refused?: [number, string][];
}

export interface ClientHistory {
  client: number;
  name: string;
  /** Per room the client entered: the room's seq when it did (it must get every later message). */
  joins: Record<string, number>;
  sends: SendRecord[];
  /** Per room, every message handed to the application, in order: [seq, id]. */
  received: Record<string, [number, string][]>;
  /** Connection transitions in order: 'up' at each welcome, 'down' when an open connection was lost (with the SDK's reason, e.g. "closed 4500 (4500)"). */
  conn: [number, 'up' | 'down', string?][];
  /** Connection attempts that never got a welcome, by why (the close code and reason, or the socket error): what a slow reconnect was up against. */
  failedAttempts?: Record<string, number>;
  /** Connected (state 'open') when the run ended. */
  connectedAtEnd: boolean;
}

export interface StoredMessage {
  room: string;
  seq: number;
  id: string;
  uid: string;
  ts: number;
}

export interface ChaosRecord {
  clients: ClientHistory[];
  faults: FaultRecord[];
  store: StoredMessage[];
  /** When the workload started (counter-examples give times as +seconds from it). */
  startAt: number;
  /** When the run's checks were taken (every client's final state is from then). */
  endAt: number;
  reconnectBoundMs: number;
  /** Cluster mode: the presence views polled after the final catch-up (absent: not checked). */
  presence?: PresenceRecord;
}

/**
 * Presence convergence: after the last fault and the final catch-up each client asks `members` of
 * one of its rooms (src/client: ChatClient.members, the users online cluster-wide) until its view
 * equals the room's connected members or the bound passes.
 */
export interface PresenceRecord {
  /** When the polls started (the bound is counted from here). */
  from: number;
  boundMs: number;
  views: PresenceView[];
}

export interface PresenceView {
  client: number;
  room: string;
  /** Each poll in order: when its reply came, and the names it said are online (null: the request failed, with why). */
  polls: [number, string[] | null, string?][];
}
