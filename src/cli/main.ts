#!/usr/bin/env node
/**
 * The `scale-chat` command. One file per subcommand, each exporting `registerX(program)`. Registering
 * loads only what the options and help need; an action imports its heavy modules (the server's
 * drivers, the chart renderer, the terminal UI) when it runs, so one subcommand does not pay for all.
 */
import { Command } from 'commander';
import { registerServe } from './serve.js';
import { registerLoadtest } from './loadtest.js';
import { registerChat } from './chat.js';
import { registerReport } from './report.js';
import { registerAdmin } from './admin.js';

const program = new Command();
program.name('scale-chat').description('Real-time WebSocket chat built to be pushed to its limits');
registerServe(program);
registerLoadtest(program);
registerChat(program);
registerReport(program);
registerAdmin(program);

program.parseAsync(process.argv);
