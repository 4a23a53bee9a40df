/**
 * The web UI's chat store: owns one ChatClient (the SDK) per signed-in session and turns its events
 * into an immutable ChatState that React reads with useSyncExternalStore (./react.ts). Components
 * never talk to the SDK directly: they read state and call the actions below.
 *
 * Messages: the SDK delivers each room's msgs exactly once and in order (live, replayed after a
 * reconnect, or gap-filled); they are buffered for one microtask so a replay of hundreds of msgs
 * re-renders once, then merged by seq into the room's timeline (./timeline.ts), which also takes
 * history pages. Own sends show as pending until their ack, failed (with retry, same message id,
 * so the server never stores it twice) when the SDK gives up.
 *
 * Message changes (edit, remove, react: src/protocol/changes.ts) go out through the SDK and come
 * back like everything else, as room events: the SDK's `change` and `updated` events take the same
 * microtask buffer as msgs, after them, and change the loaded messages in place (./incoming.ts);
 * a change event never becomes a row. A reply's quoted message older than the loaded history is
 * fetched on its own (loadQuote), and jumping to it loads older pages until it is there (loadUntil).
 */
import { ChatClient, ChatError, DEFAULT_BACKOFF } from '../../../src/client/index.js';
import { GLOBAL_ROOM } from '../../../src/protocol/rules.js';
import type { Auth } from '../../../src/protocol/schema.js';
import type { MsgEvent, RoomInfo } from '../../../src/protocol/types.js';
import { applyMember, applyPresence, sortMembers, sortRooms } from './members.js';
import { clearSession, loadSession, saveSession } from './session.js';
import { defaultUrl, initialState, newMessageId } from './defaults.js';
import { describeError, sendFailure } from './errors.js';
import { applyIncoming, type Incoming } from './incoming.js';
import { withKey } from './keyed.js';
import { isRoomId } from './room-ref.js';
import { applyLive, applyPage, cleared, emptyTimeline, indexOfSeq, markDeleted, markFromAck } from './timeline.js';
import { addTypist, expireTypists } from './typing.js';
import type { ChatState, PendingMessage, Timeline } from './types.js';

const TYPING_SEND_EVERY_MS = 2500;
/** Read markers go out at most this often per room (a busy room must not eat the frame rate limit). */
const READ_EVERY_MS = 1000;
/** Jumping to a quoted message loads at most this many older pages to find it. */
export const JUMP_MAX_PAGES = 20;
/** Errors after which the saved session is useless. */
const SESSION_DEAD = new Set(['token_expired', 'token_invalid', 'token_revoked', 'name_taken', 'auth_failed']);

export interface StoreOptions {
  /** WebSocket URL; default: /ws on the page's host. */
  url?: string;
  WebSocket?: new (url: string) => WebSocket;
  storage?: Storage;
}

export class ChatStore {
  private state: ChatState;
  private readonly listeners = new Set<() => void>();
  private client: ChatClient | undefined;
  private unbind: (() => void)[] = [];
  private readonly inbox = new Map<string, Incoming[]>();
  /** Quoted messages being fetched (`room seq`), and the fetches waiting their turn (one at a time). */
  private readonly quoting = new Set<string>();
  private readonly quoteQueue: { room: string; seq: number }[] = [];
  private inboxScheduled = false;
  private typingSweep: ReturnType<typeof setInterval> | undefined;
  private readonly typingSent = new Map<string, number>();
  private readonly readSent = new Map<string, number>();
  private readonly readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** The room whose member list is on screen (the members panel), and the large rooms subscribed to for it. */
  private membersShown: string | null = null;
  private readonly subscribed = new Set<string>();
  /** Rooms this page is joining or creating (their room_added is not a notice). */
  private readonly selfAdded = new Set<string>();
  private jumps = 0;

  constructor(private readonly opts: StoreOptions = {}) {
    this.state = initialState();
  }

  // ---- store protocol (useSyncExternalStore) ------------------------------------------------

  readonly subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  readonly getState = (): ChatState => this.state;

  private set(patch: Partial<ChatState>): void {
    this.state = { ...this.state, ...patch };
    for (const fn of [...this.listeners]) fn();
  }

  private setTimeline(room: string, f: (t: Timeline) => Timeline): void {
    const before = this.state.timelines.get(room) ?? emptyTimeline;
    const after = f(before);
    if (after !== before) this.set({ timelines: withKey(this.state.timelines, room, after) });
  }

