/**
 * What the terminal client shows, as plain state with no I/O: the joined rooms in the order they
 * are listed, each with its scrollback (messages ordered by seq, plus local info/error lines and our
 * own not-yet-acknowledged messages), unread counts, who is online and who is typing; the current
 * room; the connection status. The session (./session.ts) feeds it from ChatClient events; the
 * layout (./layout.ts) draws it. Every mutation calls `changed()` so the screen can re-render.
 *
 * Messages are held in their current state (docs/protocol.md 6.15): an edit, a removal or a reaction
 * (a change event, never shown as a message itself) replaces the message where it stands, so the
 * screen shows it changed in place.
 *
 * Text stored here is raw (as received); it is sanitized when drawn (./format.ts).
 */
import { namesakes } from '../client/index.js';
import { applyChange } from '../protocol/changes.js';
import type { MsgEvent, PresenceEvent, RoomInfo, RoomKind, TypingEvent, UserRef } from '../protocol/index.js';

/** Receivers hide a typing notice this long after the last `typing` event (docs/protocol.md 6.10). */
export const TYPING_SHOW_MS = 5000;
/** Scrollback kept per room; older entries are dropped (history can be loaded again). */
export const MAX_ENTRIES = 5000;

export type Tone = 'info' | 'error' | 'presence';

/** A message in the scrollback; `msg` is replaced by its new state when it changes. */
export interface MsgEntry {
  kind: 'msg';
  msg: MsgEvent;
}

export type Entry =
  | MsgEntry
  | { kind: 'pending'; id: string; text: string; ts: number; error?: string }
  | { kind: 'info'; text: string; ts: number; tone: Tone };

export interface RoomState {
  id: string;
  kind: RoomKind;
  peer?: UserRef;
  entries: Entry[];
  /** The messages of `entries` by seq. */
  bySeq: Map<number, MsgEntry>;
  /** The lowest seq history pages reached (their change events included), for the next older page. */
  historyFrom?: number;
  /** The highest seq delivered live (change events included): how far the room is read. */
  lastLive: number;
  /** Messages that arrived while another room was shown. */
  unread: number;
  /** One of them mentions us. */
  mentioned: boolean;
  /** Online members by user id (snapshot from `members`, then presence diffs). */
  online: Map<string, string>;
  /** Member count from RoomInfo (for general: users online at the time). */
  members: number;
  /** Typing users by id: name and when to stop showing it. */
  typing: Map<string, { name: string; until: number }>;
  /** Recent history has been requested for this room. */
  historyLoaded: boolean;
  /** History has nothing older than what we hold. */
  historyComplete: boolean;
}

export type ConnState = 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed';

export interface ConnStatus {
  state: ConnState;
  /** While reconnecting: when the next attempt starts (epoch ms), if known. */
  retryAt?: number;
  /** While offline: why. */
  detail?: string;
}

/** How a room is shown: `#general`, `#lobby`, `@bob`. */
export function roomLabel(room: Pick<RoomState, 'id' | 'kind' | 'peer'>): string {
  if (room.kind === 'dm') return `@${room.peer?.name ?? room.id}`;
  return `#${room.id}`;
}

export class ChatModel {
  readonly rooms = new Map<string, RoomState>();
  current = 'general';
  me: (UserRef & { account: boolean }) | undefined;
  conn: ConnStatus = { state: 'connecting' };
  /** Rows scrolled up from the bottom of the current room (0 = following new messages). */
  scroll = 0;
  /**
   * The current state of a message that is not in the scrollback (the SDK's `message(room, seq)`), to
   * quote the original of a reply. Set by the session.
   */
  lookup: (room: string, seq: number) => MsgEvent | undefined = () => undefined;
  /** A live message called us by `@name` since the last takeBell(). */
  private bell = false;

  constructor(
    private readonly changed: () => void = () => {},
    private readonly now: () => number = Date.now,
    /** Called for each message added by addMessage and each note (not for history pages). */
    private readonly appended: (roomId: string, entry: Entry) => void = () => {},
    /** Called for each live change event (applyChangeEvent), with the message it changed when it is held. */
    private readonly changedMsg: (roomId: string, change: MsgEvent, target: MsgEvent | undefined) => void = () => {},
  ) {
    // Every user is in `general`; having it from the start gives early notes (connecting...) a place.
    this.upsertRoom({ id: 'general', kind: 'global', lastSeq: 0, lastRead: 0, members: 0 });
  }

  // ---- rooms -------------------------------------------------------------------------------

