/**
 * The session: one ChatClient (the SDK, with the `ws` package as WebSocket) kept in step with the
 * ChatModel, and the commands of ./commands.ts carried out against it. Shared by the full-screen
 * client (./app.ts) and the line mode for scripts (./plain.ts).
 *
 * Identity: a saved session (./session-store.ts) for the same server and name is resumed with its
 * token and last seen seqs, so the server replays what was missed while the client was not running.
 * If the server refuses the token (expired, invalid, name taken), the client falls back to the
 * credentials given on the command line (guest name or account), and says so.
 *
 * The connection state goes to the model for the status line; the SDK's `retry` event says when its
 * next reconnect attempt starts, shown as "reconnecting in Ns".
 */
import WebSocket from 'ws';
import { ChatClient, ChatError, createIdFactory, type ChatClientOptions } from '../client/index.js';
import type { Auth, MsgEvent, RoomInfo, WelcomeFrame } from '../protocol/index.js';
import { runCommand } from './actions.js';
import type { Command } from './commands.js';
import { describeError } from './format.js';
import { roomLabel, type ChatModel } from './model.js';
import type { SessionStore } from './session-store.js';

export type AuthMode = 'guest' | 'login' | 'register';

export interface SessionOptions {
  url: string;
  /** Name to sign in with (optional when a saved session exists). */
  name?: string;
  mode: AuthMode;
  password?: string;
  /** Where sessions are remembered; undefined = do not remember. */
  store?: SessionStore;
  /** Messages of history shown when a room is opened. */
  historyCount: number;
  /** Room to show first (joined if needed). */
  room?: string;
  /** Receive presence events (line mode turns them off). */
  presence?: boolean;
  /** For tests of odd setups; default: the `ws` package. */
  WebSocket?: ChatClientOptions['WebSocket'];
}

/** Token refusals after which the command-line credentials are tried instead. */
const TOKEN_REFUSED = new Set(['token_invalid', 'token_expired', 'name_taken']);
const READ_DEBOUNCE_MS = 500;
const SAVE_DEBOUNCE_MS = 1000;
/** Send a typing notice at most this often per room (docs/protocol.md 6.10). */
const TYPING_EVERY_MS = 3000;
/** A send waits this long (reconnects included) before it is shown as failed. */
const ACK_TIMEOUT_MS = 10 * 60_000;


/** The SDK's state-change reason, readable: "closed 1006 (1006)" -> "connection failed or dropped". */
function closeReason(reason: string): string {
  const m = /^closed (\d+) \(\1\)$/.exec(reason);
  if (!m) return reason;
  return m[1] === '1006' ? 'connection failed or dropped' : `closed with code ${m[1]}`;
}

export class ChatSession {
  client!: ChatClient;
  private readonly newId = createIdFactory();
  private welcomed = false;
  private closing = false;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly lastTyping = new Map<string, number>();
  /** Rooms (ids, or `@name` for DMs) we are joining ourselves: their roomAdded is not news. */
  private readonly ownJoins = new Set<string>();
  /** Rooms we are leaving ourselves: their roomRemoved is not news. */
  private readonly ownLeaves = new Set<string>();
  private tokenExpiresAt = 0;
  private initial: Promise<void> | undefined;

  constructor(
    readonly opts: SessionOptions,
    readonly model: ChatModel,
  ) {}

  /**
   * Connects (with the saved session when it applies). Resolves on the first welcome; rejects with
   * a ChatError when signing in is refused for good (wrong password, name taken...). While the
   * server cannot be reached it keeps retrying (the status line shows it) and does not settle.
   */
  async start(): Promise<WelcomeFrame> {
    const saved = this.opts.store?.get(this.opts.url);
    const fallback = this.credentials();
    const sameName = saved && (this.opts.name === undefined || saved.name.toLowerCase() === this.opts.name.toLowerCase());
    if (saved && sameName && this.opts.mode !== 'register' && saved.tokenExpiresAt > Date.now()) {
      if (saved.room && this.opts.room === undefined) this.opts.room = saved.room;
      try {
        return await this.connectWith({ kind: 'token', token: saved.token }, saved.resume, `${saved.name} (saved session)`);
      } catch (err) {
        if (!(err instanceof ChatError && TOKEN_REFUSED.has(err.code))) throw err;
        this.forget();
        if (!fallback) throw new ChatError(err.code, `the saved session was refused (${describeError(err)}): run the command again to sign in`);
        this.model.note(`the saved session could not be resumed (${describeError(err)}); signing in again`, 'error');
      }
    }
    if (!fallback) throw new ChatError('closed', 'a name is needed: use --name (no saved session for this server)');
    return this.connectWith(fallback, {}, this.opts.name!);
  }

