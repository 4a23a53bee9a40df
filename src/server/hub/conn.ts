/**
 * What the hub needs of a client connection, and nothing more: the transport's `Conn` implements it.
 * The hub, the handlers and the message pipeline know connections only through this interface (as
 * socket.io's adapter knows only socket ids), so the fan-out layer never imports the transport.
 */
import type { ErrorCode } from '../../protocol/codes.js';
import type { ServerEvent } from '../../protocol/types.js';

export interface ConnUser {
  id: string;
  name: string;
  nameKey: string;
  account: boolean;
  /** A bot user (an API key): its messages carry `bot: true`. */
  bot?: boolean;
}

export interface HubConn {
  /** Cluster-unique connection id (node id + counter): `excludeConn` in bus messages, logs. */
  readonly id: string;
  /** The signed-in user (null before the handshake completes). */
  readonly user: ConnUser | null;
  /** Rooms this connection is registered for (the user's memberships): the hub keeps it in step with its index. */
  readonly rooms: Set<string>;
  /** Receives presence diffs. */
  readonly presence: boolean;
  /** The client's address (the transport's Conn has it): the login throttle of account changes. */
  readonly ip?: string;
  /** Too much is unsent to this connection: replays stop and its requests wait (the transport's backlog bound). */
  backlogged(): boolean;
  /** Serializes and queues one event for this connection only. */
  send(event: ServerEvent): void;
  /** Queues an already-serialized event (shared by every recipient). */
  push(data: Buffer): void;
  /** Queues a room event, or holds it while the room is being entered (`hold`/`release`). */
  deliver(room: string, data: Buffer, seq: number | undefined): void;
  /** Holds the room's live events from now on. */
  hold(room: string): void;
  /** Stops holding `room`, delivering the held events with seq > `afterSeq` in order. */
  release(room: string, afterSeq: number): void;
  /** Queues an `error` frame (with `re` when it answers a request). */
  error(code: ErrorCode, message: string, re?: string, retryAfterMs?: number): void;
  /** Closes with a WebSocket close code, after flushing what is queued. */
  close(code: number, reason: string): void;
}

/** The transport's flush scheduler as the pipeline sees it: run `fn` once what is queued now is written. */
export interface AfterFlush {
  afterFlush(fn: () => void): void;
}
