/** timeseries.csv of a load run: one row per second; sent/acked/received cumulative, *_per_s and p*_ms per second. */
import { num, optNum, readCsv } from './csv.js';

export const TIMESERIES_COLUMNS = [
  't', 'elapsed_s', 'connected', 'sent', 'acked', 'received', 'send_per_s', 'deliveries_per_s',
  'p50_ms', 'p90_ms', 'p99_ms', 'max_ms', 'errors', 'reconnects', 'gen_cpu_pct', 'server_cpu_pct',
] as const;

export interface TimeseriesRow {
  /** The row's wall-clock time as written (seconds or milliseconds since the epoch, or an ISO time). */
  t: string;
  elapsed_s: number;
  connected: number;
  /** Cumulative counts. */
  sent: number;
  acked: number;
  received: number;
  /** That second's rates. */
  send_per_s: number;
  deliveries_per_s: number;
  /** That second's delivery latencies; null when nothing was delivered. */
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  errors: number;
  reconnects: number;
  gen_cpu_pct: number | null;
  server_cpu_pct: number | null;
}

export async function readTimeseries(file: string): Promise<TimeseriesRow[]> {
  const rows: TimeseriesRow[] = [];
  await readCsv(file, 'timeseries.csv', TIMESERIES_COLUMNS, (r) => {
    const n = (c: string) => num(r.get(c), c);
    const o = (c: string) => optNum(r.get(c), c);
    const row: TimeseriesRow = {
      t: r.get('t'),
      elapsed_s: n('elapsed_s'),
      connected: n('connected'),
      sent: n('sent'),
      acked: n('acked'),
      received: n('received'),
      send_per_s: n('send_per_s'),
      deliveries_per_s: n('deliveries_per_s'),
      p50_ms: o('p50_ms'),
      p90_ms: o('p90_ms'),
      p99_ms: o('p99_ms'),
      max_ms: o('max_ms'),
      errors: n('errors'),
      reconnects: n('reconnects'),
      gen_cpu_pct: o('gen_cpu_pct'),
      server_cpu_pct: o('server_cpu_pct'),
    };
    for (const c of ['connected', 'sent', 'acked', 'received', 'send_per_s', 'deliveries_per_s', 'errors', 'reconnects'] as const) {
      if (row[c] < 0) throw new Error(`column ${c}: negative value ${row[c]}`);
    }
    const prev = rows[rows.length - 1];
    if (prev && row.elapsed_s < prev.elapsed_s) throw new Error(`elapsed_s goes backwards (${prev.elapsed_s} then ${row.elapsed_s})`);
    rows.push(row);
  });
  return rows;
}
