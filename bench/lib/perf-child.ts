/**
 * A benchmark's worker child (./perf-ack-client.ts, ./perf-bcast-worker.ts): a node script from
 * dist/bench/lib, pinned with `taskset -c` (or unpinned), tracked so it dies with the runner, that
 * reports JSON lines on stdout (`{"event": ...}`). `next(event)` waits, bounded, for the next line
 * of that event; a child that exits first, or a line with `error`, rejects with the reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { track } from './lab.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/bench/lib

export interface ChildLine {
  event: string;
  error?: string;
  [k: string]: unknown;
}

export class JsonChild {
  readonly proc: ChildProcess;
  private readonly queue: ChildLine[] = [];
  private waiter: (() => void) | null = null;
  private exited: string | null = null;
  private readonly stderr: string[] = [];

  /** `script`: a file name in dist/bench/lib, e.g. 'perf-ack-client.js'. */
  constructor(script: string, args: string[], cpus: string) {
    const node = [process.execPath, path.join(here, script), ...args];
    const argv = cpus ? ['taskset', '-c', cpus, ...node] : node;
    this.proc = track(spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] }));
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      try {
        this.queue.push(JSON.parse(l) as ChildLine);
      } catch {
        this.stderr.push(l.slice(0, 300));
      }
      this.waiter?.();
    });
    createInterface({ input: this.proc.stderr! }).on('line', (l) => this.stderr.length < 20 && this.stderr.push(l.slice(0, 300)));
    this.proc.on('exit', (code, sig) => {
      this.exited = `${script} exited (${code ?? sig})${this.stderr.length ? `: ${this.stderr.join(' | ')}` : ''}`;
      this.waiter?.();
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** The next line of `event` (lines of other events before it are dropped). */
  async next(event: string, timeoutMs: number): Promise<ChildLine> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((l) => l.event === event || l.error !== undefined);
      if (i >= 0) {
        const [line] = this.queue.splice(0, i + 1).slice(-1);
        if (line.error !== undefined) throw new Error(`${line.error}`);
        return line;
      }
      if (this.exited) throw new Error(this.exited);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no "${event}" from the child within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /** Closes its stdin (the child's signal to finish) and kills it if it is still there after `ms`. */
  async end(ms = 5000): Promise<void> {
    this.proc.stdin?.end();
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.proc.kill('SIGKILL');
        resolve();
      }, ms);
      this.proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
