/**
 * The client side of a load target: what the generator needs from a chat client, whatever server it
 * talks to. scale-chat's adapter wraps the SDK (./scale-chat.ts); peers for side-by-side runs
 * (a naive ws broadcast server, Socket.IO) plug in by implementing TargetAdapter and registering in
 * ./index.ts.
 *
 * Accounting relies on per-room sequence numbers: a target's server must give each accepted message
 * of a room a strictly increasing `seq`, return it in the send acknowledgement and on every delivery.
 */
import type { TargetKind } from '../options.js';

/** One delivered message. Fields beyond room and seq may be computed lazily: read them only when needed. */
export interface IncomingMsg {
  readonly room: string;
  readonly seq: number;
  /** Message id chosen by the sender. */
  readonly id: string;
  /** Sender's user name. */
  readonly user: string;
  /** The first `n` characters of the text (cheap: the latency stamp lives there). */
  textHead(n: number): string;
}

export type ClientState = 'open' | 'reconnecting' | 'closed';

export interface ClientHooks {
  /** Called once per received frame, before its messages (the generator stamps the receive time). */
  frame(): void;
  message(m: IncomingMsg): void;
  /** The client now receives `room` from the message after `startSeq` on (joined, invited, DM opened). */
  roomAdded(room: string, startSeq: number, dm: boolean): void;
  /**
   * Connection state: 'open' after every handshake (`resumed`: not the first), 'reconnecting' when a
   * connection was lost or an attempt failed (the client retries by itself), 'closed' for good
   * (`error` set when the close was not asked for: auth failure, protocol error...).
   */
  state(s: ClientState, info: { resumed: boolean; reason: string; error?: string }): void;
  /** An unsolicited error from the server (code). */
  error(code: string): void;
}

/** A changed message as one client ends with it: `fp` fingerprints text, deletion and reactions. */
export interface MessageStateReport {
  room: string;
  seq: number;
  v: number;
  fp: string;
}

export interface ClientSpec {
  /** Keep message states for the end-of-run comparison (runs with edits or reactions). */
  keepStates?: boolean;
  /** Client index in the run. */
  index: number;
  /** Unique user name. */
  name: string;
  url: string;
  /** Local address to connect from. */
  sourceIp?: string;
  insecure: boolean;
  ackTimeoutMs: number;
  /** What a previous client of the same name left (ramp down then up again): resumed, not restarted. */
  session?: unknown;
  /** A WebSocket implementation to use instead of the target's own (the receive-path benchmark). */
  webSocket?: unknown;
  /** Decode frames with plain JSON.parse instead of the target's faster decoder (benchmark comparison). */
  jsonDecoder?: boolean;
}

export interface LoadClient {
  /** Resolves on the first successful handshake; rejects when the client closes before it. */
  connect(): Promise<void>;
  /** Joins a group room, creating it when it does not exist yet (any member may be first). */
  joinRoom(room: string): Promise<void>;
  /** Opens the direct-message room with another client; resolves with the room id. */
  openDm(peerName: string): Promise<string>;
  /** Sends a message with a chosen id; resolves with its acknowledged seq; rejects with an error code in `code`. */
  send(room: string, text: string, id: string): Promise<number>;
  /** Message changes (targets that have them): an edit of, or a reaction toggled on, message `seq`; resolve with the change's own seq. */
  edit?(room: string, seq: number, text: string, id: string): Promise<number>;
  react?(room: string, seq: number, emoji: string, on: boolean, id: string): Promise<number>;
  /** The current state of every changed message the client holds, one fingerprint each (all members must agree). */
  changedStates?(): MessageStateReport[];
  /** What to pass as `session` to resume this client later. */
  session(): unknown;
  /** Closes for good. */
  close(): void;
}

export interface TargetAdapter {
  readonly kind: TargetKind;
  readonly supportsDm: boolean;
  create(spec: ClientSpec, hooks: ClientHooks): LoadClient;
}

/** Error code of a rejection from a LoadClient (a `code` property, else 'error'). */
export function codeOf(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' && c ? c : 'error';
}
