/**
 * Flags of the benchmark scripts: `--name value` strings and `--name` switches, parsed strictly with
 * node:util parseArgs (an unknown or misspelled flag is an error, exit 2, instead of a silent default
 * that starts a ten-minute run). `--help` prints the script's header comment, its usage.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface BenchArgs<S extends string, B extends string> {
  str(name: S): string | undefined;
  bool(name: B): boolean;
}

/** `script`: the calling module's import.meta.url (its first block comment is the help text). */
export function benchArgs<S extends string, B extends string = never>(script: string, strings: readonly S[], switches: readonly B[] = []): BenchArgs<S, B> {
  const label = fileURLToPath(script).replace(/^.*\/(bench\/.*)\.js$/, '$1');
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        ...Object.fromEntries(strings.map((f) => [f, { type: 'string' as const }])),
        ...Object.fromEntries(switches.map((f) => [f, { type: 'boolean' as const }])),
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    console.error(`${label}: ${(err as Error).message} (--help lists the flags)`);
    process.exit(2);
  }
  if (values.help) {
    const src = readFileSync(fileURLToPath(script), 'utf8');
    console.log(/\/\*\*([\s\S]*?)\*\//.exec(src)?.[1]?.replace(/^ \* ?/gm, '').trim() ?? '');
    process.exit(0);
  }
  return { str: (name) => values[name] as string | undefined, bool: (name) => values[name] === true };
}
