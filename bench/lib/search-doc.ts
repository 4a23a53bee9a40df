/**
 * The "search" section of docs/benchmarks.md and the JSON result of bench/search.ts: the searches, the
 * fill of each store, latency per store, connection count and search kind (each run and the median over
 * runs) and over all kinds, throughput and server CPU per search, what a user would see, and the query
 * plans of the server's search statement (shown in full for a kind whose p99 is above --slow-ms).
 * Formats and the median are the history section's (./perf-report.ts, as ./history-doc.ts uses them).
 */
import { provenance } from './doc.js';
import type { BackendName } from './history-backend.js';
import { fmt1, fmtInt, fmtMs, mdTable, medianOf } from './perf-report.js';
import type { SearcherResult } from './search-client.js';

/** ./search-client.ts PROBE_DROP_MS (not imported: that module is the client process itself). */
const PROBE_DROP_MS = 10_000;
import type { SearchFill, SearchPlan } from './search-stores.js';
import { AUTHORS, KIND_TEXT, MEMBER_ROOMS, QUERY_VARIANTS, ROOMS, SEARCH_KINDS, VOCABULARY, WORDS_MIN, WORDS_SPREAD, type MatchCount, type SearchKind, type SearchSpec } from './search-workload.js';

export interface SearchWorkload {
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
  searcher: SearcherResult;
  serverCpuS: number;
  serverUsPerSearch: number;
  /** PostgreSQL's own processes over the phase (the query work the server waits for); absent for SQLite. */
  dbCpuS?: number;
  dbUsPerSearch?: number;
}

export interface SearchRun {
  run: number;
  sequential: Phase;
  concurrent: Phase;
}

export type BackendResult =
  | { name: BackendName; skipped: string }
  | { name: BackendName; skipped?: undefined; fill: SearchFill; matches: MatchCount[]; plans: SearchPlan[]; runs: SearchRun[] };
type Measured = Extract<BackendResult, { fill: SearchFill }>;

const LABEL: Record<BackendName, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
const VARIANTS = ['sequential', 'concurrent'] as const;
type Variant = (typeof VARIANTS)[number];
/** A delay users start to notice (the usual ~100 ms of "instant" response). */
const NOTICED_MS = 100;
/** A client's own CPU above this share of a core: it may have limited the phase (as history's). */
const CLIENT_BUSY = 0.9;

const searchesPerS = (p: Phase) => p.searcher.iterations / p.searcher.wallS;
const clientShare = (p: Phase) => p.searcher.clientCpuS / p.searcher.wallS;
const conns = (v: Variant, w: SearchWorkload) => (v === 'sequential' ? 1 : w.connections);
const kindStat = (r: SearchRun, v: Variant, kind: SearchKind | 'all') => (kind === 'all' ? r[v].searcher.overall : r[v].searcher.kinds[kind]);

