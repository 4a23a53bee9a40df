/**
 * What every `scale-chat admin ...` command shares: the store flags (the same --data-dir / --postgres-url
 * and SCALE_CHAT_* variables as `serve`), opening the configured store, printing the lines a command
 * returns, and the exit codes: 0 done, 1 failed (nothing found, store unreachable), 2 bad arguments.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../server/config.js';
import type { Store } from '../server/store/store.js';

export class AdminCliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

export interface StoreFlags {
  dataDir?: string;
  postgresUrl?: string;
  webhookAllowHosts?: string;
}

/** Adds the store flags, and exit code 2 for a usage error. */
export function withStoreFlags(c: Command): Command {
  return c
    .option('--data-dir <dir>', 'data directory of the SQLite database, as for serve [env SCALE_CHAT_DATA_DIR] (default: ./data)')
    .option('--postgres-url <url>', 'PostgreSQL store, as for serve [env SCALE_CHAT_POSTGRES_URL]')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
}

/**
 * Opens the configured store, runs `fn`, prints its lines, closes; on an error prints `<label>: message`
 * and exits 1 or 2. Only where the store is (and the webhook hosts) is read from the flags: `admins` is
 * not (it may still hold names from before).
 */
export async function withAdminStore(label: string, flags: StoreFlags, fn: (store: Store, config: Config) => Promise<string[]>): Promise<void> {
  let store: Store | undefined;
  try {
    const { loadConfig } = await import('../server/config.js');
    const config = loadConfig({ dataDir: flags.dataDir, postgresUrl: flags.postgresUrl, webhookAllowHosts: flags.webhookAllowHosts, admins: [] });
    if (!config.postgresUrl) {
      const file = path.join(config.dataDir, 'scale-chat.db');
      if (!existsSync(file)) throw new AdminCliError(`no database at ${file}: give the server's --data-dir (or --postgres-url)`, 1);
    }
    const { createStore } = await import('../server/engines.js');
    store = createStore(config);
    await store.init();
    for (const line of await fn(store, config)) console.log(line);
    await store.close();
  } catch (err) {
    await store?.close().catch(() => {});
    const { AdminError } = await import('../server/admin/actions.js');
    console.error(`${label}: ${(err as Error).message}`);
    process.exit(err instanceof AdminCliError ? err.exitCode : err instanceof AdminError && err.status === 400 ? 2 : 1);
  }
}