  private setPending(room: string, f: (list: readonly PendingMessage[]) => readonly PendingMessage[]): void {
    this.set({ pending: withKey(this.state.pending, room, f(this.state.pending.get(room) ?? [])) });
  }

  private refreshRooms(): void {
    if (this.client) this.set({ rooms: sortRooms(this.client.rooms.values()) });
  }

  // ---- session -------------------------------------------------------------------------------

  /** Restores a saved session, if any (call once at start-up). */
  start(): void {
    const saved = loadSession(this.opts.storage);
    if (saved) void this.signIn({ kind: 'token', token: saved.token });
  }

  /** Connects with `auth`; on failure the sign-in form shows the reason. */
  async signIn(auth: Auth): Promise<void> {
    this.teardown();
    const restoring = auth.kind === 'token';
    const client = new ChatClient({
      url: this.opts.url ?? defaultUrl(),
      WebSocket: this.opts.WebSocket ?? WebSocket,
      auth,
      backoff: { ...DEFAULT_BACKOFF, maxMs: 8000 },
    });
    this.client = client;
    this.bind(client);
    this.set({ phase: 'signing-in', restoring, signInError: undefined, conn: { ...this.state.conn, state: 'connecting', error: undefined } });
    try {
      await client.connect();
    } catch (err) {
      if (this.client !== client) return; // signed out or signed in again meanwhile
      this.teardown();
      if (restoring) clearSession(this.opts.storage);
      const why = describeError(err);
      this.state = initialState(this.state.active);
      this.set({ signInError: restoring ? `Your session ended: ${why}` : why });
    }
  }

  signOut(): void {
    this.teardown();
    clearSession(this.opts.storage);
    this.state = initialState();
    this.set({});
  }

  private teardown(): void {
    for (const off of this.unbind) off();
    this.unbind = [];
    this.client?.close();
    this.client = undefined;
    this.inbox.clear();
    this.quoting.clear();
    this.quoteQueue.length = 0;
    this.typingSent.clear();
    this.readSent.clear();
    for (const t of this.readTimers.values()) clearTimeout(t);
    this.readTimers.clear();
    clearInterval(this.typingSweep);
    this.typingSweep = undefined;
  }

