/**
 * The comparison of several runs: one table row per run (the same columns in HTML and in
 * Markdown, for docs), plus the overlaid charts.
 */
import path from 'node:path';
import { badge, esc, figure, fmtInt, fmtNum, page, raw, table, type EmbeddedChart, type Html } from './html-kit.js';
import type { Run } from './run-dir.js';

interface Column {
  head: string;
  text(run: Run): string;
  html?(run: Run): Html;
}

export const COMPARE_COLUMNS: Column[] = [
  { head: 'run', text: (r) => r.label },
  { head: 'target', text: (r) => r.summary.target.kind },
  { head: 'clients', text: (r) => fmtInt(r.summary.workload.clients) },
  { head: 'rooms', text: (r) => fmtInt(r.summary.workload.rooms) },
  { head: 'rate/client (msg/s)', text: (r) => fmtNum(r.summary.workload.rate) },
  { head: 'peak conns', text: (r) => fmtInt(r.summary.connections.peak) },
  { head: 'conn failures', text: (r) => fmtInt(r.summary.connections.failures) },
  { head: 'sent', text: (r) => fmtInt(r.summary.messages.sent) },
  { head: 'acked', text: (r) => fmtInt(r.summary.messages.acked) },
  { head: 'delivered', text: (r) => fmtInt(r.summary.messages.delivered) },
  { head: 'lost', text: (r) => fmtInt(r.summary.messages.lost) },
  { head: 'dups', text: (r) => fmtInt(r.summary.messages.duplicates) },
  { head: 'p50 ms', text: (r) => fmtNum(r.summary.latencyMs.p50) },
  { head: 'p90 ms', text: (r) => fmtNum(r.summary.latencyMs.p90) },
  { head: 'p99 ms', text: (r) => fmtNum(r.summary.latencyMs.p99) },
  { head: 'p99.9 ms', text: (r) => fmtNum(r.summary.latencyMs.p999) },
  { head: 'max ms', text: (r) => fmtNum(r.summary.latencyMs.max) },
  { head: 'deliveries/s', text: (r) => fmtNum(r.summary.throughput.deliveriesPerSec) },
  { head: 'gen. bottleneck', text: (r) => (r.summary.generator.bottleneck ? 'YES' : 'no'), html: (r) => badge(!r.summary.generator.bottleneck, 'no', 'YES') },
  { head: 'thresholds', text: (r) => (r.summary.passed ? 'pass' : 'FAIL'), html: (r) => badge(r.summary.passed) },
];

export function comparePage(runs: Run[], charts: EmbeddedChart[]): string {
  const rows = runs.map((r) => COMPARE_COLUMNS.map((c) => (c.html ? c.html(r) : c.text(r))));
  const dirs = table(['run', 'directory', 'started', 'notes'], runs.map((r) => [
    r.label,
    r.dir,
    r.summary.startedAt,
    raw([r.summary.generator.bottleneck ? `generator bottleneck${r.summary.generator.note ? `: ${r.summary.generator.note}` : ''}` : '', ...r.warnings].filter(Boolean).map((w) => esc(w)).join('<br>') || '\u2013'),
  ]));
  const bottlenecked = runs.filter((r) => r.summary.generator.bottleneck);
  const body = `
<h1>Load run comparison (${runs.length} runs)</h1>
<div class="meta">Runs: ${runs.map((r) => esc(r.label)).join(', ')}</div>
${bottlenecked.length ? `<div class="alert"><strong>Load generator bottleneck</strong> in ${bottlenecked.map((r) => esc(r.label)).join(', ')}: those runs measure the generator as much as the server.</div>` : ''}
<h2>Summary</h2>
<div class="scroll">${table(COMPARE_COLUMNS.map((c) => c.head), rows, 'compact')}</div>
<h2>Runs</h2>
<div class="scroll">${dirs}</div>
<h2>Charts</h2>
${charts.map(figure).join('\n')}
`;
  return page(`scale-chat load run comparison: ${runs.map((r) => r.label).join(', ')}`, body, true);
}

function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').replace(/</g, '&lt;');
}

/** The comparison as Markdown (a table and links to the chart PNGs relative to `mdDir`), e.g. for docs/benchmarks.md. */
export function compareMarkdown(runs: Run[], charts: { file: string; caption: string; path: string }[], mdDir: string): string {
  const head = `| ${COMPARE_COLUMNS.map((c) => c.head).join(' | ')} |`;
  const sep = `| ${COMPARE_COLUMNS.map(() => '---').join(' | ')} |`;
  const rows = runs.map((r) => `| ${COMPARE_COLUMNS.map((c) => mdCell(c.text(r))).join(' | ')} |`);
  const images = charts.map((c) => `![${mdCell(c.caption)}](${path.relative(mdDir, c.path).split(path.sep).join('/')})`);
  return [head, sep, ...rows, '', ...images, ''].join('\n');
}
