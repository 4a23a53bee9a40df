/** `scale-chat loadtest`: the load generator (src/loadtest/, docs/loadtest.md). */
import { spawnSync } from 'node:child_process';
import { Option, type Command } from 'commander';
import { OPTION_DEFS, envName, resolveOptions } from '../loadtest/options.js';
import { METRICS } from '../loadtest/thresholds.js';
import { EXIT, OptionError } from '../loadtest/units.js';

const PINNED_ENV = 'SCALE_CHAT_LOADTEST_PINNED';

function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** --cpu: re-run this very command under `taskset -c <cpus>` (children inherit the affinity). */
function repinned(cpus: string): number | null {
  if (process.env[PINNED_ENV]) return null;
  if (!/^[0-9,-]+$/.test(cpus)) throw new OptionError(`--cpu: "${cpus}" is not a CPU list like 1 or 2-3 or 0,2`);
  if (!hasTaskset()) {
    console.error(`scale-chat loadtest: WARNING: --cpu ${cpus} ignored: taskset is not installed (util-linux); running unpinned`);
    return null;
  }
  const r = spawnSync('taskset', ['-c', cpus, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [PINNED_ENV]: cpus },
  });
  if (r.error) throw new OptionError(`--cpu: taskset failed: ${r.error.message}`);
  return r.status ?? EXIT.aborted;
}

export function registerLoadtest(program: Command): void {
  const cmd = program
    .command('loadtest')
    .description('generate load against a chat server and measure delivery, loss and latency (docs/loadtest.md)');
  for (const d of OPTION_DEFS) {
    const flag = d.bool ? `--${d.flag}` : `--${d.flag} ${d.arg}`;
    const help = `${d.help} [env ${envName(d.key)}]${d.default !== undefined ? ` (default: ${d.default})` : ''}`;
    const opt = new Option(flag, help);
    if (d.list) opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    cmd.addOption(opt);
  }
  cmd.addOption(new Option('--worker', 'internal: run as a child process of a load run').hideHelp());
  cmd.addHelpText(
    'after',
    `
Threshold metrics: ${Object.keys(METRICS).join(', ')}.
Exit codes: 0 passed, 1 a threshold or a default check (no loss, duplicates, reordering or failed connections) failed, 2 bad options, 3 the run was aborted, 130 interrupted (Ctrl-C).
The server must allow the load: raise its per-connection rate limit (--rate-per-sec, --rate-burst) above
--rate and its --max-connections above --clients; see docs/loadtest.md.`,
  );
  cmd.action(async (flags: Record<string, unknown>) => {
    if (flags.worker) return (await import('../loadtest/child.js')).runWorkerProcess();
    const { runLoadtest } = await import('../loadtest/run.js');
    let code: number;
    try {
      const options = resolveOptions(flags);
      const pinned = options.cpu ? repinned(options.cpu) : null;
      code = pinned ?? (await runLoadtest(options));
    } catch (err) {
      if (err instanceof OptionError) {
        console.error(`scale-chat loadtest: ${err.message}`);
        code = EXIT.usage;
      } else {
        console.error(`scale-chat loadtest: ${(err as Error).stack ?? err}`);
        code = EXIT.aborted;
      }
    }
    process.exit(code);
  });
}
