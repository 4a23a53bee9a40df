/**
 * ChatClient: the browser-safe SDK over the scale-chat WebSocket protocol (v1), shared by the web
 * UI, the terminal client and the load generator.
 *
 * One connection at a time, driven by the state machine in ./state.ts:
 *   connect() opens a socket and sends `hello` (auth, resume positions, presence); `welcome` makes
 *   the client 'open'. A close with a reconnectable code (shouldReconnect: 1001/1006/1012, 45xx...)
 *   or a silent connection (watchdog: no frame for heartbeatMs * 2 + watchdogGraceMs, or for
 *   2 * replyProbeMs while a send or request waits for its answer) moves to
 *   'reconnecting': full-jitter backoff, a new socket, `hello` with the session token and the last
 *   seen seq of every room, so the server replays what was missed. A non-reconnectable close
 *   (4000-4499, 1000, 1002...) ends in 'closed' with a ChatError carrying the handshake error code.
 *
 * The socket itself (framing, watchdog, stale-socket filtering) is in ./socket.ts.
 * Delivery guarantees: msgs reach the 'message' event exactly once and in seq order per room
 * (./sync.ts); sends are resent with the same id after reconnects until acked (./send-queue.ts).
 *
 * Membership side effects (joined/left/room_added/room_removed, ./rooms.ts) are applied synchronously
 * when the frame is dispatched, before any later frame of the same batch, so live msgs of a just-joined
 * room are never mistaken for msgs of an unknown room.
 */
// Protocol modules one by one, never ../protocol/index.js: that re-exports the zod schemas (a client
// imports their inferred types only), which would put zod into every bundle of the SDK.
import { CloseCode, shouldReconnect } from '../protocol/codes.js';
import type { ClientFrame, ClientFrameOf, HelloFrame } from '../protocol/schema.js';
import type {
  AckFrame,
  ErrorFrame,
  Limits,
  Member,
  MsgEvent,
  SearchHit,
  ReplyMap,
  RoomInfo,
  ServerEvent,
  UserRef,
  WelcomeFrame,
} from '../protocol/types.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';
import { Emitter, type Listener } from './emitter.js';
import { ChatError } from './errors.js';
import { createIdFactory } from './ids.js';
import { resumeMap, toRecord } from './keys.js';
import { MessageStates } from './messages.js';
import { SendQueue, type AckedFrame } from './send-queue.js';
import { RoomBook } from './rooms.js';
import { StateMachine, type ConnectionState } from './state.js';
import { Socket } from './socket.js';
import { RoomSync } from './sync.js';
import type { ChatClientEvents, ChatClientOptions, SessionSnapshot } from './types.js';
import { resolveWebSocket } from './websocket.js';

type Timer = ReturnType<typeof setTimeout>;
type RequestKind = keyof ReplyMap & ClientFrame['type'];
/** Requests answered by `ack` (./send-queue.ts: resent with their id until acked). */
type AckedKind = 'send' | 'edit' | 'remove' | 'react';

/** The reply type each request expects (anything else is a protocol error). */
const REPLY_TYPE: Record<Exclude<RequestKind, AckedKind>, ServerEvent['type']> = {
  join: 'joined',
  create: 'joined',
  dm: 'joined',
  leave: 'left',
  invite: 'invited',
  rooms: 'rooms',
  members: 'members',
  members_unsubscribe: 'members_unsubscribed',
  history: 'history',
  ping: 'pong',
  search: 'search_results',
  password: 'password_changed',
  signout_all: 'signed_out',
  delete_account: 'account_deleted',
};

/** History fill errors after which retrying is pointless (the room is gone for us). */
const FILL_FATAL = new Set<string>(['no_such_room', 'not_member', 'forbidden', 'closed']);

export class ChatClient {
  private readonly events: Emitter<ChatClientEvents>;
  private readonly machine: StateMachine;
  private readonly sendQueue: SendQueue;
  /** Messages in their current state (./messages.ts). */
  private readonly states: MessageStates;
  private readonly sync: RoomSync;
  private readonly book: RoomBook;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private readonly newId: () => string;
  private readonly now: () => number;

