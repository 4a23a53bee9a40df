/**
 * Per-room ordering and gap filling for a node of a cluster.
 *
 * Redis pub/sub is at-most-once and two nodes writing one room race to deliver: node B may hold its own
 * seq 6 before node A's seq 5 reaches it through Redis, and anything published while B's Redis link was
 * down never reaches B at all. The sequencer sits between the bus and the hub and hands `msg` events of
 * each subscribed room to the hub exactly once and in seq order:
 *
 *  - it knows the last seq it delivered per room (`last`);
 *  - seq <= last: a duplicate or a late copy of something already delivered: dropped;
 *  - seq == last + 1: delivered at once (the common case: no wait, no store read);
 *  - seq > last + 1: a gap. Later events are held; the missing ones get `gapWaitMs` to arrive by the bus
 *    (the cross-node race), then are read from the store (`RoomLog.range`) and delivered first;
 *  - after a Redis link drop, `resync` reads the room's head from the store and fills (last, head] the same
 *    way, even if no newer event ever arrives to reveal the gap.
 *
 * A freshly subscribed room starts at the head read from the store after the subscription is effective
 * (`baseline`), so anything committed later is either published to this node or filled from the store.
 * If the store cannot be read after a few tries, the held events are released anyway (clients fill the
 * gap themselves from history, which they also do) and the skip is logged: delivery never stalls for good.
 */

export interface RoomLog {
  /** The room's newest committed seq (0 when empty or unknown). */
  head(room: string): Promise<number>;
  /** The serialized `msg` events with after < seq < before (before undefined: no upper bound), ascending, at most `limit`. */
  range(room: string, after: number, before: number | undefined, limit: number): Promise<{ seq: number; json: string }[]>;
}

export interface SequencedMessage {
  json: string;
  seq?: number;
}

export interface SequencerOptions {
  /** Time given to a missing seq to arrive by the bus before the store is read. */
  gapWaitMs?: number;
  /** Events read from the store per query while filling. */
  fillPage?: number;
  /** Store reads tried per gap before giving up on it. */
  fillAttempts?: number;
  /** Most events held for one room while a gap is being filled; beyond it the fill starts at once. */
  maxHeld?: number;
  onFilled?: (room: string, count: number) => void;
  onSkipped?: (room: string, from: number, to: number, err: unknown) => void;
}