  /** The welcome's rooms: adds new ones, refreshes known ones, drops rooms we are no longer in. */
  setRooms(infos: RoomInfo[]): void {
    const keep = new Set(infos.map((r) => r.id));
    for (const id of [...this.rooms.keys()]) if (!keep.has(id)) this.rooms.delete(id);
    for (const info of infos) this.upsertRoom(info);
    if (!this.rooms.has(this.current)) this.current = 'general';
    this.changed();
  }

  upsertRoom(info: RoomInfo): RoomState {
    let room = this.rooms.get(info.id);
    if (!room) {
      room = {
        id: info.id,
        kind: info.kind,
        entries: [],
        bySeq: new Map(),
        lastLive: 0,
        unread: 0,
        mentioned: false,
        online: new Map(),
        members: info.members,
        typing: new Map(),
        historyLoaded: false,
        historyComplete: info.lastSeq === 0,
      };
      this.rooms.set(info.id, room);
    }
    room.kind = info.kind;
    room.members = info.members;
    if (!room.historyLoaded) room.historyComplete = info.lastSeq === 0;
    if (info.peer) room.peer = info.peer;
    this.changed();
    return room;
  }

  removeRoom(id: string): void {
    if (!this.rooms.delete(id)) return;
    if (this.current === id) this.switchTo('general');
    this.changed();
  }

  get currentRoom(): RoomState | undefined {
    return this.rooms.get(this.current);
  }

  /** Finds a joined room by id, `#id`, `@peer` or (for DMs) the peer's name. */
  findRoom(ref: string): RoomState | undefined {
    const r = ref.trim();
    if (r.startsWith('@')) return this.findDm(r.slice(1));
    const id = r.startsWith('#') ? r.slice(1) : r;
    return this.rooms.get(id) ?? this.rooms.get(id.toLowerCase());
  }

  findDm(peerName: string): RoomState | undefined {
    const name = peerName.toLowerCase();
    for (const room of this.rooms.values()) if (room.kind === 'dm' && room.peer?.name.toLowerCase() === name) return room;
    return undefined;
  }

  switchTo(id: string): boolean {
    const room = this.rooms.get(id);
    if (!room) return false;
    this.current = id;
    room.unread = 0;
    room.mentioned = false;
    this.scroll = 0;
    this.changed();
    return true;
  }

  /** The room `step` places after (or before, negative) the current one in the list, cycling. */
  neighbour(step: number): string {
    const ids = [...this.rooms.keys()];
    const i = ids.indexOf(this.current);
    return ids[(((i + step) % ids.length) + ids.length) % ids.length] ?? this.current;
  }

  // ---- messages ----------------------------------------------------------------------------

  /**
   * Adds a message (live, replayed or from history) in seq order; a message already held is ignored.
   * `live` messages in a room that is not shown count as unread. Returns whether it was new.
   */
  addMessage(msg: MsgEvent, live: boolean): boolean {
    const room = this.rooms.get(msg.room);
    if (live && room) room.lastLive = Math.max(room.lastLive, msg.seq);
    if (!room || msg.change || room.bySeq.has(msg.seq)) return false;
    if (msg.uid === this.me?.id) {
      const p = room.entries.findIndex((e) => e.kind === 'pending' && e.id === msg.id);
      if (p >= 0) room.entries.splice(p, 1);
    }
    this.insertMsg(room, msg);
    this.appended(room.id, { kind: 'msg', msg });
    room.typing.delete(msg.uid);
    if (live && msg.uid !== this.me?.id && !msg.deleted) {
      // Mentions as the server resolved them when the message was sent (docs/protocol.md 7.1).
      const called = this.me !== undefined && mentionsMe(msg, this.me.id);
      if (called) this.bell = true;
      if (room.id !== this.current) {
        room.unread++;
        if (called) room.mentioned = true;
      }
    }
    this.changed();
    return true;
  }

  /** Whether the terminal bell is due (a live `@name` mention arrived); clears it. */
  takeBell(): boolean {
    const due = this.bell;
    this.bell = false;
    return due;
  }

  /** A message in the scrollback, by room and seq. */
  held(roomId: string, seq: number): MsgEvent | undefined {
    return this.rooms.get(roomId)?.bySeq.get(seq)?.msg;
  }

  /** A message's current state: from the scrollback, else from `lookup` (the SDK). */
  message(roomId: string, seq: number): MsgEvent | undefined {
    return this.held(roomId, seq) ?? this.lookup(roomId, seq);
  }

  /**
   * A held message's new state (the SDK's `updated` event, a history page): replaces it in place when
   * it is newer (a higher `v`, the seq of the last change in it). Returns whether it was replaced.
   */
  updateMessage(msg: MsgEvent): boolean {
    const entry = this.rooms.get(msg.room)?.bySeq.get(msg.seq);
    if (!entry || msg.change || (msg.v ?? 0) <= (entry.msg.v ?? 0)) return false;
    entry.msg = msg;
    this.changed();
    return true;
  }