  private readonly socket: Socket;
  /** A welcome arrived on the current socket. */
  private ready = false;
  /** Consecutive failed attempts, for the backoff. */
  private attempt = 0;
  private lastWelcome: WelcomeFrame | undefined;
  private sessionToken: string | undefined;
  /** The `error` frame received during the current handshake, if any. */
  private handshakeError: ErrorFrame | undefined;
  /** Resume positions sent in the current hello (a Map: room ids are keys from the network). */
  private sentResume = new Map<string, number>();
  /** options.resume, own keys and valid seqs only. */
  private readonly initialResume: ReadonlyMap<string, number>;
  private readonly pendingReads = new Map<string, number>();
  private reconnectTimer: Timer | undefined;
  private retryAt: number | null = null;
  private connectPromise: Promise<WelcomeFrame> | undefined;
  private connectSettle: { resolve(w: WelcomeFrame): void; reject(e: ChatError): void } | undefined;

  constructor(private readonly opts: ChatClientOptions) {
    this.events = new Emitter<ChatClientEvents>();
    this.machine = new StateMachine((change) => this.events.emit('state', change));
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.random = opts.random ?? Math.random;
    this.newId = opts.newId ?? createIdFactory();
    this.now = opts.now ?? (typeof performance !== 'undefined' ? () => performance.now() : () => Date.now());
    this.socket = new Socket(resolveWebSocket(opts.WebSocket), opts.url, opts.watchdogGraceMs ?? 5000, opts.heartbeatMs ?? 30_000, {
      open: () => this.sendHello(),
      event: (ev) => this.dispatch(ev),
      lost: (code, reason) => this.lost(code, reason),
      badFrame: () => {
        const frame: ErrorFrame = { type: 'error', code: 'bad_json', message: 'the server sent a frame that is not JSON' };
        this.events.emit('error', frame);
        this.terminate(ChatError.fromFrame(frame), 'bad server frame');
      },
    }, opts.decodeFrame, opts.replyProbeMs ?? 5000, () => ({ type: 'ping', id: this.newId() }));
    if (opts.auth.kind === 'token') this.sessionToken = opts.auth.token;
    this.initialResume = resumeMap(opts.resume);
    this.states = new MessageStates(opts.keepMessages ?? 1000);
    this.sendQueue = new SendQueue({
      transmit: (frame) => this.transmit(frame),
      now: this.now,
      defaultRetryMs: 1000,
    });
    this.sync = new RoomSync({
      deliver: (msg) => this.deliver(msg),
      fetchAfter: async (room, after) => {
        const limit = this.lastWelcome?.limits.historyPageMax;
        const frame: ClientFrameOf<'history'> = { type: 'history', id: this.newId(), room, after };
        if (limit) frame.limit = limit;
        return this.call('history', frame, false);
      },
      retryDelay: (attempt, err) =>
        err instanceof ChatError && FILL_FATAL.has(err.code)
          ? null
          : Math.max(err instanceof ChatError ? (err.retryAfterMs ?? 0) : 0, backoffDelay(attempt, this.backoff, this.random)),
      gap: (info) => this.events.emit('gap', info),
    });
    this.book = new RoomBook(this.sync, this.events);
  }

  // ---- events & getters ----------------------------------------------------------------------

  on<K extends keyof ChatClientEvents>(event: K, fn: Listener<ChatClientEvents[K]>): () => void {
    return this.events.on(event, fn);
  }
  once<K extends keyof ChatClientEvents>(event: K, fn: Listener<ChatClientEvents[K]>): () => void {
    return this.events.once(event, fn);
  }
  off<K extends keyof ChatClientEvents>(event: K, fn: Listener<ChatClientEvents[K]>): void {
    this.events.off(event, fn);
  }

