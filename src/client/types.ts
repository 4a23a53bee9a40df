/**
 * Public types of the client SDK: the injected WebSocket API subset, the options and the events.
 *
 * The WebSocket constructor is injected so the SDK runs unchanged in browsers (`globalThis.WebSocket`),
 * in Node (the `ws` package) and in tests (an in-memory fake). Only the browser API subset below is
 * used: `new WS(url)`, on{open,message,close,error}, send(string), close(code?, reason?), readyState.
 */
import type { Auth } from '../protocol/schema.js';
import type {
  DeletedEvent,
  ErrorFrame,
  MemberEvent,
  MsgEvent,
  PresenceCountEvent,
  PresenceEvent,
  ReadEvent,
  RoomInfo,
  RoomResetEvent,
  RoomUpdatedEvent,
  ServerEvent,
  TypingEvent,
  WelcomeFrame,
} from '../protocol/types.js';
import type { BackoffOptions } from './backoff.js';
import type { StateChange } from './state.js';

/** Handler type checked bivariantly, so DOM's `(ev: MessageEvent) => any` and ws's handlers fit. */
type Handler<E> = { bivarianceHack(ev: E): void }['bivarianceHack'];

export interface WebSocketLike {
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ChatClientOptions {
  /** WebSocket URL, e.g. `ws://localhost:8080/ws` (see WS_PATH). */
  url: string;
  /**
   * WebSocket constructor: `ws` in Node 20 (`import WebSocket from 'ws'`). Optional where the runtime has
   * a global one (browsers, Node 22+): that one is used (./websocket.ts); without either the constructor throws.
   */
  WebSocket?: WebSocketConstructor;
  /**
   * Credentials for the first handshake. Later handshakes use the session token from `welcome`, so a
   * `{kind: 'jwt', token}` from the application's backend may expire after the first sign-in (docs/integration.md).
   */
  auth: Auth;
  /**
   * Initial last-seen seq per room (e.g. restored from storage via session()): replayed on connect.
   * Only own properties with valid seqs are used (a room named `constructor` is never `Object`).
   */
  resume?: Record<string, number>;
  /** Receive presence events (default true; load generators turn it off). */
  presence?: boolean;
  /** A send() not acknowledged within this many ms (resends included) rejects with 'timeout'. Default 15000. */
  ackTimeoutMs?: number;
  /** Other requests not answered within this many ms (queued time included) reject with 'timeout'. Default 10000. */
  requestTimeoutMs?: number;
  /** Reconnect backoff (full jitter). Default {baseMs: 250, maxMs: 10000}. */
  backoff?: Partial<BackoffOptions>;
  /** Watchdog: the connection is dead after heartbeatMs * 2 + watchdogGraceMs without any frame. Default 5000. */
  watchdogGraceMs?: number;
  /**
   * Reply probe: when a send or request has waited this many ms with no frame at all from the server, the
   * client sends a `ping`; after as long again of silence the connection is dead (closed with 4502,
   * reconnected, unacked sends resent with their ids). 0 turns it off. Default 5000.
   */
  replyProbeMs?: number;
  /** Heartbeat assumed before the first welcome tells the real one. Default 30000. */
  heartbeatMs?: number;
  /** Messages per room whose current state the client keeps (`message(room, seq)`, the `updated` event): the newest seqs. Default 1000. */
  keepMessages?: number;
  /** Answer the server's app-level ping with a pong (default true). */
  answerPings?: boolean;
  /** Random source for backoff jitter (default Math.random). */
  random?: () => number;
  /** Id generator for message ids and request ids (must be unique per user). Default: random prefix + counter. */
  newId?: () => string;
  /** Monotonic-ish clock in ms, used for ping RTT (default performance.now or Date.now). */
  now?: () => number;
  /**
   * Decodes one server text frame into its events, a `batch` flattened (default: `decodeServerFrame`,
   * i.e. JSON.parse). A replacement must yield the same events and throw on a frame that is not JSON
   * (the client then closes as a protocol error, as with the default). Called once per frame, before
   * its events are dispatched. The load generator passes a lighter decoder that reads `msg` events
   * lazily (src/loadtest/fastframe.ts); applications have no reason to set it.
   */
  decodeFrame?: (data: string) => ServerEvent[];
}

/** Emitted when a room's seq stream had a hole that the client is filling (diagnostics). */
export interface GapInfo {
  room: string;
  /** Last seq delivered before the hole. */
  after: number;
  /** First seq seen past the hole (live gaps), or the end of the replay (resume gaps). */
  seq?: number;
  /** 'live': a msg skipped seqs; 'resume': the replay was incomplete; 'skipped': seqs that
   *  history does not have either were skipped for good. */
  reason: 'live' | 'resume' | 'skipped';
}

export interface ChatClientEvents {
  state: StateChange;
  /** Every successful handshake (the first one and each reconnect). */
  welcome: WelcomeFrame;
  /** Chat messages: exactly once, in seq order per room (live, replayed and gap-filled alike). */
  /** A new message (not a change), once per seq, in seq order per room. */
  message: MsgEvent;
  /**
   * After `message`: a new message of someone else, after your read marker, that the room's `unread`
   * count now includes (not a replay the welcome's counts already had): for notifications.
   */
  unreadMessage: MsgEvent;
  /** After `unreadMessage`: that message mentions you (`mentions` has your id) or the room (`mentionAll`); `mentions` counts it. */
  mention: MsgEvent;
  /** A change event (an edit, a removal, a reaction: `change` says which and its target), once per seq, in order. */
  change: MsgEvent;
  /** A message this client holds changed: its new state (text, edited, deleted, reactions, v). */
  updated: MsgEvent;
  presence: PresenceEvent;
  /** Users online in a large room (instead of diffs; `large: false`: small again, fetch `members`). */
  presenceCount: PresenceCountEvent;
  typing: TypingEvent;
  read: ReadEvent;
  member: MemberEvent;
  /** A room entered `rooms` (joined/created/dm here or elsewhere, invited, or found on a reconnect). */
  roomAdded: RoomInfo;
  /** A room left `rooms` (left here or elsewhere, or missing from a reconnect's welcome). */
  roomRemoved: { room: string };
  /** Unsolicited server errors (no `re`), and a bad frame from the server. */
  error: ErrorFrame;
  /** An administrator deleted a message: remove (or mark) the message with this room and seq. */
  deleted: DeletedEvent;
  /** An administrator reset a room: clear its timeline (seqs continue after `lastSeq`). */
  roomReset: RoomResetEvent;
  /** A room's flags changed (read-only); the room's RoomInfo is updated too. A deleted room ends in `roomRemoved`. */
  roomUpdated: RoomUpdatedEvent;
  gap: GapInfo;
  /** A reconnect attempt is scheduled (after each loss while 'reconnecting'): show a countdown. */
  retry: RetryInfo;
  /** A new session token outside a welcome (after `changePassword`): persist it instead of the old one, which no longer works. */
  token: { token: string; expiresAt: number };
}

/** The SDK's next reconnect attempt: number `attempt` (0 after a welcome), in `delayMs`, at `at` (ms since epoch). */
export interface RetryInfo {
  attempt: number;
  delayMs: number;
  at: number;
}

/** What to persist to restore a session later: pass `token` as auth and `resume` as options.resume. */
export interface SessionSnapshot {
  token: string | undefined;
  /** Built with own data properties only (a room id may be `constructor` or `__proto__`): read it with Object.hasOwn. */
  resume: Record<string, number>;
}