  private bind(client: ChatClient): void {
    const on = this.unbind;
    on.push(
      // The countdown of the banner: the SDK announces each reconnect attempt it schedules.
      client.on('retry', (r) => this.set({ conn: { ...this.state.conn, retryAt: r.at } })),
      client.on('state', (s) => {
        const error = s.to === 'closed' && s.error ? describeError(s.error) : undefined;
        if (s.error && SESSION_DEAD.has(s.error.code)) clearSession(this.opts.storage);
        // Account changes (docs/protocol.md 4.5): the session was ended (password changed elsewhere, signed
        // out everywhere, account deleted): back to the sign-in form, saying why.
        if (s.to === 'closed' && s.error?.code === 'token_revoked') {
          const why = s.error.message;
          queueMicrotask(() => {
            if (this.client !== client) return;
            this.teardown();
            this.state = initialState(this.state.active);
            this.set({ signInError: `You were signed out: ${why}` });
          });
          return;
        }
        this.set({ conn: { ...this.state.conn, state: s.to, retryAt: client.reconnectAt, error } });
      }),
      // A new token outside a welcome (after a password change): the saved one no longer works.
      client.on('token', (t) => saveSession({ token: t.token }, this.opts.storage)),
      client.on('welcome', (w) => {
        const first = this.state.phase !== 'ready';
        saveSession({ token: w.token }, this.opts.storage);
        this.set({ phase: 'ready', me: w.user, limits: w.limits });
        this.refreshRooms();
        // First welcome: load the room on screen. Reconnects: the SDK replays missed msgs itself;
        // presence changes of the outage were not sent, so member lists are fetched again.
        if (first) this.openRoom(this.state.active);
        else for (const room of this.state.members.keys()) this.refreshMembers(room);
        if (first || !this.state.members.has(GLOBAL_ROOM)) this.refreshMembers(GLOBAL_ROOM);
      }),
      client.on('message', (m) => this.queueMessage('message', m)),
      // Edits, removals, reactions: the change events themselves (never rows), and the new state of a message the SDK holds.
      client.on('change', (m) => this.queueMessage('change', m)),
      client.on('updated', (m) => this.queueMessage('updated', m)),
      client.on('presence', (ev) => {
        const list = this.state.members.get(ev.room);
        if (!list) return;
        const global = ev.room === GLOBAL_ROOM;
        const { list: next, delta } = applyPresence(list, ev, global);
        this.set({ members: withKey(this.state.members, ev.room, next), onlineTotal: global ? this.state.onlineTotal + delta : this.state.onlineTotal });
      }),
      client.on('presenceCount', (ev) => {
        const global = ev.room === GLOBAL_ROOM;
        const largeRooms = new Map(this.state.largeRooms);
        if (ev.large) largeRooms.set(ev.room, ev.count);
        else largeRooms.delete(ev.room);
        this.set({ largeRooms, onlineTotal: global ? ev.count : this.state.onlineTotal });
        if (!ev.large) this.refreshMembers(ev.room); // diffs come again: the list missed the changes
      }),
      client.on('member', (ev) => {
        const list = this.state.members.get(ev.room);
        if (list) {
          const online = new Set((this.state.members.get(GLOBAL_ROOM) ?? []).map((m) => m.id));
          this.set({ members: withKey(this.state.members, ev.room, applyMember(list, ev, (u) => online.has(u.id))) });
        }
        this.refreshRooms();
      }),
      client.on('typing', (ev) => {
        this.set({ typing: addTypist(this.state.typing, ev, Date.now()) });
        this.typingSweep ??= setInterval(() => this.sweepTyping(), 1000);
      }),
      client.on('read', () => this.refreshRooms()),
      client.on('roomAdded', (r) => {
        this.refreshRooms();
        // Added by someone else (an invite: it adds you directly, docs/protocol.md 6.6). room_added does
        // not say by whom; rooms this page joined or created itself are not news.
        if ((r.kind === 'public' || r.kind === 'private') && !this.selfAdded.delete(r.id)) this.set({ notice: { text: `You were added to #${r.id}`, room: r.id } });
        if (r.id === this.state.active) this.openRoom(r.id); // e.g. invited while looking at its join prompt
      }),
      // Administration: a deleted message becomes a tombstone in place; a reset room is emptied.
      client.on('deleted', (ev) => this.setTimeline(ev.room, (t) => markDeleted(t, ev.seq))),
      client.on('roomReset', (ev) => {
        this.setTimeline(ev.room, cleared);
        if (this.state.quotes.has(ev.room)) {
          const quotes = new Map(this.state.quotes);
          quotes.delete(ev.room);
          this.set({ quotes });
        }
        this.setReply(ev.room, null);
      }),
      client.on('roomUpdated', () => this.refreshRooms()),
      client.on('roomRemoved', ({ room }) => {
        this.refreshRooms();
        if (room === this.state.active) this.openRoom(GLOBAL_ROOM);
      }),
    );
    const net = () => this.set({ conn: { ...this.state.conn, offline: navigator.onLine === false } });
    if (typeof window !== 'undefined') {
      window.addEventListener('online', net);
      window.addEventListener('offline', net);
      on.push(() => {
        window.removeEventListener('online', net);
        window.removeEventListener('offline', net);
      });
    }
  }

  private sweepTyping(): void {
    const { typing, changed, any } = expireTypists(this.state.typing, Date.now());
    if (changed) this.set({ typing });
    if (!any) {
      clearInterval(this.typingSweep);
      this.typingSweep = undefined;
    }
  }

  // ---- incoming messages ---------------------------------------------------------------------

  private queueMessage(kind: Incoming['kind'], msg: MsgEvent): void {
    let list = this.inbox.get(msg.room);
    if (!list) this.inbox.set(msg.room, (list = []));
    list.push({ kind, msg });
    if (this.inboxScheduled) return;
    this.inboxScheduled = true;
    queueMicrotask(() => {
      this.inboxScheduled = false;
      this.flushInbox();
    });
  }

  private flushInbox(): void {
    if (this.inbox.size === 0) return;
    const patch = applyIncoming(this.state, this.inbox, this.state.me?.id);
    this.inbox.clear();
    this.set(patch);
    this.refreshRooms();
  }

  // ---- rooms and history ---------------------------------------------------------------------

  /** Shows `room`; loads its newest page and members the first time. */
  openRoom(room: string): void {
    // From a link or the URL: something that cannot be a room id shows general instead of a prompt
    // to join "__proto__" (the URL then follows, so a reload shows general too).
    if (!isRoomId(room)) room = GLOBAL_ROOM;
    if (room !== this.state.active) this.set({ active: room });
    if (!this.client?.rooms.has(room)) return;
    const t = this.state.timelines.get(room);
    if (!t?.loadedLatest && !t?.loading) void this.loadPage(room, false);
    if (!this.state.members.has(room)) this.refreshMembers(room);
  }

