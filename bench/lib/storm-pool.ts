/**
 * The reconnect storm's generator processes, seen from bench/storm.ts: each one a node process
 * running bench/lib/storm-gen.js over an IPC channel, pinned with `taskset -c <cpus>` or unpinned,
 * tracked by bench/lib/lab.ts (killed when the bench exits). Clients are split in contiguous
 * blocks; a phase is one request to every process and a wait (bounded) for every reply; progress
 * reports are kept as the latest per process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, track, waitExit } from './lab.js';
import type { FromGen, GenInit, ToGen } from './storm-ipc.js';

const GEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'storm-gen.js');

type Reply<T extends FromGen['t']> = Extract<FromGen, { t: T }>;
type Progress = Reply<'progress'>;

class Gen {
  readonly proc: ChildProcess;
  progress: Progress = { t: 'progress', lost: 0, welcomed: 0, resumed: 0, closed: 0 };
  private waiting: { t: FromGen['t']; resolve(m: FromGen): void; reject(e: Error): void } | null = null;
  private exited = '';

  constructor(readonly index: number, cpus: string) {
    const node = [process.execPath, '--max-old-space-size=4096', GEN];
    const argv = cpus ? ['taskset', '-c', cpus, ...node] : node;
    this.proc = track(spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    this.proc.on('message', (m: FromGen) => this.onMessage(m));
    this.proc.on('exit', (code, sig) => {
      this.exited = `generator ${index} exited (${sig ?? code})`;
      this.waiting?.reject(new Error(this.exited));
      this.waiting = null;
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  send(m: ToGen): void {
    if (this.exited) throw new Error(this.exited);
    this.proc.send(m);
  }

  /** Sends `m` and waits for the reply of type `t` (rejects after `ms`, on an `error` reply or exit). */
  ask<T extends FromGen['t']>(m: ToGen, t: T, ms: number): Promise<Reply<T>> {
    return new Promise<Reply<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`generator ${this.index}: no '${t}' reply to '${m.t}' within ${Math.round(ms / 1000)} s`));
      }, ms);
      this.waiting = {
        t,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r as Reply<T>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.send(m);
    });
  }

  private onMessage(m: FromGen): void {
    if (m.t === 'progress') {
      this.progress = m;
      return;
    }
    const w = this.waiting;
    if (m.t === 'error') {
      this.waiting = null;
      w?.reject(new Error(`generator ${this.index}: ${m.message}`));
      if (!w) console.error(`storm: generator ${this.index}: ${m.message}`);
    } else if (w && w.t === m.t) {
      this.waiting = null;
      w.resolve(m);
    }
  }
}

export class GenPool {
  readonly gens: Gen[];

  constructor(procs: number, cpus: string) {
    this.gens = Array.from({ length: procs }, (_, i) => new Gen(i, cpus));
  }

  /** Splits `clients` in contiguous blocks, one per process, and sets each one up. */
  init(clients: number, base: Omit<GenInit, 't' | 'first' | 'count' | 'connectRate'>, connectRate: number, ms: number): Promise<Reply<'ready'>[]> {
    const n = this.gens.length;
    return Promise.all(
      this.gens.map((g, i) => {
        const first = Math.floor((clients * i) / n);
        const count = Math.floor((clients * (i + 1)) / n) - first;
        return g.ask({ t: 'init', ...base, first, count, connectRate: connectRate / n }, 'ready', ms);
      }),
    );
  }

  /** The same request to every process; their replies in process order. */
  all<T extends FromGen['t']>(m: ToGen | ((i: number) => ToGen), t: T, ms: number): Promise<Reply<T>[]> {
    return Promise.all(this.gens.map((g, i) => g.ask(typeof m === 'function' ? m(i) : m, t, ms)));
  }

  broadcast(m: ToGen): void {
    for (const g of this.gens) g.send(m);
  }

  /** The latest progress, summed over the processes. */
  progress(): Omit<Progress, 't'> {
    const s = { lost: 0, welcomed: 0, resumed: 0, closed: 0 };
    for (const g of this.gens) for (const k of Object.keys(s) as (keyof typeof s)[]) s[k] += g.progress[k];
    return s;
  }

  /** CPU seconds used so far by each process. */
  cpu(): number[] {
    return this.gens.map((g) => {
      try {
        return cpuSeconds(g.pid);
      } catch {
        return NaN;
      }
    });
  }

  /** Asks every process to close its clients and exit; kills those still there after 5 s. */
  async close(): Promise<void> {
    for (const g of this.gens) {
      try {
        g.send({ t: 'exit' });
      } catch {
        /* already gone */
      }
    }
    await Promise.all(
      this.gens.map(async (g) => {
        if (!(await waitExit(g.proc, 5000))) {
          g.proc.kill('SIGKILL');
          await waitExit(g.proc, 2000);
        }
      }),
    );
  }
}
