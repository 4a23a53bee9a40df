/**
 * Terminal output: a live progress line (rewritten in place on a TTY, one line every 5 s otherwise,
 * nothing with --quiet) and the final summary table.
 */
import type { Row } from './tick-merger.js';
import type { Summary } from './summary.js';
import { short } from './units.js';

const fmtMs = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v >= 100 ? `${Math.round(v)}ms` : `${v.toFixed(1)}ms`);

export class Progress {
  private readonly tty: boolean;
  private lastPlain = 0;
  private dirty = false;

  constructor(
    private readonly quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  /** A live status line; `phase` is e.g. "connect", "run", "drain". */
  update(phase: string, row: Row | undefined, total: { clients: number; elapsedS: number; remainingS: number | null; serverCpu?: number }): void {
    if (this.quiet) return;
    const parts = [
      `[${phase} ${Math.round(total.elapsedS)}s${total.remainingS !== null ? ` / ${Math.max(0, Math.round(total.remainingS))}s left` : ''}]`,
      `conn ${short(row?.connected ?? 0)}/${short(total.clients)}`,
      `sent ${short(row?.sendPerSec ?? 0)}/s`,
      `recv ${short(row?.deliveriesPerSec ?? 0)}/s`,
      `p99 ${fmtMs(row?.p99)}`,
      `err ${short(row?.errors ?? 0)}`,
      `recon ${short(row?.reconnects ?? 0)}`,
      `gen ${row ? Math.round(row.genCpuMax) : 0}%`,
    ];
    if (row?.serverCpu !== undefined) parts.push(`srv ${Math.round(row.serverCpu)}%`);
    const line = parts.join('  ');
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.dirty = true;
    } else if (Date.now() - this.lastPlain >= 5000) {
      this.lastPlain = Date.now();
      this.stream.write(line + '\n');
    }
  }

  /** A message on its own line (keeps the live line intact on a TTY). */
  say(msg: string): void {
    if (this.tty && this.dirty) {
      this.stream.write('\r\x1b[2K');
      this.dirty = false;
    }
    this.stream.write(msg + '\n');
  }

  end(): void {
    if (this.tty && this.dirty) this.stream.write('\n');
    this.dirty = false;
  }
}

/** The final table (stdout). */
export function summaryTable(s: Summary): string {
  const c = s.connections as { target: number; peak: number; failures: number; connectMs: { p50: number | null; p99: number | null; max: number | null } };
  const m = s.messages;
  const l = s.latencyMs;
  const t = s.throughput as { deliveriesPerSec: number; sendPerSec: number; peakDeliveriesPerSec: number; window_s: number };
  const g = s.generator;
  const srv = s.server as { cpuPct?: number; metrics?: Record<string, number> };
  const errors = Object.entries(s.errors as Record<string, number>).sort((a, b) => b[1] - a[1]);
  const skipped = Object.entries(s.skippedSends as Record<string, number>);
  const rows: [string, string][] = [
    ['connections', `${c.peak} peak of ${c.target}, ${c.failures} failed; connect p50 ${fmtMs(c.connectMs.p50)} p99 ${fmtMs(c.connectMs.p99)} max ${fmtMs(c.connectMs.max)}`],
    ['messages', `${m.sent} sent, ${m.acked} acked, ${m.sendFailed} failed`],
    ['deliveries', `${m.delivered} of ${m.expectedDeliveries} expected: ${m.lost} lost, ${m.duplicates} duplicates, ${m.outOfOrder} out of order${m.receivedUnacked ? `, ${m.receivedUnacked} of unacked messages` : ''}`],
    ['latency', l.count ? `p50 ${fmtMs(l.p50)}  p90 ${fmtMs(l.p90)}  p99 ${fmtMs(l.p99)}  p99.9 ${fmtMs(l.p999)}  max ${fmtMs(l.max)}  (${l.count} samples)` : 'no deliveries'],
    ['throughput', `${short(t.deliveriesPerSec)} deliveries/s (peak ${short(t.peakDeliveriesPerSec)}/s), ${short(t.sendPerSec)} sends/s over ${t.window_s}s`],
    ['reconnects', `${s.reconnects} reconnects, ${s.resumes} resumes`],
    ['errors', errors.length ? errors.slice(0, 8).map(([k, v]) => `${k} ${v}`).join(', ') : 'none'],
  ];
  const ch = s.changes as { messages: number; states: number; disagreements: number } | undefined;
  if (ch) rows.push(['changes', `${ch.messages} changed messages, ${ch.states} member states compared: ${ch.disagreements ? `${ch.disagreements} DIFFER` : 'every member ends with the same state'}`]);
  if (skipped.length) rows.push(['skipped sends', skipped.map(([k, v]) => `${k} ${v}`).join(', ')]);
  rows.push(['generator', `${g.procs} process(es), ${g.cpuPct}% CPU${g.bottleneck ? '  << BOTTLENECK' : ''}`]);
  if (srv.cpuPct !== undefined || srv.metrics) {
    const conns = srv.metrics?.scalechat_connections_max;
    rows.push(['server', `${srv.cpuPct !== undefined ? `${srv.cpuPct}% CPU` : 'CPU unknown'}${conns !== undefined ? `, ${conns} connections max` : ''}`]);
  }
  for (const th of s.thresholds) {
    const from = th.source === 'default' ? ', default check' : th.source && th.source !== 'threshold' ? `, ${th.source}` : '';
    rows.push([th.source === 'threshold' || th.source === undefined ? 'threshold' : 'check', `${th.ok ? 'ok  ' : 'FAIL'} ${th.expr} (actual ${th.actual ?? 'n/a'}${from})`]);
  }
  const note = `${s.interrupted ? ' (interrupted: shortened run)' : ''}${s.aborted ? ` (aborted: ${String(s.aborted)})` : ''}`;
  // Why it failed, one reason a line (an abort is said on the result line itself).
  const reasons = (s.reasons ?? []).filter((r) => !r.startsWith('the run was aborted'));
  if (s.passed || reasons.length === 0) rows.push(['result', `${s.passed ? 'PASSED' : 'FAILED'}${note}`]);
  else reasons.forEach((r, i) => rows.push([i === 0 ? 'result' : '', `FAILED: ${r}${i === 0 ? note : ''}`]));
  const w = Math.max(...rows.map((r) => r[0].length));
  let out = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n';
  if (g.bottleneck && g.note) out += `\n!!! ${g.note}\n`;
  return out;
}