  /** Settles when the first room is shown (joined if --room asked for another one) after start(). */
  get initialRoom(): Promise<void> {
    return this.initial ?? Promise.resolve();
  }

  private credentials(): Auth | undefined {
    const { name, mode, password } = this.opts;
    if (name === undefined) return undefined;
    if (mode === 'guest') return { kind: 'guest', name };
    if (password === undefined) return undefined;
    return mode === 'register' ? { kind: 'register', name, password } : { kind: 'login', name, password };
  }

  private connectWith(auth: Auth, resume: Record<string, number>, who: string): Promise<WelcomeFrame> {
    const client = new ChatClient({
      url: this.opts.url,
      WebSocket: this.opts.WebSocket ?? (WebSocket as unknown as ChatClientOptions['WebSocket']),
      auth,
      resume,
      presence: this.opts.presence ?? true,
      ackTimeoutMs: ACK_TIMEOUT_MS,
      newId: this.newId,
    });
    this.client = client;
    this.model.lookup = (room, seq) => client.message(room, seq);
    this.wire(client);
    this.model.note(`connecting to ${this.opts.url} as ${who}…`);
    return client.connect();
  }

  private wire(client: ChatClient): void {
    const m = this.model;
    const live = () => this.client === client;
    client.on('retry', (r) => {
      if (live()) m.setConn({ state: 'reconnecting', retryAt: r.at });
    });
    client.on('state', (s) => {
      if (!live()) return;
      if (s.to === 'connecting') m.setConn({ state: 'connecting' });
      else if (s.to === 'open') {
        m.setConn({ state: 'open' });
        if (s.from === 'reconnecting' && this.welcomed) m.note('reconnected');
      } else if (s.to === 'reconnecting') {
        m.setConn({ state: 'reconnecting' });
        if (s.from === 'open') m.note(`connection lost (${closeReason(s.reason)}); reconnecting…`, 'error');
        else if (s.from === 'connecting') m.note(`cannot reach ${this.opts.url} (${closeReason(s.reason)}); retrying…`, 'error');
      } else if (s.to === 'closed') {
        if (s.error) {
          m.setConn({ state: 'offline', detail: describeError(s.error) });
          if (this.welcomed) m.note(`disconnected: ${describeError(s.error)}`, 'error');
        } else m.setConn({ state: 'closed' });
      }
    });
    client.on('welcome', (w) => live() && this.onWelcome(w));
    client.on('message', (msg) => live() && this.onMessage(msg));
    // Edits, removals, reactions: the message changes where it is shown (docs/protocol.md 6.15).
    client.on('change', (ev) => {
      if (!live()) return;
      m.applyChangeEvent(ev);
      if (ev.room === m.current && m.scroll === 0) this.markRead(ev.room);
      this.saveSoon();
    });
    client.on('updated', (msg) => live() && m.updateMessage(msg));
    client.on('deleted', (ev) => live() && m.markDeleted(ev.room, ev.seq));
    client.on('roomAdded', (r) => live() && this.onRoomAdded(r));
    client.on('roomRemoved', ({ room }) => {
      if (!live()) return;
      const r = m.rooms.get(room);
      if (r && !this.ownLeaves.has(room)) m.note(`you are no longer in ${roomLabel(r)}`, 'info', m.current === room ? 'general' : m.current);
      m.removeRoom(room);
    });
    client.on('member', (ev) => {
      if (!live() || ev.user.id === m.me?.id) return;
      const r = m.rooms.get(ev.room);
      if (r) m.note(`${ev.user.name} ${ev.action === 'joined' ? 'joined' : 'left'} ${roomLabel(r)}`, 'presence', ev.room);
    });
    client.on('presence', (ev) => {
      if (!live()) return;
      const { online, offline } = m.presence(ev);
      const changes = online.length + offline.length;
      if (changes === 0) return;
      if (changes > 3) m.note(`${online.length} came online, ${offline.length} went offline`, 'presence', ev.room);
      else {
        for (const n of online) m.note(`${n} is online`, 'presence', ev.room);
        for (const n of offline) m.note(`${n} went offline`, 'presence', ev.room);
      }
    });
    client.on('typing', (ev) => live() && m.typing(ev));
    client.on('read', (ev) => {
      const r = m.rooms.get(ev.room);
      if (!live() || !r) return;
      const newest = m.newestSeq(ev.room);
      if (newest !== undefined && ev.seq >= newest && r.unread > 0) {
        r.unread = 0;
        r.mentioned = false;
        m.touch();
      }
    });
    client.on('error', (ev) => live() && m.note(`${ev.message} [${ev.code}]`, 'error'));
  }

