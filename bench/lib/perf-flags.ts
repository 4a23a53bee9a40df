/**
 * Validated flag values for the benchmark scripts, on top of bench/cli-args.ts: a number in a range,
 * a list of integers, a duration in seconds. A bad value exits with code 2 and a message naming the
 * flag (never a silent default).
 */
export function usageExit(script: string, msg: string): never {
  console.error(`${script}: ${msg} (--help lists the flags)`);
  process.exit(2);
}

export class FlagReader<S extends string> {
  constructor(
    private readonly script: string,
    private readonly get: (name: S) => string | undefined,
  ) {}

  num(name: S, def: number, min: number, max: number, int = false): number {
    const raw = this.get(name);
    const v = raw === undefined ? def : Number(raw);
    if (!Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) usageExit(this.script, `--${name}: ${int ? 'an integer' : 'a number'} in ${min}..${max}, got "${raw}"`);
    return v;
  }

  int(name: S, def: number, min: number, max: number): number {
    return this.num(name, def, min, max, true);
  }

  /** Comma-separated integers in [min, max], in the order given. */
  ints(name: S, def: string, min: number, max: number): number[] {
    const raw = this.get(name) ?? def;
    const out = raw.split(',').map((x) => Number(x.trim()));
    if (!out.length || out.some((n) => !Number.isInteger(n) || n < min || n > max)) usageExit(this.script, `--${name}: comma-separated integers in ${min}..${max}, got "${raw}"`);
    return out;
  }

  /** Seconds, written `30`, `30s` or `2m`. */
  seconds(name: S, def: number, min: number, max: number): number {
    const raw = this.get(name);
    if (raw === undefined) return def;
    const m = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(raw.trim());
    const v = m ? Number(m[1]) * (m[2] === 'm' ? 60 : 1) : NaN;
    if (!(v >= min && v <= max)) usageExit(this.script, `--${name}: a duration in ${min}..${max} s (e.g. 30s or 2m), got "${raw}"`);
    return v;
  }

  str(name: S, def: string): string {
    return this.get(name) ?? def;
  }
}
