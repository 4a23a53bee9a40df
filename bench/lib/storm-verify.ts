/**
 * The reconnect storm's delivery check, for one generator's clients: given what the parent learned
 * of each room (every acked message with its seq and whether it was acked before the kill, the ids
 * that were unacked at the kill, the room's final seq), each member's stream must hold every seq
 * after its starting point exactly once. Counted in member-message pairs: a message acked before
 * the kill that a member lacks is LOSS; a lacking seq acked after the kill (a resend) or never
 * reported acked is counted apart; a seq delivered twice is a duplicate; a message unacked at the
 * kill that a member got under two seqs means its resend was stored twice (idempotency broken).
 */
import type { RoomTruth, VerifyCounts } from './storm-ipc.js';

export function emptyCounts(): VerifyCounts {
  return { clients: 0, lostPreKill: 0, missedPostKill: 0, missedOther: 0, duplicates: 0, wireDuplicates: 0, idMismatch: 0, unackedTwice: 0 };
}

export function addCounts(a: VerifyCounts, b: VerifyCounts): VerifyCounts {
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof VerifyCounts)[]) out[k] += b[k];
  return out;
}

/** One room's truth, indexed for the member checks. */
export class RoomIndex {
  private readonly pre = new Map<number, string>();
  private readonly post = new Map<number, string>();
  private readonly unacked: Set<string>;
  readonly finalSeq: number;

  constructor(truth: RoomTruth) {
    for (const [seq, id, preKill] of truth.acked) (preKill ? this.pre : this.post).set(seq, id);
    this.unacked = new Set(truth.unackedIds);
    this.finalSeq = truth.finalSeq;
  }

  /** Seqs whose id, as the generator's clients received it, is not the id the seq was acked with. */
  mismatches(observed: ReadonlyMap<number, string> | undefined): number {
    let n = 0;
    for (const [seq, id] of observed ?? []) {
      const acked = this.pre.get(seq) ?? this.post.get(seq);
      if (acked !== undefined && acked !== id) n++;
    }
    return n;
  }

  /** Adds one member's findings to `into`: `delivered` are the seqs it handed to the application, in order. */
  checkMember(delivered: readonly number[], start: number, wireDuplicates: number, observed: ReadonlyMap<number, string> | undefined, into: VerifyCounts): void {
    into.clients++;
    into.wireDuplicates += wireDuplicates;
    const times = new Map<number, number>();
    for (const s of delivered) times.set(s, (times.get(s) ?? 0) + 1);
    for (let s = start + 1; s <= this.finalSeq; s++) {
      const n = times.get(s) ?? 0;
      if (n > 1) into.duplicates += n - 1;
      if (n > 0) continue;
      if (this.pre.has(s)) into.lostPreKill++;
      else if (this.post.has(s)) into.missedPostKill++;
      else into.missedOther++;
    }
    for (const [s, n] of times) if (s <= start || s > this.finalSeq) into.duplicates += n > 1 ? n - 1 : 0;
    if (!this.unacked.size || !observed) return;
    const seen = new Set<string>();
    for (const s of times.keys()) {
      const id = observed.get(s);
      if (id === undefined || !this.unacked.has(id)) continue;
      if (seen.has(id)) into.unackedTwice++;
      else seen.add(id);
    }
  }
}