  private onWelcome(w: WelcomeFrame): void {
    const m = this.model;
    const first = !this.welcomed;
    this.welcomed = true;
    this.tokenExpiresAt = w.tokenExpiresAt;
    m.me = w.user;
    m.setRooms(w.rooms);
    this.save();
    if (first) {
      m.note(`signed in as ${w.user.name}${w.user.account ? ' (account)' : ' (guest)'}; type /help for commands`);
      const want = this.opts.room;
      this.initial = want && want !== 'general' ? this.run({ kind: 'join', room: want }) : this.open(m.current);
    } else {
      // Presence changes while we were away were missed: take a fresh snapshot.
      void this.refreshMembers(m.current);
    }
  }

  private onMessage(msg: MsgEvent): void {
    this.model.addMessage(msg, true);
    if (msg.room === this.model.current && this.model.scroll === 0) this.markRead(msg.room);
    this.saveSoon();
  }

  private onRoomAdded(r: RoomInfo): void {
    const m = this.model;
    const own = this.ownJoins.has(r.id) || (r.kind === 'dm' && r.peer !== undefined && this.ownJoins.has(`@${r.peer.name.toLowerCase()}`));
    const state = m.upsertRoom(r);
    if (own) return;
    if (r.kind === 'dm') m.note(`${r.peer?.name ?? 'someone'} opened a conversation with you: /switch ${roomLabel(state)}`);
    else m.note(`you are now in ${roomLabel(state)}: /switch ${roomLabel(state)}`);
  }

  // ---- actions ------------------------------------------------------------------------------

  /** Shows a room: switch, load its recent history once, take its presence snapshot. */
  async open(roomId: string): Promise<void> {
    const m = this.model;
    if (!m.switchTo(roomId)) return;
    this.saveSoon();
    const room = m.rooms.get(roomId)!;
    if (!room.historyLoaded && this.opts.historyCount > 0) {
      room.historyLoaded = true;
      try {
        const page = await this.client.history(roomId, { limit: this.opts.historyCount });
        m.addHistory(roomId, page.messages, page.hasMore);
      } catch (err) {
        room.historyLoaded = false;
        m.note(`cannot load the history of ${roomLabel(room)}: ${describeError(err)}`, 'error', roomId);
      }
    }
    this.markRead(roomId);
    await this.refreshMembers(roomId);
  }

  private async refreshMembers(roomId: string): Promise<void> {
    try {
      const r = await this.client.members(roomId);
      this.model.setMembers(roomId, r.members);
    } catch {
      /* not a member any more, or offline: the next welcome refreshes it */
    }
  }

  /** Loads up to `count` messages older than the oldest one shown. */
  async loadOlder(roomId: string, count: number, quiet = false): Promise<number> {
    const m = this.model;
    const room = m.rooms.get(roomId);
    if (!room) return 0;
    let added = 0;
    let want = count;
    const max = this.client.limits?.historyPageMax ?? 200;
    try {
      while (want > 0 && !room.historyComplete) {
        const before = m.historyCursor(roomId);
        const opts: { before?: number; limit: number } = { limit: Math.min(want, max) };
        if (before !== undefined) opts.before = before;
        const page = await this.client.history(roomId, opts);
        const n = m.addHistory(roomId, page.messages, page.hasMore);
        added += n;
        want -= page.messages.filter((x) => !x.change).length; // change events are not messages
        if (m.historyCursor(roomId) === before) room.historyComplete = true; // no progress: do not ask again
        if (page.messages.length === 0 || !page.hasMore) room.historyComplete = true;
      }
    } catch (err) {
      m.note(`cannot load history: ${describeError(err)}`, 'error', roomId);
      return added;
    }
    if (!quiet) m.note(added > 0 ? `loaded ${added} older message${added === 1 ? '' : 's'}` : 'no older messages', 'info', roomId);
    return added;
  }