  /** Loads the page before the oldest loaded message (or the newest page if none is loaded yet). */
  loadOlder(room: string): void {
    const t = this.state.timelines.get(room) ?? emptyTimeline;
    if (t.loading || (t.loadedLatest && !t.hasMore)) return;
    void this.loadPage(room, t.loadedLatest);
  }

  private async loadPage(room: string, older: boolean): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.setTimeline(room, (t) => ({ ...t, loading: true, error: undefined }));
    const before = older ? this.state.timelines.get(room)?.messages[0]?.seq : undefined;
    // A page may hold change events (in their seq order): the timeline drops them (the page's messages
    // are already in their current state, see applyPage).
    try {
      const page = await client.history(room, { before, limit: client.limits?.historyPageMax });
      if (this.client !== client) return;
      this.setTimeline(room, (t) => applyPage(t, page, older));
    } catch (err) {
      if (this.client !== client) return;
      this.setTimeline(room, (t) => ({ ...t, loading: false, error: describeError(err) }));
    }
  }

  /**
   * Loads older pages of `room` until message `seq` is loaded (at most `maxPages` pages); true when it is.
   * For jumping to the message a reply quotes.
   */
  async loadUntil(room: string, seq: number, maxPages = JUMP_MAX_PAGES): Promise<boolean> {
    const client = this.client;
    const loaded = () => {
      const t = this.state.timelines.get(room);
      return !!t && t.loadedLatest && (t.messages[0]?.seq ?? Infinity) <= seq;
    };
    for (let pages = 0; !loaded(); ) {
      if (this.client !== client || !client) return false;
      const t = this.state.timelines.get(room) ?? emptyTimeline;
      if (t.loading) {
        await new Promise((r) => setTimeout(r, 50)); // a page already on its way: wait for it
        continue;
      }
      if (t.error || (t.loadedLatest && !t.hasMore) || pages >= maxPages) return false;
      pages++;
      await this.loadPage(room, t.loadedLatest);
    }
    return indexOfSeq(this.state.timelines.get(room)!.messages, seq) >= 0;
  }

  /**
   * Fetches message `seq` of `room` for the quote of a reply when it is older than the loaded history
   * (once per message; one request at a time, so a screen of replies does not spend the rate limit).
   */
  loadQuote(room: string, seq: number): void {
    const key = `${room} ${seq}`;
    if (!this.client || this.quoting.has(key) || this.state.quotes.get(room)?.has(seq)) return;
    const t = this.state.timelines.get(room);
    if (t && indexOfSeq(t.messages, seq) >= 0) return;
    this.quoting.add(key);
    this.quoteQueue.push({ room, seq });
    if (this.quoteQueue.length === 1) void this.nextQuote();
  }

  private async nextQuote(): Promise<void> {
    const client = this.client;
    while (client && this.client === client && this.quoteQueue.length > 0) {
      const { room, seq } = this.quoteQueue[0];
      let found: MsgEvent | null | undefined;
      try {
        const page = await client.history(room, { after: seq - 1, limit: 1 });
        found = page.messages.find((m) => m.seq === seq && !m.change) ?? null;
      } catch {
        found = undefined; // not fetched (offline, refused): the quote says so; asked again after a reload
      }
      if (this.client !== client) return;
      this.quoteQueue.shift();
      if (found !== undefined) {
        const inner = this.state.quotes.get(room) ?? new Map<number, MsgEvent | null>();
        this.set({ quotes: withKey(this.state.quotes, room, withKey(inner, seq, found)) });
      }
    }
  }

  /**
   * Shows the member list of `room` (null: none shown). In a large room the list is live only while shown:
   * subscribed (a fresh snapshot, then diffs) when shown, unsubscribed when hidden. Small rooms: no change.
   */
  showMembers(room: string | null): void {
    const client = this.client;
    const was = this.membersShown;
    this.membersShown = room;
    if (was && was !== room && this.subscribed.delete(was)) void client?.unsubscribeMembers(was).catch(() => {});
    if (room && this.state.largeRooms.has(room) && !this.subscribed.has(room)) this.refreshMembers(room);
  }

  refreshMembers(room: string): void {
    const client = this.client;
    if (!client?.rooms.has(room)) return;
    // A large room's list is subscribed to while the members panel shows it (else it would go stale).
    const subscribe = this.membersShown === room && this.state.largeRooms.has(room);
    if (subscribe) this.subscribed.add(room);
    client.members(room, { subscribe }).then(
      ({ members, total, large }) => {
        if (this.client !== client) return;
        const patch: Partial<ChatState> = { members: withKey(this.state.members, room, sortMembers(members)) };
        if (room === GLOBAL_ROOM) patch.onlineTotal = total;
        if (large !== this.state.largeRooms.has(room)) {
          const largeRooms = new Map(this.state.largeRooms);
          if (large) largeRooms.set(room, room === GLOBAL_ROOM ? total : members.filter((m) => m.online).length);
          else largeRooms.delete(room);
          patch.largeRooms = largeRooms;
        }
        this.set(patch);
        if (large && !subscribe && this.membersShown === room) this.refreshMembers(room); // learnt it is large: subscribe
      },
      () => {
        /* shown as not loaded; retried on the next open or reconnect */
      },
    );
  }

  /** Marks everything in `room` read (called while its newest message is on screen). */
  markRead(room: string): void {
    const client = this.client;
    const r = client?.rooms.get(room);
    if (!client || !r || r.lastRead >= r.lastSeq || this.readTimers.has(room)) return;
    const wait = READ_EVERY_MS - (Date.now() - (this.readSent.get(room) ?? 0));
    if (wait > 0) {
      this.readTimers.set(
        room,
        setTimeout(() => {
          this.readTimers.delete(room);
          if (this.client === client) this.markRead(room);
        }, wait),
      );
      return;
    }
    this.readSent.set(room, Date.now());
    client.markRead(room, r.lastSeq);
    this.refreshRooms();
  }

  async refreshPublicRooms(): Promise<void> {
    const client = this.requireClient();
    const { public: pub } = await client.listRooms();
    if (this.client === client) this.set({ publicRooms: pub.sort((a, b) => a.id.localeCompare(b.id)) });
  }

  // ---- account (docs/protocol.md 4.5; web/src/components/AccountPanel.tsx) ----------------------

  /** Changes the password; this tab stays signed in (its new token saved), the other sessions end. */
  async changePassword(current: string, next: string): Promise<void> {
    await this.requireClient().changePassword(current, next);
  }

  /** Ends every session of this user (this tab too, which goes back to the sign-in form). */
  async signOutEverywhere(): Promise<void> {
    await this.requireClient().signOutEverywhere();
  }

  /** Deletes the account (password confirms it); every session ends. */
  async deleteAccount(password: string): Promise<void> {
    await this.requireClient().deleteAccount(password);
  }

  async createRoom(name: string, visibility: 'public' | 'private'): Promise<RoomInfo> {
    this.selfAdded.add(name.toLowerCase());
    let room: RoomInfo;
    try {
      room = await this.requireClient().create(name, visibility);
    } finally {
      this.selfAdded.delete(name.toLowerCase());
    }
    this.refreshRooms();
    this.openRoom(room.id);
    return room;
  }

  async joinRoom(name: string): Promise<RoomInfo> {
    this.selfAdded.add(name.toLowerCase());
    let room: RoomInfo;
    try {
      room = await this.requireClient().join(name);
    } finally {
      this.selfAdded.delete(name.toLowerCase());
    }
    this.refreshRooms();
    this.openRoom(room.id);
    return room;
  }

  async leaveRoom(room: string): Promise<void> {
    await this.requireClient().leave(room);
    this.refreshRooms();
    if (this.state.active === room) this.openRoom(GLOBAL_ROOM);
  }

  async invite(room: string, user: string): Promise<string> {
    const ref = await this.requireClient().invite(room, user);
    this.refreshMembers(room);
    return ref.name;
  }

  /** Opens (or finds) the direct-message room with `user` and shows it. */
  async openDm(user: string): Promise<RoomInfo> {
    const room = await this.requireClient().dm(user);
    this.refreshRooms();
    this.openRoom(room.id);
    return room;
  }

  /** Full-text search (docs/protocol.md 6.16) over the rooms you are in. */
  search(query: string, opts: Parameters<ChatClient['search']>[1] = {}): ReturnType<ChatClient['search']> {
    return this.requireClient().search(query, opts);
  }

  /** Shows `room` and jumps to its message `seq` (loading history until it is there), e.g. from a search result. */
  jumpTo(room: string, seq: number): void {
    this.set({ jump: { room, seq, n: ++this.jumps } });
    this.openRoom(room);
  }

  /** The room's list took the jump (see jumpTo). */
  jumpTaken(n: number): void {
    if (this.state.jump?.n === n) this.set({ jump: undefined });
  }

  /** Opens (seq) or closes (null) the thread panel of message `seq` of `room`. */
  openThread(room: string, seq: number | null): void {
    this.set({ thread: seq === null ? undefined : { room, seq } });
  }

  /** Shows a one-off notice. */
  notify(text: string, room?: string): void {
    this.set({ notice: room === undefined ? { text } : { text, room } });
  }

  dismissNotice(): void {
    if (this.state.notice) this.set({ notice: undefined });
  }

  private requireClient(): ChatClient {
    if (!this.client) throw new ChatError('closed', 'not signed in');
    return this.client;
  }

  // ---- sending -------------------------------------------------------------------------------

  /** Sends `text` to `room` (`replyTo`: the seq of the message it answers): shown at once as pending, then sent (or failed, with retry). */
  send(room: string, text: string, opts: { replyTo?: number } = {}): void {
    if (!this.client || text.trim().length === 0) return;
    const p: PendingMessage = { id: newMessageId(), room, text, createdAt: Date.now(), status: 'pending' };
    if (opts.replyTo !== undefined) p.replyTo = opts.replyTo;
    this.setPending(room, (list) => [...list, p]);
    if (opts.replyTo !== undefined && this.state.replying.get(room) === opts.replyTo) this.setReply(room, null);
    this.transmit(p);
  }

  /** The message the composer of `room` answers (null: none). */
  setReply(room: string, seq: number | null): void {
    if ((this.state.replying.get(room) ?? null) === seq) return;
    const replying = new Map(this.state.replying);
    if (seq === null) replying.delete(room);
    else replying.set(room, seq);
    this.set({ replying });
  }

  /**
   * Changes to a message (docs/protocol.md 6.15): resolve once the server accepted the change (its
   * effect arrives as a room event, for everyone alike); reject with the server's reason.
   */
  async edit(room: string, seq: number, text: string): Promise<void> {
    await this.requireClient().edit(room, seq, text);
  }

  async remove(room: string, seq: number): Promise<void> {
    await this.requireClient().remove(room, seq);
    if (this.state.replying.get(room) === seq) this.setReply(room, null);
  }

  async react(room: string, seq: number, emoji: string, on: boolean): Promise<void> {
    await this.requireClient().react(room, seq, emoji, on);
  }

  /** Sends a failed message again with the same id (the server acks an already stored one again). */
  retry(room: string, id: string): void {
    const p = this.state.pending.get(room)?.find((x) => x.id === id);
    if (!p || p.status !== 'failed') return;
    const again: PendingMessage = { ...p, status: 'pending', error: undefined };
    this.setPending(room, (list) => list.map((x) => (x.id === id ? again : x)));
    this.transmit(again);
  }

  discard(room: string, id: string): void {
    this.setPending(room, (list) => list.filter((x) => x.id !== id));
  }

  private transmit(p: PendingMessage): void {
    const client = this.client;
    if (!client) return;
    client.send(p.room, p.text, p.replyTo === undefined ? { id: p.id } : { id: p.id, replyTo: p.replyTo }).then(
      (ack) => {
        const me = this.state.me;
        if (this.client !== client || !me) return;
        const msg: MsgEvent = { type: 'msg', room: ack.room, seq: ack.seq, id: p.id, uid: me.id, user: me.name, text: p.text, ts: ack.ts };
        if (p.replyTo !== undefined) msg.replyTo = p.replyTo;
        this.setTimeline(p.room, (t) => applyLive(t, [markFromAck(msg)]));
        this.setPending(p.room, (list) => list.filter((x) => x.id !== p.id));
        this.refreshRooms();
      },
      (err) => {
        if (this.client !== client) return;
        this.setPending(p.room, (list) => list.map((x) => (x.id === p.id ? { ...x, status: 'failed', error: sendFailure(err) } : x)));
      },
    );
  }

  /** Tells the room you are typing (at most every few seconds). */
  typing(room: string): void {
    const now = Date.now();
    if (now - (this.typingSent.get(room) ?? 0) < TYPING_SEND_EVERY_MS) return;
    this.typingSent.set(room, now);
    this.client?.typing(room);
  }
}
