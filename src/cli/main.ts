#!/usr/bin/env node
/**
 * The `scale-chat` command: `serve` (later: `chat`, `loadtest`, `report`).
 */
import { Command } from 'commander';
import { configHelp, defaults, envName, flagName, loadConfig, type Config } from '../server/config.js';
import { serve } from '../server/main.js';

const program = new Command();
program.name('scale-chat').description('Real-time WebSocket chat built to be pushed to its limits');

const serveCmd = program.command('serve').description('run the chat server (embedded SQLite + in-memory bus by default)');
for (const key of Object.keys(defaults) as (keyof Config)[]) {
  const d = defaults[key];
  const shown = Array.isArray(d) ? d.join(',') : String(d);
  serveCmd.option(`--${flagName(key)} <value>`, `${configHelp[key]} [env ${envName(key)}] (default: ${shown === '' ? 'none' : shown})`);
}
serveCmd.action(async (opts: Record<string, string>) => {
  try {
    const config = loadConfig(opts as Partial<Record<keyof Config, unknown>>);
    await serve(config);
  } catch (err) {
    console.error(`scale-chat serve: ${(err as Error).message}`);
    process.exit(2);
  }
});

program.parseAsync(process.argv);
