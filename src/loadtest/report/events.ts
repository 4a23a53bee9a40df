/**
 * events.csv of a load run: one row per Sent / Received message event (possibly sampled). The file
 * can be huge, so it is streamed into fixed log-spaced latency bins (constant memory) plus counts.
 */
import { num, readCsv } from './csv.js';

export const EVENTS_COLUMNS = ['message_id', 'sender_id', 'client_id', 'type', 'timestamp', 'room', 'seq', 'latency_us'] as const;

/** Bins per decade of microseconds; bins cover 1 us .. 10^MAX_DECADE us (100 s), clamped at both ends. */
const BINS_PER_DECADE = 20;
const MAX_DECADE = 8;
const BIN_COUNT = BINS_PER_DECADE * MAX_DECADE;

export interface LatencyBin {
  /** Bin edges in milliseconds. */
  fromMs: number;
  toMs: number;
  count: number;
}

export interface EventStats {
  sentRows: number;
  receivedRows: number;
  /** Smallest and largest latency among Received rows (ms), null when there are none. */
  minMs: number | null;
  maxMs: number | null;
  /** Occupied range of the log-spaced histogram (empty when there are no Received rows). */
  bins: LatencyBin[];
}

function binOf(us: number): number {
  if (us < 1) return 0;
  const b = Math.floor(Math.log10(us) * BINS_PER_DECADE);
  return Math.min(BIN_COUNT - 1, Math.max(0, b));
}

function edgeMs(bin: number): number {
  return 10 ** (bin / BINS_PER_DECADE) / 1000;
}

export async function readEvents(file: string): Promise<EventStats> {
  const counts = new Float64Array(BIN_COUNT);
  let sentRows = 0;
  let receivedRows = 0;
  let minUs = Infinity;
  let maxUs = -Infinity;
  await readCsv(file, 'events.csv', EVENTS_COLUMNS, (r) => {
    const type = r.get('type');
    num(r.get('timestamp'), 'timestamp');
    if (type === 'Sent') {
      sentRows++;
    } else if (type === 'Received') {
      const us = num(r.get('latency_us'), 'latency_us');
      if (us < 0) throw new Error(`column latency_us: negative latency ${us}`);
      receivedRows++;
      counts[binOf(us)]++;
      if (us < minUs) minUs = us;
      if (us > maxUs) maxUs = us;
    } else {
      throw new Error(`column type: expected Sent or Received, found "${type.slice(0, 40)}"`);
    }
  });
  const bins: LatencyBin[] = [];
  if (receivedRows > 0) {
    const first = binOf(minUs);
    const last = binOf(maxUs);
    for (let b = first; b <= last; b++) bins.push({ fromMs: edgeMs(b), toMs: edgeMs(b + 1), count: counts[b]! });
  }
  return {
    sentRows,
    receivedRows,
    minMs: receivedRows > 0 ? minUs / 1000 : null,
    maxMs: receivedRows > 0 ? maxUs / 1000 : null,
    bins,
  };
}