function queryTable(searches: readonly SearchSpec[], list: readonly Measured[]): string {
  const m = list[0]?.matches;
  const rows = SEARCH_KINDS.map((kind) => {
    const idx = searches.map((s, i) => ({ s, i })).filter((x) => x.s.kind === kind);
    const ex = idx[0].s;
    const example = `\`${ex.query}\`${ex.room ? `, room \`${ex.room}\`` : ''}${ex.from ? `, from \`${ex.from}\`` : ''}`;
    const med = (f: (c: MatchCount) => number) => (m ? fmtInt(medianOf(idx, (x) => f(m[x.i]))) : '-');
    const range = m ? `${fmtInt(Math.min(...idx.map((x) => m[x.i].member)))}-${fmtInt(Math.max(...idx.map((x) => m[x.i].member)))}` : '-';
    return [kind, KIND_TEXT[kind], example, med((c) => c.member), range, med((c) => c.all - c.member)];
  });
  return mdTable(['kind', 'what it asks', 'e.g.', "matches in the searcher's rooms (median)", '(min-max)', 'matches hidden (other rooms, median)'], rows);
}

function fillTable(list: readonly Measured[], w: SearchWorkload): string {
  return mdTable(
    ['store', 'messages', 'fill time (s)', 'rows/s', 'size on disk (MiB)', 'search index (MiB)'],
    list.map((b) => [
      LABEL[b.name],
      fmtInt(w.messages),
      fmt1(b.fill.seconds),
      fmtInt(w.messages / b.fill.seconds),
      fmtInt(b.fill.bytes / 2 ** 20),
      b.fill.indexBytes === undefined ? '-' : fmtInt(b.fill.indexBytes / 2 ** 20),
    ]),
  );
}

function latencyTable(list: readonly Measured[], w: SearchWorkload): string {
  const runs = Math.max(...list.map((b) => b.runs.length));
  const header = ['store', 'connections', 'search', ...Array.from({ length: runs }, (_, i) => `run ${i + 1} p50 / p99 (ms)`), '**median p50**', '**median p99**', 'max (ms)', 'hits per reply'];
  const rows: string[][] = [];
  for (const b of list) {
    for (const v of VARIANTS) {
      for (const kind of [...SEARCH_KINDS, 'all'] as const) {
        const s = (r: SearchRun) => kindStat(r, v, kind);
        const label = kind === 'all' ? '**all**' : kind;
        rows.push([
          LABEL[b.name],
          String(conns(v, w)),
          label,
          ...b.runs.map((r) => `${fmtMs(s(r).p50)} / ${fmtMs(s(r).p99)}`),
          `**${fmtMs(medianOf(b.runs, (r) => s(r).p50))}**`,
          `**${fmtMs(medianOf(b.runs, (r) => s(r).p99))}**`,
          fmtMs(Math.max(...b.runs.map((r) => s(r).max))),
          kind === 'all' ? '' : fmt1(medianOf(b.runs, (r) => r[v].searcher.hits[kind])),
        ]);
      }
    }
  }
  return mdTable(header, rows);
}

function loadTable(list: readonly Measured[], w: SearchWorkload): string {
  const rows = list.flatMap((b) =>
    VARIANTS.map((v) => [
      LABEL[b.name],
      String(conns(v, w)),
      fmt1(medianOf(b.runs, (r) => searchesPerS(r[v]))),
      fmt1(medianOf(b.runs, (r) => r[v].serverUsPerSearch / 1000)),
      b.name === 'postgres' ? fmt1(medianOf(b.runs, (r) => (r[v].dbUsPerSearch ?? NaN) / 1000)) : 'in the server',
      fmt1(medianOf(b.runs, (r) => clientShare(r[v]) * 100)),
      fmtMs(medianOf(b.runs, (r) => r[v].searcher.pingP50)),
    ]),
  );
  return mdTable(['store', 'connections', 'searches/s (median)', 'server CPU per search (ms, median)', 'PostgreSQL CPU per search (ms, median)', 'searching client CPU (% of a core)', 'ping round trip p50 (ms, the floor)'], rows);
}

function p99Of(b: Measured, v: Variant, kind: SearchKind): number {
  return medianOf(b.runs, (r) => r[v].searcher.kinds[kind].p99);
}

function worst(b: Measured, v: Variant): { kind: SearchKind; ms: number } {
  return SEARCH_KINDS.map((kind) => ({ kind, ms: p99Of(b, v, kind) })).reduce((x, y) => (y.ms > x.ms ? y : x));
}

function feel(ms: number): string {
  return ms <= NOTICED_MS / 2
    ? `nothing a user can notice (well under the ~${NOTICED_MS} ms at which a delay shows)`
    : ms <= NOTICED_MS
      ? `still under the ~${NOTICED_MS} ms at which a delay shows, though not by a wide margin`
      : `**a delay users notice** (above ~${NOTICED_MS} ms)`;
}

function userLine(b: Measured, w: SearchWorkload): string {
  const p50 = (kind: SearchKind) => fmtMs(medianOf(b.runs, (r) => r.sequential.searcher.kinds[kind].p50));
  const p99 = (kind: SearchKind) => fmtMs(p99Of(b, 'sequential', kind));
  const fast = SEARCH_KINDS.filter((k) => p99Of(b, 'sequential', k) <= NOTICED_MS / 2);
  const slow = SEARCH_KINDS.filter((k) => p99Of(b, 'sequential', k) > NOTICED_MS);
  const seq = worst(b, 'sequential');
  const con = worst(b, 'concurrent');
  const all = medianOf(b.runs, (r) => r.sequential.searcher.overall.p50);
  return (
    `- **${LABEL[b.name]}**: over ${fmtInt(w.messages)} messages a search answers in ${fmtMs(all)} ms at the median (all kinds, one client, ` +
    `on top of the network round trip): a rare word ${p50('rare')} ms (p99 ${p99('rare')} ms), a common word ${p50('common')} ms ` +
    `(p99 ${p99('common')} ms), two words ${p50('and')} ms newest first and ${p50('best')} ms best first, a 3-4 letter prefix ${p50('prefix')} ms. ` +
    `The slowest kind alone is \`${seq.kind}\` at p99 ${fmtMs(seq.ms)} ms: ${feel(seq.ms)}. ` +
    `With ${w.connections} clients searching at once the worst p99 is ${fmtMs(con.ms)} ms (\`${con.kind}\`): ${feel(con.ms)}. ` +
    (fast.length === SEARCH_KINDS.length
      ? `Every kind's p99 stays under ${NOTICED_MS / 2} ms on one connection.`
      : `On one connection, p99 under ${NOTICED_MS / 2} ms: ${fast.map((k) => `\`${k}\``).join(', ') || 'no kind'}; above ${NOTICED_MS} ms: ${slow.map((k) => `\`${k}\``).join(', ') || 'no kind'}.`) +
    (b.name === 'sqlite' ? ' SQLite runs one search at a time (the 10-connection figures are that queue); runs before 2026-12-02 ran it on the server\'s event loop, where it also held up every other request, while the server now runs searches in a process of its own (src/server/store/sqlite/searcher.ts).' : '')
  );
}

function planBlock(b: Measured, w: SearchWorkload): string {
  return b.plans
    .map((p) => {
      const kind = p.spec.kind;
      const p99 = medianOf(b.runs, (r) => Math.max(r.sequential.searcher.kinds[kind].p99, r.concurrent.searcher.kinds[kind].p99));
      const code = '```\n' + p.plan.join('\n') + '\n```';
      const what = `\`${p.spec.query}\`${p.spec.room ? ` room ${p.spec.room}` : ''}${p.spec.from ? ` from ${p.spec.from}` : ''}, ${p.spec.order}`;
      const title = `${LABEL[b.name]}, ${kind} (${what}): p99 ${fmtMs(p99)} ms; the store's call alone ${fmtMs(p.storeMs)} ms`;
      return p99 > w.slowMs ? `**Slow: ${title}** (above ${w.slowMs} ms), its plan:\n\n${code}` : `<details><summary>${title}</summary>\n\n${code}\n\n</details>`;
    })
    .join('\n\n');
}