  /**
   * A live change event (an edit, a removal, a reaction): applied to its target when held (the same
   * `applyChange` as the SDK's, so whichever of this and the SDK's `updated` comes first, the result
   * is the same). Never shown as a message.
   */
  applyChangeEvent(ev: MsgEvent): void {
    const room = this.rooms.get(ev.room);
    if (!ev.change || !room) return;
    room.lastLive = Math.max(room.lastLive, ev.seq);
    const entry = room.bySeq.get(ev.change.target);
    if (entry) {
      const next = applyChange(entry.msg, ev.change, ev.seq, ev.ts, ev.uid);
      if (next !== entry.msg) entry.msg = next;
    }
    this.changedMsg(room.id, ev, entry?.msg);
    this.changed();
  }

  /** An administrator deleted a message (the `deleted` event, without a seq of its own): a tombstone. */
  markDeleted(roomId: string, seq: number): void {
    const entry = this.rooms.get(roomId)?.bySeq.get(seq);
    if (!entry || entry.msg.deleted) return;
    const { reactions: _r, edited: _e, ...rest } = entry.msg;
    entry.msg = { ...rest, text: '', deleted: true };
    this.changed();
  }

  /** The seq of our newest message in a room that is not deleted (what /edit and /delete default to). */
  lastOwnSeq(roomId: string): number | undefined {
    const entries = this.rooms.get(roomId)?.entries ?? [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i];
      if (e.kind === 'msg' && e.msg.uid === this.me?.id && !e.msg.deleted) return e.msg.seq;
    }
    return undefined;
  }

  /** A page of history (ascending). `older` means there may be more before it. */
  addHistory(roomId: string, msgs: MsgEvent[], hasMore: boolean): number {
    const room = this.rooms.get(roomId);
    if (!room) return 0;
    let added = 0;
    for (const m of msgs) {
      room.historyFrom = Math.min(room.historyFrom ?? m.seq, m.seq);
      if (m.change) continue; // a change event: its target comes in its current state
      const held = room.bySeq.get(m.seq);
      if (held) {
        if ((m.v ?? 0) > (held.msg.v ?? 0)) held.msg = m;
        continue;
      }
      this.insertMsg(room, m);
      added++;
    }
    room.historyLoaded = true;
    if (!hasMore || this.historyCursor(roomId) === 1) room.historyComplete = true;
    this.changed();
    return added;
  }

  /** Where the next older history page starts (`before`): the oldest seq we hold or history reached. */
  historyCursor(roomId: string): number | undefined {
    const room = this.rooms.get(roomId);
    const oldest = this.oldestSeq(roomId);
    const from = room?.historyFrom;
    return oldest === undefined ? from : from === undefined ? oldest : Math.min(oldest, from);
  }

  /** How far a room is read: its newest message, or a later change event. */
  readSeq(roomId: string): number | undefined {
    const newest = this.newestSeq(roomId);
    const live = this.rooms.get(roomId)?.lastLive ?? 0;
    return newest === undefined ? (live > 0 ? live : undefined) : Math.max(newest, live);
  }

  oldestSeq(roomId: string): number | undefined {
    const room = this.rooms.get(roomId);
    for (const e of room?.entries ?? []) if (e.kind === 'msg') return e.msg.seq;
    return undefined;
  }

  newestSeq(roomId: string): number | undefined {
    const entries = this.rooms.get(roomId)?.entries ?? [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i];
      if (e.kind === 'msg') return e.msg.seq;
    }
    return undefined;
  }

  private insertMsg(room: RoomState, msg: MsgEvent): void {
    const entries = room.entries;
    const entry: MsgEntry = { kind: 'msg', msg };
    const newest = this.newestSeq(room.id);
    room.bySeq.set(msg.seq, entry);
    if (newest === undefined || msg.seq > newest) {
      // The newest message (live ones always are): at the end, but above our own messages that are
      // still on their way (they get their place when their own msg comes back).
      let at = entries.length;
      while (at > 0 && entries[at - 1].kind === 'pending' && !(entries[at - 1] as { error?: string }).error) at--;
      entries.splice(at, 0, entry);
    } else {
      // Older (history page or gap): right after the last message with a smaller seq, else before
      // the first message.
      let at = -1;
      for (let i = entries.length - 1; i >= 0; i--) {
        const e = entries[i];
        if (e.kind === 'msg' && e.msg.seq < msg.seq) {
          at = i + 1;
          break;
        }
      }
      if (at < 0) at = entries.findIndex((e) => e.kind === 'msg');
      entries.splice(at, 0, entry);
    }
    this.trim(room);
  }

  private trim(room: RoomState): void {
    const extra = room.entries.length - MAX_ENTRIES;
    if (extra <= 0) return;
    for (const e of room.entries.splice(0, extra)) if (e.kind === 'msg') room.bySeq.delete(e.msg.seq);
    room.historyComplete = false;
    delete room.historyFrom;
  }

  /** Our own message, shown until its `msg` comes back. */
  addPending(roomId: string, id: string, text: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.entries.push({ kind: 'pending', id, text, ts: this.now() });
    this.trim(room);
    this.scroll = 0;
    this.changed();
  }

  failPending(roomId: string, id: string, error: string): void {
    const e = this.rooms.get(roomId)?.entries.find((x) => x.kind === 'pending' && x.id === id);
    if (e && e.kind === 'pending') {
      e.error = error;
      this.changed();
    }
  }

  /** An info/error line in a room (default: the current one). */
  note(text: string, tone: Tone = 'info', roomId = this.current): void {
    const room = this.rooms.get(roomId) ?? this.rooms.get(this.current);
    if (!room) return;
    const entry: Entry = { kind: 'info', text, ts: this.now(), tone };
    room.entries.push(entry);
    this.appended(room.id, entry);
    this.trim(room);
    this.changed();
  }

  // ---- presence & typing ----------------------------------------------------------------------

  setMembers(roomId: string, members: { id: string; name: string; online: boolean }[]): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.online = new Map(members.filter((m) => m.online).map((m) => [m.id, m.name]));
    this.changed();
  }

  /** Applies a presence diff; returns the names that came online / went offline (others than us). */
  presence(ev: PresenceEvent): { online: string[]; offline: string[] } {
    const room = this.rooms.get(ev.room);
    const res = { online: [] as string[], offline: [] as string[] };
    if (!room) return res;
    for (const u of ev.online) {
      room.online.set(u.id, u.name);
      if (u.id !== this.me?.id) res.online.push(u.name);
    }
    for (const u of ev.offline) {
      room.online.delete(u.id);
      room.typing.delete(u.id);
      if (u.id !== this.me?.id) res.offline.push(u.name);
    }
    this.changed();
    return res;
  }

  typing(ev: TypingEvent): void {
    const room = this.rooms.get(ev.room);
    if (!room || ev.uid === this.me?.id) return;
    room.typing.set(ev.uid, { name: ev.user, until: this.now() + TYPING_SHOW_MS });
    this.changed();
  }

  /** Names typing in a room now; drops expired notices. */
  typingNames(roomId: string): string[] {
    const room = this.rooms.get(roomId);
    if (!room) return [];
    const now = this.now();
    const names: string[] = [];
    for (const [uid, t] of room.typing) {
      if (t.until <= now) room.typing.delete(uid);
      else names.push(t.name);
    }
    return names;
  }

  /** When the next typing notice of the current room expires (to re-render then), if any. */
  nextTypingExpiry(): number | undefined {
    let next: number | undefined;
    for (const t of this.currentRoom?.typing.values() ?? []) if (next === undefined || t.until < next) next = t.until;
    return next;
  }

  /**
   * Authors in `room`'s scrollback who do not hold their name now: a guest who left and whose name
   * another user took (or holds now, online in general). Shown with a short id.
   */
  namesakes(room: RoomState | undefined): ReadonlySet<string> {
    if (!room) return new Set();
    const authors: MsgEvent[] = [];
    for (const e of room.entries) if (e.kind === 'msg') authors.push(e.msg);
    const online = [...(this.rooms.get('general')?.online ?? new Map<string, string>())].map(([id, name]) => ({ id, name }));
    return namesakes(authors, online);
  }

  /** Something shown changed outside these methods (a room's fields were set directly). */
  touch(): void {
    this.changed();
  }

  setConn(status: ConnStatus): void {
    this.conn = status;
    this.changed();
  }

  setScroll(rows: number): void {
    const v = Math.max(0, Math.floor(rows));
    if (v === this.scroll) return;
    this.scroll = v;
    this.changed();
  }
}

/**
 * Whether a message mentions user `meId`: the server resolved `@name` to users (`mentions`) or allowed
 * `@room` (`mentionAll`) when it was sent. What rings the terminal bell and highlights the line.
 */
export function mentionsMe(msg: Pick<MsgEvent, 'mentions' | 'mentionAll'>, meId: string): boolean {
  return Boolean(msg.mentionAll || msg.mentions?.some((u) => u.id === meId));
}
