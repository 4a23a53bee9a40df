/**
 * HDR histograms (hdr-histogram-js, pure JS) of microseconds: building, shipping between processes
 * (compressed base64), merging, and the percentiles and CDF the summary reports in milliseconds.
 */
import hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  // 1 us .. 1 h at 3 significant digits; auto-resize covers anything longer.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Adds an encoded histogram into `into`. */
export function addEncoded(into: Histogram, encoded: string): void {
  if (!encoded) return;
  const h = hdr.decodeFromCompressedBase64(encoded, 32, false);
  into.add(h);
  h.destroy();
}

const ms = (us: number): number => Math.round(us) / 1000;

export interface Percentiles {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

/** Percentiles in ms (null when empty). */
export function percentiles(h: Histogram): Percentiles {
  const n = h.totalCount;
  if (n === 0) return { count: 0, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };
  return {
    count: n,
    mean: Math.round(h.mean) / 1000,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

/**
 * About 100 points of the latency CDF, denser in the tail: percentile 100 * (1 - 10^(-i/20)) for
 * i = 0..99 (0 .. 99.9989), then 100 (the max).
 */
export function cdf(h: Histogram): { percentile: number; ms: number }[] {
  if (h.totalCount === 0) return [];
  const out: { percentile: number; ms: number }[] = [];
  for (let i = 0; i < 100; i++) {
    const p = Math.round(100 * (1 - 10 ** (-i / 20)) * 10000) / 10000;
    out.push({ percentile: p, ms: ms(h.getValueAtPercentile(p)) });
  }
  out.push({ percentile: 100, ms: ms(h.maxValue) });
  return out;
}

const SUB = 1024; // hdr's sub-bucket half count at 3 significant digits (sub-bucket count 2048)
const MAX_US = 2 ** 31 - 1;

/**
 * A front for recording millions of values a second: counts go into a flat array with the same
 * bins as the HDR histogram above (values below 2048 us exact, above them 1024 bins per power of
 * two), computed with one clz32 instead of hdr-histogram-js's log2 and pow; flushInto() adds them to
 * a histogram with recordValueWithCount (once a second). Values are clamped to 1 us .. ~35 min.
 */
export class LatencyRecorder {
  private readonly counts = new Float64Array(2 * SUB + 21 * SUB);
  private readonly touched: number[] = [];
  count = 0;

  record(us: number): void {
    const v = us < 1 ? 1 : us > MAX_US ? MAX_US : us | 0;
    let i: number;
    if (v < 2 * SUB) i = v;
    else {
      const b = 21 - Math.clz32(v); // v >>> b is in [1024, 2047]
      i = 2 * SUB + (b - 1) * SUB + ((v >>> b) - SUB);
    }
    if (this.counts[i]++ === 0) this.touched.push(i);
    this.count++;
  }

  flushInto(h: Histogram): void {
    for (const i of this.touched) {
      let value: number;
      if (i < 2 * SUB) value = i;
      else {
        const b = Math.floor((i - 2 * SUB) / SUB) + 1;
        value = (SUB + ((i - 2 * SUB) % SUB)) * 2 ** b;
      }
      h.recordValueWithCount(value, this.counts[i]);
      this.counts[i] = 0;
    }
    this.touched.length = 0;
    this.count = 0;
  }
}
