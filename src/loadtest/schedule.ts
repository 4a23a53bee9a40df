/**
 * Send schedule: a binary min-heap of (due time, client slot, epoch) in typed arrays. A client is
 * rescheduled after each send; bumping a client's epoch (ramp-down, stop) invalidates its entries.
 * One timer for the whole worker, so 100k clients cost one heap operation per send, not a timer each.
 */
import { TokenBucket } from '../protocol/token-bucket.js';

export class SendHeap {
  private at = new Float64Array(1024);
  private slot = new Int32Array(1024);
  private epoch = new Int32Array(1024);
  private n = 0;

  get size(): number {
    return this.n;
  }

  push(at: number, slot: number, epoch: number): void {
    if (this.n === this.at.length) this.grow();
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.at[p] <= at) break;
      this.at[i] = this.at[p];
      this.slot[i] = this.slot[p];
      this.epoch[i] = this.epoch[p];
      i = p;
    }
    this.at[i] = at;
    this.slot[i] = slot;
    this.epoch[i] = epoch;
  }

  /** Due time of the earliest entry (Infinity when empty). */
  peek(): number {
    return this.n > 0 ? this.at[0] : Infinity;
  }

  /** Removes the earliest entry; returns [slot, epoch, at] in `out`. */
  pop(out: { slot: number; epoch: number; at: number }): boolean {
    if (this.n === 0) return false;
    out.at = this.at[0];
    out.slot = this.slot[0];
    out.epoch = this.epoch[0];
    const last = --this.n;
    const at = this.at[last];
    const slot = this.slot[last];
    const epoch = this.epoch[last];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      const c = r < last && this.at[r] < this.at[l] ? r : l;
      if (this.at[c] >= at) break;
      this.at[i] = this.at[c];
      this.slot[i] = this.slot[c];
      this.epoch[i] = this.epoch[c];
      i = c;
    }
    this.at[i] = at;
    this.slot[i] = slot;
    this.epoch[i] = epoch;
    return true;
  }

  private grow(): void {
    const size = this.at.length * 2;
    const at = new Float64Array(size);
    const slot = new Int32Array(size);
    const epoch = new Int32Array(size);
    at.set(this.at);
    slot.set(this.slot);
    epoch.set(this.epoch);
    this.at = at;
    this.slot = slot;
    this.epoch = epoch;
  }
}

/** Connect pacing: `rate` connects per second, a burst of one tenth of a second (at least one), starting with one. */
export function connectPacer(rate: number, now: number): TokenBucket {
  return new TokenBucket(rate, Math.max(1, rate / 10), now, 1);
}
