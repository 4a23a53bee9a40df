/**
 * The coordinator of a load run: starts the workers (in-process or child processes), lines up the
 * start, follows the clock, then stops sending, settles acks, drains deliveries, merges the exact
 * results, writes events.csv / timeseries.csv / summary.json and prints the table. Returns the exit
 * code: 0 passed, 1 a threshold or a default check (no loss, every client connected, ...) failed,
 * 3 the run was aborted (a worker died, a phase overran its bound), 130 interrupted by Ctrl-C (the
 * shortened run is still drained and reported).
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { joinParts } from './events.js';
import type { FromWorker, WorkerLink, WorkerResult } from './ipc.js';
import { childLink, inProcessLink } from './links.js';
import type { LoadOptions } from './options.js';
import { makePlan, memberships, newRunTag } from './plan.js';
import { Progress, summaryTable } from './progress.js';
import { formatRamp } from './ramp.js';
import { MetricsScraper } from './scrape.js';
import { targetFor } from './targets/index.js';
import { BOTTLENECK_CPU_PCT, buildSummary } from './summary.js';
import { csvRow, TickMerger, TIMESERIES_HEADER, type Row } from './tick-merger.js';
import { EXIT } from './units.js';

/** Without a single connection (and with connection errors) after this long, the run gives up. */
const NOBODY_MS = 10_000;
/** Event rows above which events.csv is sampled by default. */
const AUTO_EVENTS_MAX = 2_000_000;

class Aborted extends Error {}

/** Events a run would log: every send once, every delivery once. */
export function estimateEvents(o: LoadOptions, avgRoomSize: number): number {
  const sends = o.clients * o.rate * (o.durationMs / 1000);
  return sends * (1 + (1 - o.dmRatio) * avgRoomSize + o.dmRatio * 2);
}

