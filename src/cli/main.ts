#!/usr/bin/env node
/**
 * The `scale-chat` command. One file per subcommand, each exporting `registerX(program)`. Registering
 * loads only what the options and help need; an action imports its heavy modules (the server's
 * drivers, the chart renderer, the terminal UI) when it runs, so one subcommand does not pay for all.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import { registerServe } from './serve.js';
import { registerLoadtest } from './loadtest.js';
import { registerChat } from './chat.js';
import { registerReport } from './report.js';
import { registerAdmin } from './admin.js';

// A reader that stops early (`scale-chat admin key create NAME | head -1`) closes the pipe: that ends the
// command quietly, as it does for any Unix tool, instead of an unhandled EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command();
// dist/src/cli/main.js -> the package's package.json.
const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
program
  .name('scale-chat')
  .description('Real-time WebSocket chat built to be pushed to its limits')
  .version(`${pkg.version} (protocol v${PROTOCOL_VERSION})`, '-V, --version', 'the package version and the protocol version it speaks');
registerServe(program);
registerLoadtest(program);
registerChat(program);
registerReport(program);
registerAdmin(program);

program.parseAsync(process.argv);
