/**
 * `scale-chat admin webhook add URL [--events a,b] [--description TEXT] | list | remove ID | log ID`: webhook
 * endpoints managed on the server host, on the configured store (the same --data-dir / --postgres-url flags
 * and SCALE_CHAT_* variables as `serve`), with the admin API's own validation and audit rows (actor
 * `operator`). `add` prints the signing secret once. Running nodes pick a change up within their
 * --webhook-poll-ms. Exit codes: 0 done, 1 failed, 2 bad arguments.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Store, UserRecord } from '../server/store/store.js';

interface StoreOpts {
  dataDir?: string;
  postgresUrl?: string;
  webhookAllowHosts?: string;
  events?: string;
  description?: string;
}

/** Who the audit log names for changes made here. */
const OPERATOR: UserRecord = { id: 'operator', name: 'operator', nameKey: 'operator', account: false, passwordHash: null, createdAt: 0 };

async function withStore(opts: StoreOpts, fn: (store: Store, allowHosts: string[]) => Promise<string[]>): Promise<void> {
  let store: Store | undefined;
  try {
    const { loadConfig } = await import('../server/config.js');
    const config = loadConfig({ dataDir: opts.dataDir, postgresUrl: opts.postgresUrl, webhookAllowHosts: opts.webhookAllowHosts, admins: [] });
    if (!config.postgresUrl) {
      const file = path.join(config.dataDir, 'scale-chat.db');
      if (!existsSync(file)) throw Object.assign(new Error(`no database at ${file}: give the server's --data-dir (or --postgres-url)`), { exitCode: 1 });
    }
    const { createStore } = await import('../server/engines.js');
    store = createStore(config);
    await store.init();
    for (const line of await fn(store, config.webhookAllowHosts)) console.log(line);
    await store.close();
  } catch (err) {
    await store?.close().catch(() => {});
    const { AdminError } = await import('../server/admin/actions.js');
    console.error(`scale-chat admin webhook: ${(err as Error).message}`);
    process.exit(err instanceof AdminError && err.status === 400 ? 2 : ((err as { exitCode?: number }).exitCode ?? 1));
  }
}

export function registerWebhookAdmin(admin: Command): void {
  const hook = admin.command('webhook').description('outgoing webhook endpoints: add, list, remove, log (docs/integration.md#3-webhooks)');
  const common = (c: Command) =>
    c
      .option('--data-dir <dir>', 'data directory of the SQLite database, as for serve [env SCALE_CHAT_DATA_DIR] (default: ./data)')
      .option('--postgres-url <url>', 'PostgreSQL store, as for serve [env SCALE_CHAT_POSTGRES_URL]')
      .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  const admins = async () => {
    const { WebhookAdmin } = await import('../server/admin/webhooks.js');
    return (store: Store, allowHosts: string[]) => new WebhookAdmin({ store, auditLog: store, allowHosts });
  };
  common(hook.command('add <url>').description('add an endpoint; prints its id and its signing secret (shown only this once)'))
    .option('--events <list>', 'comma-separated event types (default: every type)')
    .option('--description <text>', 'what the endpoint is for')
    .option('--webhook-allow-hosts <hosts>', 'as for serve [env SCALE_CHAT_WEBHOOK_ALLOW_HOSTS]')
    .action(async (url: string, opts: StoreOpts) => {
      const make = await admins();
      await withStore(opts, async (store, allow) => {
        const events = opts.events ? opts.events.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
        const r = await make(store, allow).create(OPERATOR, { url, events, description: opts.description });
        return [`${r.webhook.id}\t${r.webhook.url}`, `secret: ${r.secret}`, '(the secret is shown only now: give it to the receiver to verify X-ScaleChat-Signature)'];
      });
    });
  common(hook.command('list').description('list the endpoints: id, enabled, pending/failed/delivered, url, events')).action(async (opts: StoreOpts) => {
    const make = await admins();
    await withStore(opts, async (store, allow) => {
      const { webhooks } = await make(store, allow).list();
      if (!webhooks.length) return ['no webhook endpoints (scale-chat admin webhook add URL)'];
      return webhooks.map((w) => `${w.id}\t${w.enabled ? 'enabled' : 'disabled'}\t${w.pending}/${w.failed}/${w.delivered}\t${w.url}\t${w.events.join(',') || '*'}`);
    });
  });
  common(hook.command('remove <id>').description('delete an endpoint and its delivery log')).action(async (id: string, opts: StoreOpts) => {
    const make = await admins();
    await withStore(opts, async (store, allow) => [`removed ${(await make(store, allow).remove(OPERATOR, id)).id}`]);
  });
  common(hook.command('log <id>').description("an endpoint's latest deliveries: id, event, type, state, attempts, last status or error"))
    .option('--limit <n>', 'rows (default 20)')
    .action(async (id: string, opts: StoreOpts & { limit?: string }) => {
      const make = await admins();
      await withStore(opts, async (store, allow) => {
        const { deliveries } = await make(store, allow).deliveries(id, Math.min(500, Math.max(1, Number(opts.limit ?? 20) || 20)));
        return deliveries.map((d) => `${d.id}\t${d.eventId}\t${d.type}\t${d.state}\t${d.attempts}\t${d.lastStatus ?? d.lastError ?? ''}`);
      });
    });
}