export async function runLoadtest(o: LoadOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  targetFor(o.target); // an unknown target is a usage error, before anything starts
  const progress = new Progress(o.quiet);
  const tag = newRunTag();
  const plan = makePlan(o, tag);
  const avgRoom = plan.roomIds.length ? memberships(plan) / plan.roomIds.length : 0;
  const estimate = estimateEvents(o, avgRoom);
  const eventsSample = o.out ? (o.eventsSample ?? (estimate <= AUTO_EVENTS_MAX ? 1 : AUTO_EVENTS_MAX / estimate)) : 0;
  const startedAt = new Date();
  const origin = startedAt.getTime();

  progress.say(
    `scale-chat loadtest: ${o.clients} clients -> ${o.urls.join(', ')} (${o.target}), ` +
      `${o.rooms} room(s) of ${o.roomSize.min === o.roomSize.max ? o.roomSize.min : `${o.roomSize.min}-${o.roomSize.max}`}, ` +
      `${o.rate} msg/s each, ${o.dmRatio > 0 ? `${o.dmRatio * 100}% DMs, ` : ''}` +
      `${o.ramp ? `ramp ${formatRamp(o.ramp)}` : `${o.durationMs / 1000}s`}, ${o.procs} process(es), seed ${o.seed}, run tag ${tag}`,
  );
  if (o.out && eventsSample < 1) {
    progress.say(`events.csv is sampled: ${(eventsSample * 100).toPrecision(3)}% of messages (~${Math.round(estimate).toLocaleString('en')} events in full); the summary stays exact`);
  }

  let tsOut: WriteStream | null = null;
  const parts: string[] = [];
  if (o.out) {
    mkdirSync(o.out, { recursive: true });
    tsOut = createWriteStream(path.join(o.out, 'timeseries.csv'));
    tsOut.write(TIMESERIES_HEADER);
  }

  const scraper = new MetricsScraper(o.metricsUrls);
  scraper.start();
  let phase = o.ramp ? 'ramp' : 'connect';
  let sendStart = origin;
  let sendEnd = origin + o.durationMs;
  let lastRow: Row | undefined;
  const setupConnected = new Array<number>(o.procs).fill(0);
  const remaining = (): number | null => (phase === 'run' || phase === 'ramp' ? (sendEnd - Date.now()) / 1000 : null);
  let hot = 0;
  let warned = false;
  const ticks = new TickMerger(o.procs, origin, () => scraper.cpuPct, (row) => {
    lastRow = row;
    tsOut?.write(csvRow(row));
    // Say it while it happens, not only in the summary: 3 seconds in a row of a saturated generator.
    if ((phase === 'run' || phase === 'ramp') && (row.genCpuMax >= BOTTLENECK_CPU_PCT || row.intervalS > 1.5)) hot++;
    else hot = 0;
    if (hot >= 3 && !warned) {
      warned = true;
      const late = row.intervalS > 1.5 ? `, its event loop ${row.intervalS.toFixed(1)} s behind` : '';
      progress.say(`WARNING: the load generator is saturated (a process at ${row.genCpuMax}% of a core${late}): what follows measures the generator as much as the server; use more --procs and cores`);
    }
    progress.update(phase, row, { clients: o.clients, elapsedS: (Date.now() - origin) / 1000, remainingS: remaining() });
  });

  // ---- workers ----
  const links: WorkerLink[] = [];
  const results: (WorkerResult | undefined)[] = new Array(o.procs);
  const waiters = new Set<() => void>();
  let failure: string | null = null;
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  const fail = (why: string) => {
    if (failure) return;
    failure = why;
    wake();
  };
  const ready = new Set<number>();
  const settled = new Map<number, Record<string, number>>();
  let unsettled = 0;

  const onMessage = (m: FromWorker) => {
    switch (m.type) {
      case 'tick':
        return ticks.add(m);
      case 'setup':
        setupConnected[m.worker] = m.connected;
        if (phase === 'connect') {
          const connected = setupConnected.reduce((a, v) => a + v, 0);
          progress.update('connect', lastRow && { ...lastRow, connected }, { clients: o.clients, elapsedS: (Date.now() - origin) / 1000, remainingS: null });
        }
        return;
      case 'ready':
        ready.add(m.worker);
        return wake();
      case 'settled':
        settled.set(m.worker, m.maxAcked);
        unsettled += m.unsettled;
        return wake();
      case 'result':
        results[m.worker] = m;
        return wake();
      case 'warn':
        return progress.say(`warning (process ${m.worker}): ${m.message}`);
      case 'fatal':
        return fail(`process ${m.worker} failed: ${m.message}`);
    }
  };

  for (let w = 0; w < o.procs; w++) {
    const link = o.procs === 1 ? inProcessLink() : childLink(w);
    link.onMessage(onMessage);
    link.onExit((why) => {
      if (!results[w]) fail(`process ${w} ${why} before reporting its results`);
    });
    links.push(link);
  }

  /** Waits until `cond` holds, the deadline passes (throws with `what`), or a failure happens. */
  const until = async (cond: () => boolean, deadline: number, what: string): Promise<void> => {
    while (!cond()) {
      if (failure) throw new Aborted(failure);
      const left = deadline - Date.now();
      if (left <= 0) throw new Aborted(what);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(left, 250));
        function done() {
          clearTimeout(t);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
    if (failure) throw new Aborted(failure);
  };

  let interrupted = 0;
  const onSigint = () => {
    interrupted++;
    if (interrupted === 1) {
      progress.say('interrupted: stopping the sends, draining and reporting (Ctrl-C again to quit at once)');
      sendEnd = Math.min(sendEnd, Date.now());
      wake();
    } else {
      for (const l of links) l.kill();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);

  let aborted: string | undefined;
  try {
    for (let w = 0; w < o.procs; w++) {
      links[w].send({ type: 'init', options: o, tag, worker: w, origin, eventsSample, eventsFile: o.out ? part(o.out, w, parts) : null });
    }
    if (!o.ramp) {
      const connectBudget = o.connectTimeoutMs ?? (o.clients / o.connectRate) * 1000 + 30_000;
      const nobody = () => {
        // Nobody at all connected in 10 s while connections failed: a wrong URL or no server, not load.
        if (Date.now() - origin < NOBODY_MS || setupConnected.some((n) => n > 0) || !(lastRow && lastRow.errors > 0)) return false;
        throw new Aborted(`no client could connect in ${NOBODY_MS / 1000} s: is a server listening at ${o.urls.join(', ')}?`);
      };
      await until(() => ready.size === o.procs || interrupted > 0 || nobody(), Date.now() + connectBudget + 15_000, 'the connect phase overran its bound');
    }
    await scraper.baseline(10_000);
    sendStart = Date.now() + 100;
    sendEnd = interrupted ? sendStart : sendStart + o.durationMs;
    phase = o.ramp ? 'ramp' : 'run';
    for (const l of links) l.send({ type: 'start', at: sendStart });
    await until(() => Date.now() >= sendEnd, sendEnd + 1000, 'timer');
    phase = 'settle';
    for (const l of links) l.send({ type: 'finish' });
    await until(() => settled.size === o.procs, Date.now() + o.ackTimeoutMs + 15_000, 'settling outstanding acks overran its bound');
    const maxSeq: Record<string, number> = {};
    for (const m of settled.values()) for (const [room, s] of Object.entries(m)) maxSeq[room] = Math.max(maxSeq[room] ?? 0, s);
    phase = 'drain';
    const deadline = Date.now() + o.drainTimeoutMs;
    for (const l of links) l.send({ type: 'drain', maxSeq, deadline });
    await until(() => results.filter(Boolean).length === o.procs, deadline + 30_000, 'collecting the results overran its bound');
    if (unsettled > 0) progress.say(`warning: ${unsettled} sends were still unacknowledged when the drain began`);
  } catch (err) {
    aborted = err instanceof Aborted ? err.message : (err as Error).stack ?? String(err);
    progress.say(`run aborted: ${aborted}`);
    for (const l of links) l.kill();
  } finally {
    process.off('SIGINT', onSigint);
  }
  await scraper.stop();
  ticks.flush();
  progress.end();
  tsOut?.end();

  const got = results.filter((r): r is WorkerResult => r !== undefined);
  const { summary } = buildSummary({
    options: o,
    tag,
    startedAt,
    endedAt: new Date(),
    sendStart,
    sendEnd: Math.min(sendEnd, Date.now()),
    results: got,
    ticks,
    scraper,
    eventsSample,
    aborted,
  });
  if (interrupted) summary.interrupted = true;
  if (o.out) {
    writeFileSync(path.join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    try {
      await joinParts(path.join(o.out, 'events.csv'), parts);
    } catch (err) {
      progress.say(`warning: could not write events.csv: ${(err as Error).message}`);
    }
  }
  out.write('\n' + summaryTable(summary));
  if (o.out) out.write(`files: ${path.join(o.out, 'summary.json')}, timeseries.csv, events.csv\n`);
  if (aborted) return EXIT.aborted;
  if (interrupted) return EXIT.interrupted;
  return summary.passed ? EXIT.ok : EXIT.thresholds;
}

function part(dir: string, w: number, parts: string[]): string {
  const p = path.join(dir, `events.part${w}.csv`);
  parts.push(p);
  return p;
}
