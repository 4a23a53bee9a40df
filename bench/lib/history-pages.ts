/**
 * One paging phase of the history benchmark, run by a child process (bench/lib/history-client.ts) pinned
 * to core 1 so the clients never take the server's core: `connections` guests each join the room and
 * page it through the SDK as a client does, one request at a time per connection, the iterations split
 * between them. Each iteration asks the three kinds in turn: the newest page, a page `before` a random
 * seq and a page `after` another one (cursors uniform over the room, every page full).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PageKind } from './history-backend.js';
import { track, waitExit } from './lab.js';

export interface PagerConfig {
  url: string;
  room: string;
  /** The room's newest seq (every page is checked against it). */
  lastSeq: number;
  limit: number;
  /** Iterations in all (each: one page of every kind), split between the connections. */
  iterations: number;
  connections: number;
  /** Iterations per connection before measuring (not counted). */
  warmup: number;
  /** Bound of the measured part; the phase stops early (timedOut) past it. */
  maxSeconds: number;
}

export interface LatencyStats {
  n: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface PagerResult {
  kinds: Record<PageKind, LatencyStats>;
  /** Measured iterations completed (all connections). */
  iterations: number;
  wallS: number;
  /** The pager's own CPU (user + system) over the measured part. */
  clientCpuS: number;
  timedOut: boolean;
  /** Pages whose content was not what the room holds (wrong size, seqs or hasMore), with the first few. */
  badPages: number;
  badExamples: string[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT = path.join(here, 'history-client.js');

/** Runs one phase in a child pinned to `cpus` ("" for none); rejects with its stderr when it fails. */
export async function runPager(cfg: PagerConfig, cpus = '1'): Promise<PagerResult> {
  const node = [process.execPath, CLIENT, JSON.stringify(cfg)];
  const argv = cpus ? ['taskset', '-c', cpus, ...node] : node;
  const child = track(spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] }));
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.length < 20 && stderr.push(l));
  let result: PagerResult | null = null;
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (l.startsWith('{')) result = JSON.parse(l) as PagerResult;
  });
  // 'close': exited and its output read. Its own deadline is maxSeconds after connecting; this one
  // also covers connecting and a stuck child.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const boundS = cfg.maxSeconds + 60;
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), boundS * 1000)))]);
  clearTimeout(timer);
  if (!inTime) {
    child.kill('SIGKILL');
    await waitExit(child, 2000);
    throw new Error(`history pager did not finish within ${boundS} s: ${stderr.join(' | ')}`);
  }
  if (child.exitCode !== 0 || !result) throw new Error(`history pager failed (exit ${child.exitCode ?? child.signalCode}): ${stderr.join(' | ') || 'no result'}`);
  return result;
}
