/**
 * The "history" section of docs/benchmarks.md and the JSON result of bench/history.ts: the fill of each
 * store, page latency per store, connection count and page kind (each run and the median over runs),
 * throughput and server CPU per page, what a user would see, and the query plans (shown in full for a
 * page kind whose p99 is above --slow-ms).
 */
import { provenance } from './doc.js';
import { PAGE_KINDS, type BackendName, type FillStats, type PageKind } from './history-backend.js';
import type { PagerResult } from './history-pages.js';
import { fmt1, fmtInt, fmtMs, mdTable, medianOf } from './perf-report.js';

export interface HistoryWorkload {
  messages: number;
  runs: number;
  iterations: number;
  connections: number;
  limit: number;
  warmup: number;
  maxSeconds: number;
  slowMs: number;
}

export interface Phase {
  connections: number;
  pager: PagerResult;
  serverCpuS: number;
  serverUsPerPage: number;
}

export interface HistoryRun {
  run: number;
  sequential: Phase;
  concurrent: Phase;
}

export type BackendResult =
  | { name: BackendName; skipped: string }
  | { name: BackendName; skipped?: undefined; fill: FillStats; plans: Record<PageKind, string[]>; runs: HistoryRun[] };
type Measured = Extract<BackendResult, { fill: FillStats }>;

const LABEL: Record<BackendName, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
const VARIANTS = ['sequential', 'concurrent'] as const;
/** A delay users start to notice (the usual ~100 ms of "instant" response). */
const NOTICED_MS = 100;
/** A client's own CPU above this share of a core: it may have limited the phase. */
const CLIENT_BUSY = 0.9;

const pagesPerS = (p: Phase) => (p.pager.iterations * PAGE_KINDS.length) / p.pager.wallS;
const clientShare = (p: Phase) => p.pager.clientCpuS / p.pager.wallS;

function latencyTable(list: readonly Measured[], w: HistoryWorkload): string {
  const runs = Math.max(...list.map((b) => b.runs.length));
  const header = ['store', 'connections', 'page', ...Array.from({ length: runs }, (_, i) => `run ${i + 1} p50 / p99 (ms)`), '**median p50**', '**median p99**', 'max (ms)'];
  const rows: string[][] = [];
  for (const b of list) {
    for (const v of VARIANTS) {
      for (const kind of PAGE_KINDS) {
        const s = (r: HistoryRun) => r[v].pager.kinds[kind];
        rows.push([
          LABEL[b.name],
          String(v === 'sequential' ? 1 : w.connections),
          kind,
          ...b.runs.map((r) => `${fmtMs(s(r).p50)} / ${fmtMs(s(r).p99)}`),
          `**${fmtMs(medianOf(b.runs, (r) => s(r).p50))}**`,
          `**${fmtMs(medianOf(b.runs, (r) => s(r).p99))}**`,
          fmtMs(Math.max(...b.runs.map((r) => s(r).max))),
        ]);
      }
    }
  }
  return mdTable(header, rows);
}

function loadTable(list: readonly Measured[], w: HistoryWorkload): string {
  const rows = list.flatMap((b) =>
    VARIANTS.map((v) => [
      LABEL[b.name],
      String(v === 'sequential' ? 1 : w.connections),
      fmtInt(medianOf(b.runs, (r) => pagesPerS(r[v]))),
      fmt1(medianOf(b.runs, (r) => r[v].serverUsPerPage)),
      fmt1(medianOf(b.runs, (r) => clientShare(r[v]) * 100)),
    ]),
  );
  return mdTable(['store', 'connections', 'pages/s (median)', 'server CPU per page (us, median)', 'paging client CPU (% of a core)'], rows);
}

function fillTable(list: readonly Measured[], w: HistoryWorkload): string {
  return mdTable(
    ['store', 'messages', 'fill time (s)', 'rows/s', 'size on disk (MiB)'],
    list.map((b) => [LABEL[b.name], fmtInt(w.messages), fmt1(b.fill.seconds), fmtInt(w.messages / b.fill.seconds), fmtInt(b.fill.bytes / 2 ** 20)]),
  );
}

