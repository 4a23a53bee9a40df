/**
 * Flags the connection benchmarks (bench/memory.ts, bench/handshakes.ts) share, read from
 * bench/cli-args.ts's parsed flags: bounded integers and lists, `--presence on|off`, `--gen-cpus`
 * (a taskset list for the generator processes, or `none`). A bad value exits 2 with a message.
 */
import { cpus } from 'node:os';
import type { BenchArgs } from '../cli-args.js';

export class ConnFlags<S extends string> {
  constructor(
    private readonly args: BenchArgs<S, string>,
    private readonly label: string,
  ) {}

  private bad(name: string, what: string, raw: string | undefined): never {
    console.error(`${this.label}: --${name}: ${what}, got "${raw}"`);
    process.exit(2);
  }

  int(name: S, def: number, min: number, max: number): number {
    const raw = this.args.str(name);
    const n = raw === undefined ? def : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) this.bad(name, `an integer in ${min}..${max}`, raw);
    return n;
  }

  ints(name: S, def: string, min: number, max: number): number[] {
    const raw = this.args.str(name) ?? def;
    const xs = raw.split(',').map((x) => Number(x.trim()));
    if (!xs.length || xs.some((n) => !Number.isInteger(n) || n < min || n > max)) this.bad(name, `a list of integers in ${min}..${max}`, raw);
    return xs;
  }

  oneOf<T extends string>(name: S, def: string, allowed: readonly T[]): T[] {
    const raw = this.args.str(name) ?? def;
    const xs = raw.split(',').map((x) => x.trim()) as T[];
    if (xs.some((x) => !allowed.includes(x))) this.bad(name, `a list of ${allowed.join(', ')}`, raw);
    return xs;
  }

  /** hello.presence for scale-chat: `on` (as the web UI) or `off`. */
  presence(name: S): boolean {
    return this.oneOf(name, 'on', ['on', 'off'] as const).at(-1) === 'on';
  }

  /** taskset list for the generators ("" = unpinned); default core 1 when there are 2+ cores. */
  genCpus(name: S): string {
    const raw = this.args.str(name) ?? (cpus().length > 1 ? '1' : 'none');
    if (raw !== 'none' && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(raw)) this.bad(name, 'a taskset core list (1, 1-3) or none', raw);
    return raw === 'none' ? '' : raw;
  }
}