function notes(list: readonly Measured[], w: SearchWorkload): string[] {
  const out: string[] = [];
  for (const b of list) {
    for (const r of b.runs) {
      for (const v of VARIANTS) {
        const p = r[v];
        const where = `${LABEL[b.name]} run ${r.run}, ${p.connections} connection${p.connections > 1 ? 's' : ''}`;
        if (p.searcher.timedOut) out.push(`${where}: stopped at --max-seconds ${w.maxSeconds} after ${fmtInt(p.searcher.iterations)} of ${fmtInt(w.iterations)} searches`);
        if (p.searcher.overProbe) out.push(`**${where}: ${fmtInt(p.searcher.overProbe)} of ${fmtInt(p.searcher.iterations)} searches took over ${PROBE_DROP_MS / 1000} s, which the SDK's default reply probe (replyProbeMs 5000, off in this client) would have turned into a dropped connection and a reconnect**`);
        if (clientShare(p) > CLIENT_BUSY) out.push(`**${where}: the searching client used ${fmt1(clientShare(p) * 100)}% of its core, so it may have limited that phase**`);
      }
    }
  }
  return out;
}

/** `load`: loadNote() taken when the run started (the machine's other work skews figures). */
export function searchSection(results: readonly BackendResult[], searches: readonly SearchSpec[], w: SearchWorkload, command: string, started: Date, load: string): { markdown: string; result: unknown } {
  const list = results.filter((b): b is Measured => !b.skipped);
  const skipped = results.filter((b) => b.skipped).map((b) => `${LABEL[b.name]} was not measured: ${b.skipped}.`);
  const n = notes(list, w);
  const stores = results.map((b) => LABEL[b.name]).join(' and ');
  const markdown = `## Search over 1M messages, SQLite and PostgreSQL (\`npm run bench:search\`)

${provenance(command, started, load)}

Method: per store (${stores}), the server migrates an empty store (SQLite in its data dir, searched by its FTS5 index kept by
triggers; PostgreSQL: a disposable local cluster with fsync off, \`serve --postgres-url\`, not pinned, searched by its generated
tsvector column and GIN index), a guest creates ${ROOMS} public rooms and the searcher (an account) joins ${MEMBER_ROOMS.length} of them, the server
stops, and the rooms are bulk-filled in SQL with ${fmtInt(w.messages)} messages (\`general\` gets none): round robin over the rooms, ${fmtInt(AUTHORS)} authors,
texts of ${WORDS_MIN}-${WORDS_MIN + WORDS_SPREAD - 1} words drawn from ${fmtInt(VOCABULARY)} made-up words with a Zipf-like law (the most common word is ~8% of all
words, most words are rare), by a deterministic hash in SQL so both stores hold the same texts; the index fills itself on insert.
Each of ${w.runs} run${w.runs > 1 ? 's' : ''} restarts the server pinned to core 0; a searching client on core 1 (the SDK over WebSocket, \`search\`
frames of docs/protocol.md 6.16, limit ${w.limit}) signs in as the searcher and asks a fixed list of ${searches.length} searches in turn (${QUERY_VARIANTS} of
each kind below, half of them capitalized): ${fmtInt(w.iterations)} searches on 1 connection, then ${fmtInt(w.iterations)} split over ${w.connections} concurrent
connections (one request in flight each), after ${w.warmup} uncounted searches per connection. Latency is request to reply at the client
(the SDK's reply probe off, so a slow reply is measured rather than dropped: searches over ${PROBE_DROP_MS / 1000} s, which its default would drop, are noted);
server CPU is the scale-chat process's (sign-ins and warm-up included), PostgreSQL's own processes are counted apart.
Every reply is checked against the matches counted straight from the texts (a LIKE scan, not the index): exactly min(limit, matches)
hits, \`next\` only when there are more, each hit from one of the searcher's rooms (and the asked room and author), every query word the
prefix of a word of its text, \`highlights\` exactly those words, newest first in time order. The stores' files are in the OS page cache.

${queryTable(searches, list)}

${list.length ? fillTable(list, w) : ''}

${list.length ? latencyTable(list, w) : ''}

${list.length ? loadTable(list, w) : ''}
${skipped.length ? `\n${skipped.join(' ')}\n` : ''}${w.messages !== 1_000_000 ? `\n**This run used ${fmtInt(w.messages)} messages, not 1M.**\n` : ''}
What a user would see:

${list.map((b) => userLine(b, w)).join('\n')}

Every reply was right (a wrong one fails the run). ${n.length ? `Notes: ${n.join('; ')}.` : `The searching client was not the bottleneck in any phase (below ${CLIENT_BUSY * 100}% of its core); no phase hit --max-seconds.`}

Query plans of the server's search statement, one search of each kind, as the store in \`serve\` sends it (recorded from the store
itself run in the bench process, which also timed its call alone: the median of 3; SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN
(ANALYZE, BUFFERS)):

${list.map((b) => planBlock(b, w)).join('\n\n')}

Raw result: \`{{RESULT}}\`.`;
  const result = { bench: 'search', command, started: started.toISOString(), load, workload: w, searches, backends: results };
  return { markdown, result };
}