/** True when the plan reads the messages primary key as a range (what every page kind should do). */
function indexRange(name: BackendName, plan: readonly string[]): boolean {
  const text = plan.join('\n');
  return name === 'sqlite' ? /SEARCH messages USING PRIMARY KEY/.test(text) : /Index Scan( Backward)? using messages_pkey/.test(text);
}

function worstP99(b: Measured, v: (typeof VARIANTS)[number]): { kind: PageKind; ms: number } {
  return PAGE_KINDS.map((kind) => ({ kind, ms: medianOf(b.runs, (r) => r[v].pager.kinds[kind].p99) })).reduce((x, y) => (y.ms > x.ms ? y : x));
}

function userLine(b: Measured, w: HistoryWorkload): string {
  const p50 = (kind: PageKind) => fmtMs(medianOf(b.runs, (r) => r.sequential.pager.kinds[kind].p50));
  const p99 = (kind: PageKind) => fmtMs(medianOf(b.runs, (r) => r.sequential.pager.kinds[kind].p99));
  const seq = worstP99(b, 'sequential');
  const con = worstP99(b, 'concurrent');
  const worst = Math.max(seq.ms, con.ms);
  const feel =
    worst <= NOTICED_MS / 2
      ? `nothing a user can notice (the worst p99, ${fmtMs(worst)} ms, is well under the ~${NOTICED_MS} ms at which a delay shows)`
      : worst <= NOTICED_MS
        ? `still under the ~${NOTICED_MS} ms at which a delay shows, though not by a wide margin (worst p99 ${fmtMs(worst)} ms)`
        : `**a delay users notice** (worst p99 ${fmtMs(worst)} ms, above ~${NOTICED_MS} ms)`;
  const scans = PAGE_KINDS.every((k) => indexRange(b.name, b.plans[k]));
  return (
    `- **${LABEL[b.name]}**: opening the room shows its newest ${w.limit} messages in ${p50('newest')} ms (p99 ${p99('newest')} ms) ` +
    `on top of the network round trip; scrolling back from deep in the ${fmtInt(w.messages)}-message room takes ${p50('before')} ms ` +
    `(p99 ${p99('before')} ms) a page and catching up forward ${p50('after')} ms (p99 ${p99('after')} ms). With ${w.connections} clients ` +
    `paging at once the worst p99 is ${fmtMs(con.ms)} ms (${con.kind}). That is ${feel}. ` +
    (scans
      ? 'Every page kind is a range read of the messages primary key (room, seq), so its cost does not grow with the room.'
      : '**Not every page kind reads the primary key as a range: see the plans below.**')
  );
}

/** Why a page whose plan is a primary-key range read can still be slow: not the query, the server's CPU and queueing. */
function slowWhy(b: Measured, w: HistoryWorkload): string {
  const exec = PAGE_KINDS.map((k) => /Execution Time: ([\d.]+) ms/.exec(b.plans[k].join('\n'))?.[1]).filter((x): x is string => x !== undefined);
  const us = (v: (typeof VARIANTS)[number]) => fmt1(medianOf(b.runs, (r) => r[v].serverUsPerPage));
  return (
    `These plans are range reads of the primary key${exec.length ? ` (PostgreSQL executes them in ${exec.join(', ')} ms)` : ''}: ` +
    `a slow page is not slow in its query but in the server around it, ${us('sequential')} us of server CPU per page on 1 connection ` +
    `and ${us('concurrent')} us on ${w.connections}, where each page also waits behind the pages of the other connections on the server's one core.`
  );
}

function planBlock(b: Measured, w: HistoryWorkload): string {
  const slow = PAGE_KINDS.some((kind) => medianOf(b.runs, (r) => Math.max(r.sequential.pager.kinds[kind].p99, r.concurrent.pager.kinds[kind].p99)) > w.slowMs);
  const why = slow && PAGE_KINDS.every((k) => indexRange(b.name, b.plans[k])) ? `\n\n${slowWhy(b, w)}` : '';
  return PAGE_KINDS.map((kind) => {
    const p99 = medianOf(b.runs, (r) => Math.max(r.sequential.pager.kinds[kind].p99, r.concurrent.pager.kinds[kind].p99));
    const code = '```\n' + b.plans[kind].join('\n') + '\n```';
    const cursor = kind === 'newest' ? '' : ` (cursor seq ${fmtInt(Math.floor(w.messages / 2))})`;
    const title = `${LABEL[b.name]}, ${kind} page${cursor}: p99 ${fmtMs(p99)} ms`;
    return p99 > w.slowMs ? `**Slow: ${title}** (above ${w.slowMs} ms), its plan:\n\n${code}` : `<details><summary>${title}</summary>\n\n${code}\n\n</details>`;
  }).join('\n\n') + why;
}

