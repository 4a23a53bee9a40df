/**
 * `scale-chat report` as a library: renderReport(dir) writes report.html and the PNG charts of one
 * run; renderCompare(dirs, outDir) writes compare.html, compare.md and the overlaid charts of
 * several runs (used by the CLI and by the peer benchmark for docs/benchmarks.md).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareCharts } from './compare-charts.js';
import { comparePage, compareMarkdown } from './compare-page.js';
import { describeFsError } from './csv.js';
import { ReportInputError } from './errors.js';
import type { EmbeddedChart } from './html-kit.js';
import { chartFont, specToPng } from './render.js';
import { readRunDir, readRunDirs, type Run } from './run-dir.js';
import { runCharts, type ChartDef } from './run-charts.js';
import { runPage } from './run-page.js';

export { ReportInputError } from './errors.js';
export { readRunDir, readRunDirs, type Run } from './run-dir.js';
export type { RunSummary } from './summary.js';

export interface ReportOutput {
  /** The HTML page written. */
  html: string;
  /** The PNG charts written, in page order. */
  pngs: string[];
  /** compare.md (comparisons only). */
  markdown?: string;
  /** Notes about the input (sampled or missing events, missing fonts, ...), also shown in the page. */
  warnings: string[];
}

async function prepareDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new ReportInputError(`output directory ${dir}: cannot create it: ${describeFsError(err)}`);
  }
}

async function write(file: string, data: string | Buffer): Promise<void> {
  try {
    await writeFile(file, data);
  } catch (err) {
    throw new ReportInputError(`cannot write ${file}: ${describeFsError(err)}`);
  }
}

async function renderCharts(defs: ChartDef[], outDir: string): Promise<{ charts: EmbeddedChart[]; pngs: string[] }> {
  const charts: EmbeddedChart[] = [];
  const pngs: string[] = [];
  for (const def of defs) {
    const png = await specToPng(def.spec);
    const file = path.join(outDir, def.file);
    await write(file, png);
    charts.push({ file: def.file, caption: def.caption, png });
    pngs.push(file);
  }
  return { charts, pngs };
}

function fontWarnings(): string[] {
  return chartFont().files === 0
    ? ['No font files were found in /usr/share/fonts: chart text cannot be drawn in the PNGs (install fonts-dejavu-core or fonts-liberation).']
    : [];
}

/** Writes report.html and the PNG charts of the run in `dir` into `outDir` (default: the run directory). */
export async function renderReport(dir: string, outDir: string = dir): Promise<ReportOutput> {
  const run = await readRunDir(dir);
  run.warnings.push(...fontWarnings());
  await prepareDir(outDir);
  const { charts, pngs } = await renderCharts(runCharts(run), outDir);
  const html = path.join(outDir, 'report.html');
  await write(html, runPage(run, charts));
  return { html, pngs, warnings: run.warnings };
}

/** Writes compare.html, compare.md and the overlaid PNG charts of already-read runs into `outDir`. */
export async function renderCompareRuns(runs: Run[], outDir: string): Promise<ReportOutput> {
  if (runs.length === 0) throw new ReportInputError('report --compare: no run directories given');
  const fonts = fontWarnings();
  await prepareDir(outDir);
  const { charts, pngs } = await renderCharts(compareCharts(runs), outDir);
  if (fonts.length) runs[0]!.warnings.push(...fonts);
  const html = path.join(outDir, 'compare.html');
  await write(html, comparePage(runs, charts));
  const markdown = path.join(outDir, 'compare.md');
  await write(markdown, compareMarkdown(runs, charts.map((c, i) => ({ file: c.file, caption: c.caption, path: pngs[i]! })), outDir));
  return { html, pngs, markdown, warnings: [...runs.flatMap((r) => r.warnings.map((w) => `${r.label}: ${w}`))] };
}

/** Reads the run directories `dirs` and writes their comparison into `outDir`. */
export async function renderCompare(dirs: readonly string[], outDir: string): Promise<ReportOutput> {
  return renderCompareRuns(await readRunDirs(dirs), outDir);
}
