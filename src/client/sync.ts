/**
 * Per-room message sequencing: delivers each room's `msg` events to the app exactly once and in
 * seq order, whatever mix of replay, live events, duplicates and gaps the connection produces.
 *
 * For every room the user is a member of we track `last`, the highest seq delivered (or the
 * position we started from: the room's lastSeq when joined, or the resume position). Then, for
 * an incoming msg:
 *   seq <= last        duplicate (replay/live race, resend echo): dropped
 *   seq == last + 1    delivered, last = seq
 *   seq >  last + 1    a gap: the msg is buffered and a fill starts
 * A fill pages `history {after: last}` until `hasMore` is false, delivering each page in order,
 * while that room's live msgs are buffered; then the buffer is drained in seq order. A resume
 * event with complete:false starts a fill too. If history confirms seqs are missing for good
 * (after a couple of refills), they are skipped and a 'skipped' gap is reported.
 *
 * Fills are tied to a per-track token: reset() (connection lost; the resume handshake will
 * replay from `last`) and remove() invalidate in-flight fills, whose results are then ignored.
 */
import type { MsgEvent, ResumeEvent } from '../protocol/types.js';
import type { GapInfo } from './types.js';

type Timer = ReturnType<typeof setTimeout>;

export interface SyncHost {
  /** Hands one msg to the app (called in order, once per seq). */
  deliver(msg: MsgEvent): void;
  /** Fetches a history page of `room` with seq > after, ascending. */
  fetchAfter(room: string, after: number): Promise<{ messages: MsgEvent[]; hasMore: boolean }>;
  /** Delay before retrying a failed fetch, or null to give up on this fill. */
  retryDelay(attempt: number, err: unknown): number | null;
  gap(info: GapInfo): void;
}

interface Track {
  last: number;
  filling: boolean;
  /** Live msgs received while filling (or past a gap), by seq. */
  buffer: Map<number, MsgEvent>;
  /** Bumped to invalidate in-flight fills. */
  token: number;
  /** Refills done because a hole remained after history said there was no more. */
  holeRetries: number;
  retryTimer?: Timer;
}

/** How many times to re-ask history when a hole remains before giving up on those seqs. */
const MAX_HOLE_RETRIES = 2;

export class RoomSync {
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly host: SyncHost) {}

  has(room: string): boolean {
    return this.tracks.has(room);
  }

  /** Last delivered seq of `room` (undefined when not tracked). */
  last(room: string): number | undefined {
    return this.tracks.get(room)?.last;
  }

  /** Resume positions of every tracked room. */
  positions(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [room, t] of this.tracks) out.set(room, t.last);
    return out;
  }

  /** Starts (or restarts) tracking `room` from `last`; cancels any fill. */
  track(room: string, last: number): void {
    this.remove(room);
    this.tracks.set(room, { last, filling: false, buffer: new Map(), token: 0, holeRetries: 0 });
  }

  remove(room: string): void {
    const t = this.tracks.get(room);
    if (!t) return;
    this.cancel(t);
    this.tracks.delete(room);
  }

  /** Connection lost: cancel fills and drop buffers, keep positions (the resume replays from them). */
  reset(): void {
    for (const t of this.tracks.values()) this.cancel(t);
  }

  private cancel(t: Track): void {
    t.token++;
    t.filling = false;
    t.buffer.clear();
    t.holeRetries = 0;
    if (t.retryTimer !== undefined) clearTimeout(t.retryTimer);
    t.retryTimer = undefined;
  }

  onMsg(msg: MsgEvent): void {
    const t = this.tracks.get(msg.room);
    if (!t || msg.seq <= t.last) return; // not a member (stale), or a duplicate
    if (t.filling) {
      t.buffer.set(msg.seq, msg);
      return;
    }
    if (msg.seq === t.last + 1) {
      t.last = msg.seq;
      this.host.deliver(msg);
      return;
    }
    t.buffer.set(msg.seq, msg);
    this.startFill(msg.room, t, { room: msg.room, after: t.last, seq: msg.seq, reason: 'live' });
  }

  onResume(ev: ResumeEvent): void {
    const t = this.tracks.get(ev.room);
    if (!t || ev.complete || t.filling) return;
    this.startFill(ev.room, t, { room: ev.room, after: t.last, seq: ev.toSeq, reason: 'resume' });
  }

  private startFill(room: string, t: Track, info: GapInfo): void {
    t.filling = true;
    const token = ++t.token;
    this.host.gap(info);
    void this.fill(room, t, token, 0);
  }

  private alive(room: string, t: Track, token: number): boolean {
    return t.token === token && this.tracks.get(room) === t;
  }

  private async fill(room: string, t: Track, token: number, attempt: number): Promise<void> {
    for (;;) {
      let page: { messages: MsgEvent[]; hasMore: boolean };
      try {
        page = await this.host.fetchAfter(room, t.last);
      } catch (err) {
        if (!this.alive(room, t, token)) return;
        const delay = this.host.retryDelay(attempt, err);
        if (delay === null) return this.finishFill(room, t, token, true);
        t.retryTimer = setTimeout(() => {
          t.retryTimer = undefined;
          if (this.alive(room, t, token)) void this.fill(room, t, token, attempt + 1);
        }, delay);
        return;
      }
      if (!this.alive(room, t, token)) return;
      attempt = 0;
      let progressed = false;
      for (const m of [...page.messages].sort((a, b) => a.seq - b.seq)) {
        if (m.seq <= t.last) continue;
        t.last = m.seq;
        t.buffer.delete(m.seq);
        progressed = true;
        this.host.deliver(m);
        if (!this.alive(room, t, token)) return;
      }
      if (!page.hasMore || !progressed) break;
    }
    this.finishFill(room, t, token, false);
  }

  /** Ends a fill: drains the buffer in order, or refills when a hole remains before it. */
  private finishFill(room: string, t: Track, token: number, givingUp: boolean): void {
    const seqs = [...t.buffer.keys()].filter((s) => s > t.last).sort((a, b) => a - b);
    if (!givingUp && seqs.length > 0 && seqs[0] > t.last + 1 && t.holeRetries < MAX_HOLE_RETRIES) {
      t.holeRetries++;
      void this.fill(room, t, token, 0);
      return;
    }
    t.filling = false;
    t.holeRetries = 0;
    for (const seq of seqs) {
      const m = t.buffer.get(seq)!;
      t.buffer.delete(seq);
      if (seq <= t.last) continue;
      if (seq > t.last + 1) this.host.gap({ room, after: t.last, seq, reason: 'skipped' });
      t.last = seq;
      this.host.deliver(m);
      if (!this.alive(room, t, token)) return;
    }
    t.buffer.clear();
  }
}