function notes(list: readonly Measured[], w: HistoryWorkload): string[] {
  const out: string[] = [];
  for (const b of list) {
    for (const r of b.runs) {
      for (const v of VARIANTS) {
        const p = r[v];
        const where = `${LABEL[b.name]} run ${r.run}, ${p.connections} connection${p.connections > 1 ? 's' : ''}`;
        if (p.pager.timedOut) out.push(`${where}: stopped at --max-seconds ${w.maxSeconds} after ${fmtInt(p.pager.iterations)} of ${fmtInt(w.iterations)} iterations`);
        if (clientShare(p) > CLIENT_BUSY) out.push(`**${where}: the paging client used ${fmt1(clientShare(p) * 100)}% of its core, so it may have limited that phase**`);
      }
    }
  }
  return out;
}

export function historySection(results: readonly BackendResult[], w: HistoryWorkload, command: string, started: Date): { markdown: string; result: unknown } {
  const list = results.filter((b): b is Measured => !b.skipped);
  const skipped = results.filter((b) => b.skipped).map((b) => `${LABEL[b.name]} was not measured: ${b.skipped}.`);
  const n = notes(list, w);
  const stores = results.map((b) => LABEL[b.name]).join(' and ');
  const markdown = `## History pages from a 10M-message room, SQLite and PostgreSQL (\`npm run bench:history\`)

${provenance(command, started)}

Method: per store (${stores}), the server migrates an empty store (SQLite in its data dir; PostgreSQL: a disposable local cluster
with fsync off, \`serve --postgres-url\`, not pinned), a guest creates one public room, the server stops, and the room is bulk-filled
in SQL with ${fmtInt(w.messages)} messages (997 authors, texts of 20-120 characters; the rooms row's last_seq moved to match;
PostgreSQL then VACUUM ANALYZE). Each of ${w.runs} run${w.runs > 1 ? 's' : ''} restarts the server pinned to core 0; a paging client on core 1 (the SDK over WebSocket)
asks per iteration the newest page, a page \`before\` a random seq and a page \`after\` another (${w.limit} messages each, cursors uniform
over the room, every page checked): ${fmtInt(w.iterations)} iterations on 1 connection, then ${fmtInt(w.iterations)} split over ${w.connections} concurrent
connections (one request in flight each), after ${w.warmup} uncounted iterations per connection. Latency is request to reply at the client.
The stores' files are in the OS page cache (a server with RAM for its history); server CPU per page includes connecting and warm-up.

${list.length ? fillTable(list, w) : ''}

${list.length ? latencyTable(list, w) : ''}

${list.length ? loadTable(list, w) : ''}

Target (issue 12): p50 and p99 of a history page from a 10M-message room on SQLite and on PostgreSQL, no number given: reported
above${w.messages < 10_000_000 ? ` (**this run used ${fmtInt(w.messages)} messages, not 10M**)` : ''}.${skipped.length ? ` ${skipped.join(' ')}` : ''}

What a user would see:

${list.map((b) => userLine(b, w)).join('\n')}
${n.length ? `\nNotes: ${n.join('; ')}.\n` : `\nThe paging client was not the bottleneck in any phase (below ${CLIENT_BUSY * 100}% of its core); no phase hit --max-seconds.\n`}
Query plans of the server's page queries (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN (ANALYZE, BUFFERS)):

${list.map((b) => planBlock(b, w)).join('\n\n')}

Raw result: \`{{RESULT}}\`.`;
  const result = { bench: 'history', command, started: started.toISOString(), workload: w, backends: results };
  return { markdown, result };
}
