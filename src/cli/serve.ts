/** `scale-chat serve`: every Config key is a flag (and an env variable). */
import type { Command } from 'commander';
import { configHelp, defaults, defaultText, envName, flagName, loadConfig, type Config } from '../server/config.js';

export function registerServe(program: Command): void {
  const cmd = program.command('serve').description('run the chat server (embedded SQLite + in-memory bus by default)');
  for (const key of Object.keys(defaults) as (keyof Config)[]) {
    // The default is said once, from config.ts (defaultText): configHelp never repeats it.
    cmd.option(`--${flagName(key)} <value>`, `${configHelp[key]} [env ${envName(key)}] (default: ${defaultText(key)})`);
  }
  cmd.action(async (opts: Record<string, string>) => {
    try {
      const config = loadConfig(opts as Partial<Record<keyof Config, unknown>>);
      const { serve } = await import('../server/main.js');
      await serve(config);
    } catch (err) {
      console.error(`scale-chat serve: ${(err as Error).message}`);
      process.exit(2);
    }
  });
}