  /** The user typed in the input line: tell the room, at most every few seconds. */
  typing(): void {
    const room = this.model.current;
    const now = Date.now();
    if (now - (this.lastTyping.get(room) ?? 0) < TYPING_EVERY_MS) return;
    this.lastTyping.set(room, now);
    this.client.typing(room);
  }

  /** Why a message cannot be sent to a room as it is (too long, not a member), if it cannot. */
  validate(roomId: string, text: string): string | undefined {
    const max = this.client.limits?.maxTextLength ?? 4000;
    if (text.length > max) return `message not sent: ${text.length} characters, the limit is ${max}`;
    if (!this.model.rooms.has(roomId)) return `you are not in #${roomId}: /join it first`;
    return undefined;
  }

  /**
   * Sends a message to a room (`replyTo`: the seq of the message it answers), shown as pending until
   * the server sends it back. Resolves with undefined once acknowledged, or with the reason it was not sent.
   */
  say(roomId: string, text: string, replyTo?: number): Promise<string | undefined> {
    const m = this.model;
    const bad = this.validate(roomId, text);
    if (bad) {
      m.note(bad, 'error');
      return Promise.resolve(bad);
    }
    const id = this.newId();
    m.addPending(roomId, id, text);
    this.lastTyping.delete(roomId);
    return this.client.send(roomId, text, replyTo === undefined ? { id } : { id, replyTo }).then(
      () => undefined,
      (err) => {
        const why = describeError(err, replyTo);
        m.failPending(roomId, id, why);
        return why;
      },
    );
  }

  /** Carries out a command (./actions.ts). Errors become error lines. */
  run(cmd: Command): Promise<void> {
    return runCommand(this, cmd);
  }

  /** Marks a room id (or `@name` of a DM) as being joined by us until `release()`: no "you were added" note. */
  expectJoin(key: string): () => void {
    this.ownJoins.add(key);
    return () => this.ownJoins.delete(key);
  }

  /** Same for a room we are leaving: no "you are no longer in" note. */
  expectLeave(id: string): () => void {
    this.ownLeaves.add(id);
    return () => this.ownLeaves.delete(id);
  }

  // ---- read markers & persistence --------------------------------------------------------------

  private markRead(roomId: string): void {
    if (this.readTimers.has(roomId)) return;
    this.readTimers.set(
      roomId,
      setTimeout(() => {
        this.readTimers.delete(roomId);
        const seq = this.model.readSeq(roomId);
        if (seq !== undefined && this.model.rooms.has(roomId) && this.client.state !== 'closed') this.client.markRead(roomId, seq);
      }, READ_DEBOUNCE_MS),
    );
  }

  private saveSoon(): void {
    if (this.saveTimer || !this.opts.store) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, SAVE_DEBOUNCE_MS);
  }

  /** Writes the session file now (token, resume positions, current room). */
  save(): void {
    const store = this.opts.store;
    const me = this.model.me;
    const token = this.client?.token;
    if (!store || !me || !token) return;
    try {
      store.set(this.opts.url, {
        name: me.name,
        userId: me.id,
        account: me.account,
        token,
        tokenExpiresAt: this.tokenExpiresAt,
        resume: this.client.session().resume,
        room: this.model.current,
      });
    } catch (err) {
      this.model.note(`cannot save the session to ${store.file}: ${(err as Error).message}`, 'error');
    }
  }

  private forget(): void {
    try {
      this.opts.store?.set(this.opts.url, undefined);
    } catch {
      /* unwritable: it will be replaced after the next sign-in, or reported by save() */
    }
  }

  /** Saves the session and closes the connection. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.saveTimer);
    for (const t of this.readTimers.values()) clearTimeout(t);
    this.readTimers.clear();
    this.save();
    this.client?.close();
  }
}
