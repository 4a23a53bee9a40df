/**
 * Exact delivery accounting with the per-room seq.
 *
 * Receiving side: for every (client, room) a RecvTrack remembers where the client started in the
 * room (`start`: the room's last seq when it joined, so older messages are history, not expected),
 * the highest seq received (`last`) and the holes below it, as [lo, hi] ranges. The common case, the
 * next seq, is one comparison; a seq already received is a duplicate, a seq that fills a hole is
 * out of order (the SDK should produce neither: counting them checks it).
 *
 * Sending side: every acknowledged message adds its seq to its room's acked list (from all
 * processes). At the end, for each track, the expected deliveries are the acked seqs after `start`
 * (up to `last` for a client that left on purpose during a ramp-down; unbounded otherwise, so a
 * client that stopped receiving counts everything it missed as lost):
 *   delivered = acked seqs in (start, last] that are not in a hole
 *   lost      = expected - delivered
 * Seqs received but never acked (the sender gave up waiting or left before the ack) are reported
 * as `receivedUnacked`, not as deliveries.
 */

export class RecvTrack {
  last: number;
  /** Distinct seqs received. */
  count = 0;
  duplicates = 0;
  outOfOrder = 0;
  /** Missing ranges below `last`, flat [lo0, hi0, lo1, hi1, ...], ascending. */
  holes: number[] | null = null;
  /** The client left on purpose (ramp-down): nothing after `last` is expected. */
  closed = false;

  constructor(readonly start: number) {
    this.last = start;
  }

  /** Records one delivered seq. */
  add(seq: number): void {
    if (seq === this.last + 1) {
      this.last = seq;
      this.count++;
      return;
    }
    if (seq > this.last) {
      (this.holes ??= []).push(this.last + 1, seq - 1);
      this.last = seq;
      this.count++;
      return;
    }
    if (seq <= this.start || !this.fill(seq)) this.duplicates++;
    else {
      this.outOfOrder++;
      this.count++;
    }
  }

  /** Removes seq from the holes; false when it was not missing (a duplicate). */
  private fill(seq: number): boolean {
    const h = this.holes;
    if (!h) return false;
    for (let i = 0; i < h.length; i += 2) {
      const lo = h[i];
      const hi = h[i + 1];
      if (seq < lo || seq > hi) continue;
      if (lo === hi) h.splice(i, 2);
      else if (seq === lo) h[i] = lo + 1;
      else if (seq === hi) h[i + 1] = hi - 1;
      else h.splice(i, 2, lo, seq - 1, seq + 1, hi);
      if (h.length === 0) this.holes = null;
      return true;
    }
    return false;
  }
}

/** A track as reported by a worker: [start, last, count, closed (0/1)] plus its holes. */
export interface TrackReport {
  room: string;
  start: number;
  last: number;
  count: number;
  closed: boolean;
  holes: number[] | null;
}

export function reportOf(room: string, t: RecvTrack): TrackReport {
  return { room, start: t.start, last: t.last, count: t.count, closed: t.closed, holes: t.holes };
}

/** Acked seqs of one room, sorted and unique, with counting by range. */
export class AckedSet {
  private readonly seqs: Float64Array;
  /** Seqs acknowledged more than once (two sends given the same seq: a server bug). */
  readonly repeated: number;

  constructor(all: ArrayLike<number>[]) {
    let n = 0;
    for (const a of all) n += a.length;
    const merged = new Float64Array(n);
    let k = 0;
    for (const a of all) for (let i = 0; i < a.length; i++) merged[k++] = a[i];
    merged.sort();
    let w = 0;
    let repeated = 0;
    for (let i = 0; i < n; i++) {
      if (w > 0 && merged[i] === merged[w - 1]) repeated++;
      else merged[w++] = merged[i];
    }
    this.seqs = merged.subarray(0, w);
    this.repeated = repeated;
  }

  get size(): number {
    return this.seqs.length;
  }

  get max(): number {
    return this.seqs.length ? this.seqs[this.seqs.length - 1] : 0;
  }

  /** Number of acked seqs <= x. */
  private rank(x: number): number {
    let lo = 0;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Acked seqs in (a, b]. */
  countIn(a: number, b: number): number {
    return b <= a ? 0 : this.rank(b) - this.rank(a);
  }
}

export interface LossTotals {
  expected: number;
  delivered: number;
  lost: number;
  receivedUnacked: number;
  duplicates: number;
  outOfOrder: number;
  /** Tracks (client x room) with at least one lost delivery. */
  tracksWithLoss: number;
  repeatedAcks: number;
}

/** Compares what every client received with what every sender had acknowledged. */
export function computeLoss(tracks: Iterable<TrackReport & { duplicates?: number; outOfOrder?: number }>, acked: Map<string, AckedSet>): LossTotals {
  const t: LossTotals = { expected: 0, delivered: 0, lost: 0, receivedUnacked: 0, duplicates: 0, outOfOrder: 0, tracksWithLoss: 0, repeatedAcks: 0 };
  for (const a of acked.values()) t.repeatedAcks += a.repeated;
  const empty = new AckedSet([]);
  for (const tr of tracks) {
    const set = acked.get(tr.room) ?? empty;
    const expected = set.countIn(tr.start, tr.closed ? tr.last : Number.MAX_SAFE_INTEGER);
    let delivered = set.countIn(tr.start, tr.last);
    const h = tr.holes;
    if (h) for (let i = 0; i < h.length; i += 2) delivered -= set.countIn(h[i] - 1, h[i + 1]);
    t.expected += expected;
    t.delivered += delivered;
    t.lost += expected - delivered;
    if (expected > delivered) t.tracksWithLoss++;
    t.receivedUnacked += tr.count - delivered;
    t.duplicates += tr.duplicates ?? 0;
    t.outOfOrder += tr.outOfOrder ?? 0;
  }
  return t;
}
