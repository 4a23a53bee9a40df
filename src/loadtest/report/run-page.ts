/** The HTML page of one run: verdict, warnings, summary tables, thresholds, then the charts. */
import { badge, esc, figure, fmtInt, fmtNum, fmtPct, kvTable, page, table, type EmbeddedChart } from './html-kit.js';
import type { Run } from './run-dir.js';

export function durationText(startedAt: string, endedAt: string): string {
  const ms = Date.parse(endedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) && ms >= 0 ? `${fmtNum(ms / 1000)} s` : '\u2013';
}

/** Red banner when the load generator, not the server, limited the run. */
export function bottleneckAlert(run: Run): string {
  const g = run.summary.generator;
  if (!g.bottleneck) return '';
  return `<div class="alert"><strong>Load generator bottleneck:</strong> the generator (${esc(fmtInt(g.procs))} process(es), ${esc(fmtNum(g.cpuPct))}% CPU) could not keep up, so these numbers measure the generator as much as the server. ${g.note ? esc(g.note) : 'Use more generator processes or machines.'}</div>`;
}

export function warningNotes(run: Run): string {
  return run.warnings.map((w) => `<div class="note">${esc(w)}</div>`).join('\n');
}

export function runPage(run: Run, charts: EmbeddedChart[]): string {
  const s = run.summary;
  const w = s.workload;
  const m = s.messages;
  const l = s.latencyMs;
  const c = s.connections;
  const errors = Object.entries(s.errors).sort((a, b) => b[1] - a[1]);
  const metrics = Object.entries(s.server.metrics ?? {});

  const body = `
<h1>Load run: ${esc(run.label)} ${badge(s.passed).html}</h1>
<div class="meta">Target <strong>${esc(s.target.kind)}</strong> at ${esc(s.target.urls.join(', ') || '(no URL)')} &middot; ${esc(s.startedAt)} to ${esc(s.endedAt)} (${esc(durationText(s.startedAt, s.endedAt))}) &middot; directory ${esc(run.dir)}</div>
${s.aborted ? `<div class="alert"><strong>Run aborted:</strong> ${esc(s.aborted)}</div>` : ''}
${bottleneckAlert(run)}
${warningNotes(run)}

<h2>Summary</h2>
<div class="grid">
<div>
<h3>Messages</h3>
${kvTable([
  ['sent', fmtInt(m.sent)],
  ['acked', `${fmtInt(m.acked)} (${fmtPct(m.acked, m.sent)})`],
  ['expected deliveries', fmtInt(m.expectedDeliveries)],
  ['delivered', `${fmtInt(m.delivered)} (${fmtPct(m.delivered, m.expectedDeliveries)})`],
  ['lost', fmtInt(m.lost)],
  ['duplicates', fmtInt(m.duplicates)],
  ['out of order', fmtInt(m.outOfOrder)],
])}
<h3>Throughput</h3>
${kvTable([
  ['deliveries/s (mean)', fmtNum(s.throughput.deliveriesPerSec)],
  ['deliveries/s (peak second)', fmtNum(s.throughput.peakDeliveriesPerSec)],
  ['messages sent/s (mean)', fmtNum(s.throughput.sendPerSec)],
])}
</div>
<div>
<h3>Delivery latency (ms)</h3>
${kvTable([
  ['timed deliveries', fmtInt(l.count)],
  ['mean', fmtNum(l.mean)],
  ['p50', fmtNum(l.p50)],
  ['p90', fmtNum(l.p90)],
  ['p99', fmtNum(l.p99)],
  ['p99.9', fmtNum(l.p999)],
  ['max', fmtNum(l.max)],
])}
<h3>Connections</h3>
${kvTable([
  ['target', fmtInt(c.target)],
  ['peak', fmtInt(c.peak)],
  ['failures', fmtInt(c.failures)],
  ['connect p50 / p99 / max (ms)', `${fmtNum(c.connectMs.p50)} / ${fmtNum(c.connectMs.p99)} / ${fmtNum(c.connectMs.max)}`],
  ['reconnects', fmtInt(s.reconnects)],
  ['resumes', fmtInt(s.resumes)],
])}
</div>
<div>
<h3>Workload</h3>
${kvTable([
  ['clients', fmtInt(w.clients)],
  ['rooms', fmtInt(w.rooms)],
  ['room size', fmtInt(w.roomSize)],
  ['rate (msg/s per client)', fmtNum(w.rate)],
  ['message size (bytes)', fmtInt(w.msgSize)],
  ['DM ratio', fmtNum(w.dmRatio)],
  ['duration (s)', fmtNum(w.duration_s)],
  ['ramp', w.ramp === undefined || w.ramp === null ? '\u2013' : String(w.ramp)],
  ['connect rate (/s)', fmtNum(w.connectRate)],
  ['seed', String(w.seed)],
  ['generator processes', fmtInt(w.procs)],
  ['source IPs', Array.isArray(w.sourceIps) ? w.sourceIps.join(', ') || 'default' : fmtInt(w.sourceIps)],
])}
<h3>Processes</h3>
${kvTable([
  ['generator CPU (% of one core)', fmtNum(s.generator.cpuPct)],
  ['generator bottleneck', badge(!s.generator.bottleneck, 'no', 'YES')],
  ['server CPU (% of one core)', s.server.cpuPct === undefined ? 'unknown' : fmtNum(s.server.cpuPct)],
])}
</div>
</div>

<h2>Thresholds ${badge(s.passed).html}</h2>
${s.thresholds.length === 0 ? '<p>No thresholds were set for this run.</p>' : table(['threshold', 'actual', 'result'], s.thresholds.map((t) => [t.expr, t.actual === null ? '\u2013' : typeof t.actual === 'number' ? fmtNum(t.actual) : t.actual, badge(t.ok)]))}

<h2>Errors</h2>
${errors.length === 0 ? '<p>No errors.</p>' : table(['code', 'count'], errors.map(([code, n]) => [code, fmtInt(n)]))}
${metrics.length === 0 ? '' : `<h2>Server metrics</h2>\n<div class="scroll">${table(['metric', 'value'], metrics.map(([k, v]) => [k, fmtNum(v)]))}</div>`}

<h2>Charts</h2>
${charts.map(figure).join('\n')}
`;
  return page(`scale-chat load run: ${run.label}`, body);
}