interface RoomState {
  /** Last seq delivered; null before the baseline is known (no RoomLog: set by the first event). */
  last: number | null;
  /** False until `baseline` (events are held meanwhile). */
  ready: boolean;
  held: Map<number, SequencedMessage>;
  timer: NodeJS.Timeout | null;
  filling: boolean;
  /** A store head to reach even without a newer event (resync after a link drop). */
  target: number;
  closed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RoomSequencer {
  private readonly rooms = new Map<string, RoomState>();
  private readonly gapWaitMs: number;
  private readonly fillPage: number;
  private readonly fillAttempts: number;
  private readonly maxHeld: number;

  constructor(
    /** Receives the room's events in order. */
    private readonly deliver: (room: string, msg: SequencedMessage) => void,
    private readonly log: RoomLog | null,
    private readonly opts: SequencerOptions = {},
  ) {
    this.gapWaitMs = opts.gapWaitMs ?? 50;
    this.fillPage = opts.fillPage ?? 500;
    this.fillAttempts = opts.fillAttempts ?? 4;
    this.maxHeld = opts.maxHeld ?? 10_000;
  }

  /** Starts tracking a room (on subscribe). Without a RoomLog the room is ready at once. */
  open(room: string): void {
    if (this.rooms.has(room)) return;
    this.rooms.set(room, { last: null, ready: this.log === null, held: new Map(), timer: null, filling: false, target: 0, closed: false });
  }

  /** Stops tracking (on unsubscribe): held events are dropped, fills in flight are abandoned. */
  close(room: string): void {
    const st = this.rooms.get(room);
    if (!st) return;
    st.closed = true;
    if (st.timer) clearTimeout(st.timer);
    this.rooms.delete(room);
  }

  has(room: string): boolean {
    return this.rooms.has(room);
  }

  /** The last seq delivered for a room (null: not known yet). */
  lastSeq(room: string): number | null {
    return this.rooms.get(room)?.last ?? null;
  }

  /** Sets the starting point of a fresh room (the store head read once the subscription was effective). */
  baseline(room: string, head: number): void {
    const st = this.rooms.get(room);
    if (!st || st.ready) return;
    st.ready = true;
    st.last = head;
    this.drain(room, st);
  }

  /** An event of a tracked room (local or remote). Untracked rooms pass straight through. */
  push(room: string, msg: SequencedMessage): void {
    const st = this.rooms.get(room);
    if (!st || msg.seq === undefined) return this.deliver(room, msg);
    const seq = msg.seq;
    if (!st.ready) {
      st.held.set(seq, msg);
      return;
    }
    if (st.last === null) {
      st.last = seq;
      return this.deliver(room, msg);
    }
    if (seq <= st.last) return;
    if (seq === st.last + 1 && !st.filling) {
      st.last = seq;
      this.deliver(room, msg);
      if (st.held.size) this.drain(room, st);
      return;
    }
    st.held.set(seq, msg);
    this.gap(room, st);
  }

  /**
   * After the bus link came back: anything committed while it was down is read from the store.
   * Resolves when the room is caught up (or the attempt was given up).
   */
  async resync(room: string): Promise<void> {
    const st = this.rooms.get(room);
    if (!st || !this.log || !st.ready) return;
    const head = await this.log.head(room);
    if (st.closed) return;
    if (st.last === null) {
      st.last = head;
      return;
    }
    if (head <= st.last) return;
    st.target = Math.max(st.target, head);
    if (!st.filling) await this.fill(room, st);
  }

  /** Delivers held events that are next in line; a remaining hole is a gap. */
  private drain(room: string, st: RoomState): void {
    if (st.last === null) return;
    this.releaseInLine(room, st);
    if (st.held.size) this.gap(room, st);
  }

  /** Delivers the held events that are next in line (last + 1, + 2, ...) and drops held ones already passed. */
  private releaseInLine(room: string, st: RoomState): void {
    if (st.last === null) return;
    for (;;) {
      const next = st.held.get(st.last + 1);
      if (!next) break;
      st.held.delete(st.last + 1);
      st.last++;
      this.deliver(room, next);
    }
    for (const seq of [...st.held.keys()]) if (seq <= st.last) st.held.delete(seq);
  }

  private gap(room: string, st: RoomState): void {
    if (st.filling || !this.log) {
      if (!this.log) this.skip(room, st, new Error('no store to fill the gap from'));
      return;
    }
    if (st.held.size >= this.maxHeld) {
      if (st.timer) clearTimeout(st.timer);
      st.timer = null;
      void this.fill(room, st);
      return;
    }
    if (st.timer) return;
    st.timer = setTimeout(() => {
      st.timer = null;
      if (!st.closed && st.held.size && !st.filling) void this.fill(room, st);
    }, this.gapWaitMs);
    st.timer.unref?.();
  }

  /** Reads (last, upTo) from the store, delivers it, then what was held. */
  private async fill(room: string, st: RoomState): Promise<void> {
    if (st.filling || st.closed || st.last === null || !this.log) return;
    st.filling = true;
    if (st.timer) clearTimeout(st.timer);
    st.timer = null;
    let filled = 0;
    try {
      for (;;) {
        const upTo = Math.max(st.held.size ? Math.min(...st.held.keys()) - 1 : 0, st.target);
        if (st.last >= upTo) break;
        let page: { seq: number; json: string }[] | null = null;
        let lastErr: unknown;
        for (let attempt = 1; attempt <= this.fillAttempts && !st.closed; attempt++) {
          try {
            page = await this.log.range(room, st.last, upTo + 1, Math.min(this.fillPage, upTo - st.last));
            break;
          } catch (err) {
            lastErr = err;
            await sleep(Math.min(2000, 100 * 2 ** attempt));
          }
        }
        if (st.closed) return;
        if (!page || page.length === 0) {
          // The store does not have them (or cannot be read): release what is held rather than stall.
          this.skip(room, st, lastErr ?? new Error(`store has no seqs ${st.last + 1}..${upTo}`), upTo);
          continue;
        }
        const before: number = st.last;
        for (const m of page) {
          if (m.seq <= st.last) continue;
          st.last = m.seq;
          filled++;
          this.deliver(room, { json: m.json, seq: m.seq });
        }
        // Events that arrived meanwhile and are now next in line.
        this.releaseInLine(room, st);
        if (st.last === before) this.skip(room, st, new Error(`store returned no seq after ${before}`), upTo);
      }
    } finally {
      st.filling = false;
      if (filled) this.opts.onFilled?.(room, filled);
    }
    if (!st.closed && st.held.size) this.drain(room, st);
  }

  /** Gives up on seqs (last, upTo]: moves past them and releases what is held. */
  private skip(room: string, st: RoomState, err: unknown, upTo?: number): void {
    if (st.last === null) return;
    const to = upTo ?? (st.held.size ? Math.min(...st.held.keys()) - 1 : st.last);
    if (to > st.last) this.opts.onSkipped?.(room, st.last + 1, to, err);
    st.last = Math.max(st.last, to);
    st.target = Math.min(st.target, st.last);
    this.releaseInLine(room, st);
  }
}
