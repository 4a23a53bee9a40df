/**
 * What the light, cost, acks and broadcast benchmarks' sections share: a Markdown table, the median
 * of a figure over runs, a target verdict, and the line that says whether the generator limited a
 * run. Number formats are bench:peers' (bench/peers/sweep-report.ts).
 */
import { loadavg } from 'node:os';
import { DOC, writeResult, writeSection, type SectionName } from './doc.js';
export { fmtInt, fmtMs } from '../peers/sweep-report.js';

export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * The median over runs of a figure: the middle value, or the mean of the two middle ones (so the
 * median of two runs is their mean, not the lower one); NaN values left out; NaN when none is left.
 */
export function medianOf<R>(runs: readonly R[], f: (r: R) => number): number {
  const v = runs.map(f).filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
  if (!v.length) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** One decimal under 100, whole numbers above. */
export function fmt1(v: number): string {
  if (!Number.isFinite(v)) return '-';
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
}

/** "met" / "**not met**" for `value <= limit` (or `>=` with atLeast). */
export function verdict(value: number, limit: number, atLeast = false): string {
  if (!Number.isFinite(value)) return 'not measured';
  return (atLeast ? value >= limit : value <= limit) ? 'met' : '**not met**';
}

/** The sentence about the generator for a section: which runs, if any, it limited. */
export function generatorLine(flags: readonly { run: number; why: string }[], clean = 'The generator was not the bottleneck in any run (its own verdict: no process near a full core, no sends behind schedule, no event-loop stalls).'): string {
  if (!flags.length) return clean;
  return `**The generator limited ${flags.map((f) => `run ${f.run} (${f.why})`).join('; ')}**: read those figures as the generator's, not the server's.`;
}

/**
 * Where a benchmark's report goes: a full run writes bench/results/<name>-<stamp>.json and its
 * section of docs/benchmarks.md (or of `docsFile`); a `--quick` run only prints the section, unless
 * a docs file was named.
 */
export function publish(name: SectionName, markdown: string, result: unknown, o: { quick: boolean; docsFile?: string }): void {
  if (o.quick && !o.docsFile) {
    console.log(`\n${markdown}\n\n(quick run: nothing written; --docs <file> writes the section there)`);
    return;
  }
  const json = writeResult(name, result);
  writeSection(name, markdown.replace('{{RESULT}}', json), o.docsFile ?? DOC);
  console.log(`${name}: wrote ${json} and the "${name}" section of ${o.docsFile ?? DOC}`);
}

/** ", load average before: 0.52 0.61 0.70" for provenance(): other work on this shared machine skews figures. */
export function loadNote(): string {
  return `, load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`;
}
