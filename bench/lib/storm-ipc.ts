/**
 * The messages between bench/storm.ts (the parent) and its generator processes
 * (bench/lib/storm-gen.ts), over Node's IPC channel. Types only: one phase per request, each
 * answered by exactly one reply (progress reports come unasked, every 200 ms after the kill).
 */

import type { Transport } from './storm-socket.js';

/** Which clients one generator runs and how. Client i is guest `s<i>` in room `r<i % rooms>`, from 127.0.0.<2 + i % addrs>. */
export interface GenInit {
  t: 'init';
  url: string;
  first: number;
  count: number;
  rooms: number;
  addrs: number;
  /** New connections per second (this generator's share). */
  connectRate: number;
  /** Bound of the connect + join phase, ms. */
  setupMs: number;
  /** An SDK send not acked within this many ms (resends included) fails. */
  ackTimeoutMs: number;
  /** The WebSocket under the SDK (bench/lib/storm-socket.ts). */
  transport: Transport;
}

export type ToGen =
  | GenInit
  /** Steady sends: `rate` msgs/s (this generator's share) from its clients in turn, until `burst`. */
  | { t: 'send'; rate: number }
  /** Stop the steady sends, send one message from each of `count` clients, reply at once: the kill follows. */
  | { t: 'burst'; count: number }
  /** Wait (bounded by `waitMs`) until every send has its ack or failed, then report the sends. */
  | { t: 'sends'; waitMs: number }
  /** Wait (bounded by `waitMs`) until every client caught up with `rooms`, then check each client's stream. */
  | { t: 'verify'; rooms: Record<string, RoomTruth>; waitMs: number }
  /** Close every client and exit. */
  | { t: 'exit' };

export type FromGen =
  | { t: 'ready'; connected: number; joined: number; failures: Record<string, number> }
  | { t: 'burst-sent'; sent: number }
  | { t: 'progress'; lost: number; welcomed: number; resumed: number; closed: number }
  | { t: 'sends'; sends: SendRecord[]; observed: Record<string, [number, string][]>; settled: boolean }
  | { t: 'verify'; result: VerifyCounts; clients: ClientTimes[]; caughtUp: boolean; loop: { p99Ms: number; maxMs: number } }
  | { t: 'error'; message: string };

/** One send and what became of it. */
export interface SendRecord {
  room: string;
  id: string;
  /** The ack's seq; null when the send failed. */
  seq: number | null;
  /** The ack's ts (server clock, ms): a resend of a message stored before the kill gets the original ack, so its ts is before the kill. */
  ts: number | null;
  /** Its ack came on the connection before the kill (so it was acknowledged before the kill). */
  preKill: boolean;
  /** Sent in the burst right before the kill. */
  burst: boolean;
  /** Why it failed (the SDK's error code), when it did. */
  error?: string;
}

/** What the parent knows of a room at the end: every acked message, and the highest seq anybody saw. */
export interface RoomTruth {
  /** [seq, message id, acked before the kill (1) or after (0)] */
  acked: [number, string, 0 | 1][];
  /** Messages sent but not acked at the kill: [id] (their seq, if they were stored, is in `acked` or unknown). */
  unackedIds: string[];
  finalSeq: number;
}

/** Per generator: member-message pairs, summed over its clients. */
export interface VerifyCounts {
  /** Clients checked (those that were ready before the kill). */
  clients: number;
  /** Messages acked before the kill that a member never got (the LOSS). */
  lostPreKill: number;
  /** Seqs of the room a member never got among messages acked after the kill (resends). */
  missedPostKill: number;
  /** Seqs nobody reported acked (not acked by the deadline) that a member never got. */
  missedOther: number;
  /** A seq handed to the application (the SDK's 'message' event) more than once. */
  duplicates: number;
  /** A seq that came on the wire (a msg event) more than once to one client (the SDK drops these). */
  wireDuplicates: number;
  /** A received message whose id is not the one its seq was acked with. */
  idMismatch: number;
  /** A message sent but unacked at the kill that a member got more than once (under two seqs). */
  unackedTwice: number;
}

/** One client's storm, times in ms since the epoch (NaN: never). */
export interface ClientTimes {
  lostAt: number;
  welcomeAt: number;
  resumedAt: number;
  /** When each of its connection attempts after the kill opened its socket (the successful one included). */
  attempts: number[];
  /** Failed attempts after the kill: [start time, why] (an error code such as ECONNREFUSED, or `close <code>`). */
  failures: [number, string][];
  /** The SDK closed for good (a terminal close code). */
  closed: string | null;
  /** `resume` events after the kill: rooms whose missed messages the server replayed. */
  replays: number;
}
