/**
 * Reads one load-run directory (summary.json, timeseries.csv, events.csv) into a validated Run.
 * summary.json and timeseries.csv are required; events.csv is optional (it can be deleted to save
 * space, the summary stays exact): without it the latency histogram is left out and a warning says so.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describeFsError } from './csv.js';
import { ReportInputError } from './errors.js';
import { readEvents, type EventStats } from './events.js';
import { parseSummary, type RunSummary } from './summary.js';
import { readTimeseries, type TimeseriesRow } from './timeseries.js';

export interface Run {
  dir: string;
  /** summary.name, or the directory's name. Unique among the runs of one comparison. */
  label: string;
  summary: RunSummary;
  timeseries: TimeseriesRow[];
  events: EventStats | null;
  /** Things the reader of the report should know (missing events.csv, sampled events, ...). */
  warnings: string[];
}

const count = (n: number) => n.toLocaleString('en-US');

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

export async function readRunDir(dir: string): Promise<Run> {
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    throw new ReportInputError(`run directory ${dir}: ${describeFsError(err)}`);
  }
  if (!st.isDirectory()) throw new ReportInputError(`run directory ${dir}: not a directory`);

  const summaryFile = path.join(dir, 'summary.json');
  let text: string;
  try {
    text = await readFile(summaryFile, 'utf8');
  } catch (err) {
    throw new ReportInputError(`summary.json: cannot read ${summaryFile}: ${describeFsError(err)} (is ${dir} a run directory written by scale-chat loadtest --out?)`);
  }
  const summary = parseSummary(text, summaryFile);
  const timeseries = await readTimeseries(path.join(dir, 'timeseries.csv'));

  const warnings: string[] = [];
  if (timeseries.length === 0) warnings.push('timeseries.csv has no rows: the over-time charts are empty.');
  const eventsFile = path.join(dir, 'events.csv');
  let events: EventStats | null = null;
  if (await exists(eventsFile)) {
    events = await readEvents(eventsFile);
    const delivered = summary.messages.delivered;
    if (events.receivedRows > delivered) {
      warnings.push(`events.csv holds ${count(events.receivedRows)} Received rows but summary.json counts only ${count(delivered)} deliveries: are they from the same run?`);
    } else if (events.receivedRows < delivered) {
      const pct = `${((100 * events.receivedRows) / delivered).toPrecision(3)}%`;
      warnings.push(`events.csv holds ${count(events.receivedRows)} Received rows for ${count(delivered)} deliveries (${pct}): the histogram is drawn from a sample; the summary numbers are exact.`);
    }
  } else {
    warnings.push(`events.csv not found in ${dir}: the latency histogram is left out (the percentile chart comes from summary.json).`);
  }
  return { dir, label: summary.name?.trim() || path.basename(path.resolve(dir)), summary, timeseries, events, warnings };
}

/** Reads several run directories and makes their labels unique ("name", "name (2)", ...). */
export async function readRunDirs(dirs: readonly string[]): Promise<Run[]> {
  const runs: Run[] = [];
  for (const dir of dirs) runs.push(await readRunDir(dir));
  const seen = new Map<string, number>();
  for (const run of runs) {
    const n = (seen.get(run.label) ?? 0) + 1;
    seen.set(run.label, n);
    if (n > 1) run.label = `${run.label} (${n})`;
  }
  return runs;
}
