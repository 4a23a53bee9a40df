/**
 * `scale-chat report DIR [--out OUT]`: report.html + PNG charts of one load run.
 * `scale-chat report --compare DIR1 DIR2 ... [--out OUT]`: compare.html, compare.md + overlaid charts.
 * Exit codes: 0 written, 2 bad input (missing/corrupt run files, bad arguments), 1 anything else.
 */
import type { Command } from 'commander';
import { ReportInputError } from '../loadtest/report/errors.js';
import type { ReportOutput } from '../loadtest/report/index.js';

function printWritten(out: ReportOutput): void {
  for (const w of out.warnings) console.error(`warning: ${w}`);
  console.log(out.html);
  if (out.markdown) console.log(out.markdown);
  for (const p of out.pngs) console.log(p);
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('render a load run directory (written by `scale-chat loadtest --out DIR`) as report.html and PNG charts; --compare overlays several runs')
    .argument('<dirs...>', 'run directory (one), or run directories to compare (two or more, with --compare)')
    .option('--compare', 'compare several runs: summary table and overlaid charts (default output ./report-compare)')
    .option('--out <dir>', 'output directory (default: the run directory; with --compare: ./report-compare)')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (dirs: string[], opts: { compare?: boolean; out?: string }) => {
      try {
        const { renderCompare, renderReport } = await import('../loadtest/report/index.js');
        if (opts.compare) {
          if (dirs.length < 2) throw new ReportInputError(`--compare needs at least two run directories, got ${dirs.length}`);
          printWritten(await renderCompare(dirs, opts.out ?? 'report-compare'));
        } else {
          if (dirs.length !== 1) throw new ReportInputError(`expected one run directory, got ${dirs.length} (use --compare to compare runs)`);
          printWritten(await renderReport(dirs[0]!, opts.out ?? dirs[0]!));
        }
      } catch (err) {
        console.error(`scale-chat report: ${(err as Error).message}`);
        process.exit(err instanceof ReportInputError ? 2 : 1);
      }
    });
}