  get state(): ConnectionState {
    return this.machine.state;
  }
  /** When the scheduled reconnect attempt starts (ms since epoch); null when none is scheduled. */
  get reconnectAt(): number | null {
    return this.retryAt;
  }
  /** Why the client is 'closed' when it was not close(): auth failure, token expired... */
  get closeError(): ChatError | undefined {
    return this.machine.error;
  }
  get user(): WelcomeFrame['user'] | undefined {
    return this.lastWelcome?.user;
  }
  get token(): string | undefined {
    return this.sessionToken;
  }
  get limits(): Limits | undefined {
    return this.lastWelcome?.limits;
  }
  /** Rooms the user is a member of (RoomInfo objects are replaced, never mutated, on change; see ./rooms.ts). */
  get rooms(): ReadonlyMap<string, RoomInfo> {
    return this.book.map;
  }
  /** Highest seq delivered (or the starting position) in `room`. */
  lastSeq(room: string): number | undefined {
    return this.sync.last(room) ?? (this.lastWelcome ? undefined : this.initialResume.get(room));
  }
  /** What to persist to restore this session later (token auth + resume positions). */
  session(): SessionSnapshot {
    return { token: this.sessionToken, resume: toRecord(this.lastWelcome ? this.sync.positions() : this.initialResume) };
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Connects; resolves with the first welcome, rejects if the client closes before it. */
  connect(): Promise<WelcomeFrame> {
    if (this.connectPromise) return this.connectPromise;
    if (this.state === 'closed') return Promise.reject(this.machine.error ?? new ChatError('closed', 'client is closed'));
    this.connectPromise = new Promise<WelcomeFrame>((resolve, reject) => {
      this.connectSettle = { resolve, reject };
    });
    // Fire-and-forget connect() is fine: a terminal failure is also reported by the 'state' event,
    // so an un-awaited rejection must not crash Node with an unhandled rejection.
    this.connectPromise.catch(() => {});
    this.machine.set('connecting', 'connect()');
    if (this.state === 'connecting') this.openSocket(); // a 'state' listener may have closed us
    return this.connectPromise;
  }

  /** Closes for good: pending requests and sends reject with 'closed'. */
  close(): void {
    this.terminate(undefined, 'close()');
  }

  private openSocket(): void {
    this.reconnectTimer = undefined;
    this.retryAt = null;
    this.ready = false;
    this.handshakeError = undefined;
    try {
      this.socket.open();
    } catch (err) {
      this.terminate(new ChatError('closed', `cannot open WebSocket: ${(err as Error)?.message ?? err}`), 'bad url');
    }
  }

  private sendHello(): void {
    this.sentResume = new Map(this.lastWelcome ? this.sync.positions() : this.initialResume);
    const auth = this.sessionToken !== undefined ? { kind: 'token' as const, token: this.sessionToken } : this.opts.auth;
    const hello: HelloFrame = { type: 'hello', v: PROTOCOL_VERSION, auth, presence: this.opts.presence ?? true };
    if (this.sentResume.size > 0) hello.resume = toRecord(this.sentResume);
    this.rawSend(hello);
  }

  /** The connection is gone (server close or watchdog): reconnect or end, per the close code. */
  private lost(code: number, reason: string): void {
    const hsError = this.handshakeError;
    this.ready = false;
    this.sendQueue.offline();
    this.sync.reset();
    if (!shouldReconnect(code)) {
      const err = hsError
        ? ChatError.fromFrame(hsError, code)
        : new ChatError('closed', `connection closed by the server: ${code}${reason ? ` (${reason})` : ''}`, { closeCode: code });
      this.terminate(err, `closed ${code}`);
      return;
    }
    this.machine.set('reconnecting', `${reason} (${code})`);
    if (this.state !== 'reconnecting') return; // a listener closed the client
    const attempt = this.attempt++;
    const delay = backoffDelay(attempt, this.backoff, this.random);
    this.reconnectTimer = setTimeout(() => {
      if (this.state === 'reconnecting') this.openSocket();
    }, delay);
    this.retryAt = Date.now() + delay;
    this.events.emit('retry', { attempt, delayMs: delay, at: this.retryAt });
  }

  private terminate(err: ChatError | undefined, reason: string): void {
    if (this.state === 'closed') return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.retryAt = null;
    this.ready = false;
    this.socket.drop(CloseCode.normal, 'client closed');
    this.sync.reset();
    this.pendingReads.clear();
    this.machine.set('closed', reason, err);
    const closedErr = err ?? new ChatError('closed', 'client closed');
    this.sendQueue.rejectAll(closedErr);
    this.connectSettle?.reject(closedErr);
    this.connectSettle = undefined;
  }

  // ---- incoming ------------------------------------------------------------------------------

  private dispatch(ev: ServerEvent): void {
    if (!this.ready) {
      if (ev.type === 'welcome') this.onWelcome(ev);
      else if (ev.type === 'error') this.handshakeError = ev;
      return;
    }
    switch (ev.type) {
      case 'msg':
        return this.sync.onMsg(ev);
      case 'resume':
        return this.sync.onResume(ev);
      case 'ping':
        if (this.opts.answerPings ?? true) this.rawSend({ type: 'pong' });
        return;
      case 'joined':
        this.book.add(ev.room);
        this.sendQueue.handle(ev);
        return;
      case 'room_added':
        return this.book.add(ev.room);
      case 'left':
        this.book.remove(ev.room);
        this.sendQueue.handle(ev);
        return;
      case 'room_removed':
        return this.book.remove(ev.room);
      case 'read':
        this.book.read(ev.room, ev.seq);
        return this.events.emit('read', ev);
      case 'member':
        this.book.member(ev);
        return this.events.emit('member', ev);
      case 'presence':
        return this.events.emit('presence', ev);
      case 'presence_count':
        return this.events.emit('presenceCount', ev);
      case 'typing':
        return this.events.emit('typing', ev);
      case 'error':
        // An admin kick/ban explains the close that follows: the terminal ChatError carries its code.
        // So does a session revoked by an account change (4015): the client ends, it does not reconnect.
        if (ev.code === 'kicked' || ev.code === 'banned' || ev.code === 'token_revoked') this.handshakeError = ev;
        if (!this.sendQueue.handle(ev)) this.events.emit('error', ev);
        return;
      case 'deleted':
        return this.events.emit('deleted', ev);
      case 'room_reset':
        return this.events.emit('roomReset', ev);
      case 'room_updated':
        this.book.flags(ev.room, ev.readOnly);
        return this.events.emit('roomUpdated', ev);
      case 'room_deleted':
        return this.book.remove(ev.room);
      case 'welcome':
        return; // only valid once per connection
      default:
        this.sendQueue.handle(ev); // ack and the other replies
    }
  }

  private onWelcome(w: WelcomeFrame): void {
    const first = this.lastWelcome === undefined;
    this.ready = true;
    this.attempt = 0;
    this.lastWelcome = w;
    this.sessionToken = w.token;
    if (w.heartbeatMs > 0) this.socket.heartbeatMs = w.heartbeatMs;
    this.socket.armWatchdog();
    // Membership is what the server says; positions are what we sent in hello.resume.
    const { added, removed } = this.book.reconcile(w.rooms, this.sentResume);
    // Old unacked sends and queued requests go out before anything a listener sends.
    this.sendQueue.online();
    for (const [room, seq] of this.pendingReads) this.rawSend({ type: 'read', room, seq });
    this.pendingReads.clear();
    const gen = this.socket.generation;
    this.machine.set('open', first ? 'welcome' : 'resumed');
    if (gen !== this.socket.generation) return; // a 'state' listener closed the client
    this.events.emit('welcome', w);
    for (const room of removed) this.events.emit('roomRemoved', { room });
    if (!first) for (const r of added) this.events.emit('roomAdded', r);
    this.connectSettle?.resolve(w);
    this.connectSettle = undefined;
  }

  private deliver(msg: MsgEvent): void {
    this.book.delivered(msg.room, msg.seq);
    const counted = this.book.count(msg, this.lastWelcome?.user.id);
    const updated = this.states.take(msg);
    if (msg.change) {
      this.events.emit('change', msg);
      if (updated) this.events.emit('updated', updated);
      return;
    }
    this.events.emit('message', msg);
    if (counted === 'none') return;
    this.events.emit('unreadMessage', msg);
    if (counted === 'mention') this.events.emit('mention', msg);
  }

  // ---- outgoing ------------------------------------------------------------------------------

  private rawSend(frame: ClientFrame): boolean {
    return this.socket.send(frame);
  }

  private transmit(frame: ClientFrame): boolean {
    return this.ready && this.rawSend(frame);
  }

  private async call<K extends Exclude<RequestKind, AckedKind>>(
    kind: K,
    frame: ClientFrameOf<K> & { id: string },
    retry: boolean,
    onSent?: (at: number) => void,
  ): Promise<ReplyMap[K]> {
    if (this.state === 'closed') throw this.machine.error ?? new ChatError('closed', 'client is closed');
    const timeoutMs = this.opts.requestTimeoutMs ?? 10_000;
    const reply = await this.sendQueue.request(frame, { timeoutMs, retry, onSent });
    if (reply.type !== REPLY_TYPE[kind]) throw new ChatError('bad_frame', `unexpected reply ${reply.type} to ${kind}`);
    return reply as ReplyMap[K];
  }

  /** Sends a message (`replyTo`: the seq of the message it answers); resolves with its ack (seq, ts). Resent with the same id until acked. */
  send(room: string, text: string, opts: { id?: string; replyTo?: number } = {}): Promise<AckFrame> {
    const frame: ClientFrameOf<'send'> = { type: 'send', id: opts.id ?? this.newId(), room, text };
    if (opts.replyTo !== undefined) frame.replyTo = opts.replyTo;
    return this.acked(frame);
  }

  /** Edits your message `seq` of `room` (docs/protocol.md 6.15); resolves with the ack of the change. */
  edit(room: string, seq: number, text: string, opts: { id?: string } = {}): Promise<AckFrame> {
    return this.acked({ type: 'edit', id: opts.id ?? this.newId(), room, target: seq, text });
  }

  /** Removes message `seq` of `room` (yours; anyone's for an administrator). */
  remove(room: string, seq: number, opts: { id?: string } = {}): Promise<AckFrame> {
    return this.acked({ type: 'remove', id: opts.id ?? this.newId(), room, target: seq });
  }

  /** Turns your reaction `emoji` on message `seq` on (default) or off. */
  react(room: string, seq: number, emoji: string, on = true, opts: { id?: string } = {}): Promise<AckFrame> {
    return this.acked({ type: 'react', id: opts.id ?? this.newId(), room, target: seq, emoji, on });
  }

  /** The messages of `room` this client holds in their current state, ascending (at most keepMessages). */
  messages(room: string): MsgEvent[] {
    return this.states.list(room);
  }

  /** The current state of a message this client has seen (edits, removal, reactions applied), if it still holds it. */
  message(room: string, seq: number): MsgEvent | undefined {
    return this.states.get(room, seq);
  }

  private acked(frame: AckedFrame): Promise<AckFrame> {
    if (this.state === 'closed') return Promise.reject(this.machine.error ?? new ChatError('closed', 'client is closed'));
    return this.sendQueue.send(frame, this.opts.ackTimeoutMs ?? 15_000);
  }

  async join(room: string): Promise<RoomInfo> {
    return (await this.call('join', { type: 'join', id: this.newId(), room }, true)).room;
  }

  async create(room: string, visibility: 'public' | 'private'): Promise<RoomInfo> {
    return (await this.call('create', { type: 'create', id: this.newId(), room, visibility }, false)).room;
  }

  async leave(room: string): Promise<void> {
    await this.call('leave', { type: 'leave', id: this.newId(), room }, false);
  }

  async invite(room: string, userName: string): Promise<UserRef> {
    return (await this.call('invite', { type: 'invite', id: this.newId(), room, user: userName }, false)).user;
  }

  /** Opens (or finds) the DM room with `userName`. */
  async dm(userName: string): Promise<RoomInfo> {
    return (await this.call('dm', { type: 'dm', id: this.newId(), user: userName }, true)).room;
  }

  /** Rooms you are a member of, and public rooms you can join. */
  async listRooms(): Promise<{ rooms: RoomInfo[]; public: RoomInfo[] }> {
    const r = await this.call('rooms', { type: 'rooms', id: this.newId() }, true);
    return { rooms: r.rooms, public: r.public };
  }

  /**
   * A room's members (general: the users online), at most 1000, and `total`. `large`: the room has more
   * users online than the server's presenceLargeRoom, so its presence arrives as `presenceCount` events;
   * with `subscribe: true` this connection also gets the room's `presence` diffs while it is large, until
   * `unsubscribeMembers` (or leaving the room, or the connection ending: subscribe again after a reconnect).
   * Rejects with `limit_exceeded` when 8 rooms are subscribed already.
   */
  async members(room: string, opts: { subscribe?: boolean } = {}): Promise<{ members: Member[]; total: number; large: boolean; subscribed: boolean }> {
    const frame: ClientFrameOf<'members'> = { type: 'members', id: this.newId(), room };
    if (opts.subscribe) frame.subscribe = true;
    const r = await this.call('members', frame, true);
    return { members: r.members, total: r.total, large: r.large ?? false, subscribed: r.subscribed ?? false };
  }

  /** Stops the `presence` diffs of a large room that `members(room, {subscribe: true})` started (counts go on). */
  async unsubscribeMembers(room: string): Promise<void> {
    await this.call('members_unsubscribe', { type: 'members_unsubscribe', id: this.newId(), room }, true);
  }

  /** A page of history (ascending), before or after a seq. */
  async history(
    room: string,
    opts: { before?: number; after?: number; limit?: number } = {},
  ): Promise<{ messages: MsgEvent[]; hasMore: boolean }> {
    const frame: ClientFrameOf<'history'> = { type: 'history', id: this.newId(), room };
    if (opts.before !== undefined) frame.before = opts.before;
    if (opts.after !== undefined) frame.after = opts.after;
    if (opts.limit !== undefined) frame.limit = opts.limit;
    const r = await this.call('history', frame, true);
    // Messages in their current state; the page's change events also reach messages held from before.
    for (const m of r.messages) if (!m.change) this.states.take(m);
    for (const m of r.messages) if (m.change) this.states.take(m);
    return { messages: r.messages, hasMore: r.hasMore };
  }

  /**
   * Full-text search over the rooms you are a member of (docs/protocol.md 6.16): every word of `query`
   * as a prefix; newest first (default) or best first; pass the returned `next` as `cursor` for more.
   */
  async search(
    query: string,
    opts: { room?: string; from?: string; before?: number; after?: number; order?: 'newest' | 'best'; limit?: number; cursor?: string } = {},
  ): Promise<{ results: SearchHit[]; next?: string }> {
    const frame: ClientFrameOf<'search'> = { type: 'search', id: this.newId(), query };
    for (const k of ['room', 'from', 'before', 'after', 'order', 'limit', 'cursor'] as const) if (opts[k] !== undefined) Object.assign(frame, { [k]: opts[k] });
    const r = await this.call('search', frame, true);
    return r.next === undefined ? { results: r.results } : { results: r.results, next: r.next };
  }

  /** Typing indicator (ephemeral: dropped when not connected). */
  typing(room: string): void {
    if (this.ready) this.rawSend({ type: 'typing', room });
  }

  /** Moves your read marker; sent now, or on the next connection if not connected. */
  markRead(room: string, seq: number): void {
    if (this.state === 'closed') return;
    this.book.read(room, seq);
    if (!(this.ready && this.rawSend({ type: 'read', room, seq }))) {
      this.pendingReads.set(room, Math.max(seq, this.pendingReads.get(room) ?? 0));
    }
  }

  // ---- account (docs/protocol.md 4.5) ---------------------------------------------------------

  /**
   * Changes the account's password (`current` required). This client keeps working with the new token
   * it got (and emits `token`, to persist); every other session of the user is closed (4015) and its
   * token stops working. Rejects with `auth_failed` (wrong current password), `password_invalid`,
   * `login_throttled` (with retryAfterMs) or `forbidden` (a guest).
   */
  async changePassword(current: string, next: string): Promise<void> {
    const r = await this.call('password', { type: 'password', id: this.newId(), current, next }, false);
    this.sessionToken = r.token;
    this.events.emit('token', { token: r.token, expiresAt: r.tokenExpiresAt });
  }

  /** Ends every session of the user, this one included (the client then closes with `token_revoked`, 4015); every token stops working. */
  async signOutEverywhere(): Promise<void> {
    await this.call('signout_all', { type: 'signout_all', id: this.newId() }, false);
    this.sessionToken = undefined;
  }

  /**
   * Deletes the account (its password confirms it): every session ends (this client closes with
   * `token_revoked`, 4015). Rejects with `auth_failed`, `login_throttled` or `forbidden` (a guest).
   */
  async deleteAccount(password: string): Promise<void> {
    await this.call('delete_account', { type: 'delete_account', id: this.newId(), password }, false);
    this.sessionToken = undefined;
  }

  /** Round-trip time in ms of an app-level ping. */
  async ping(): Promise<number> {
    let sentAt = this.now();
    await this.call('ping', { type: 'ping', id: this.newId() }, true, (at) => (sentAt = at));
    return this.now() - sentAt;
  }
}
