/**
 * `scale-chat admin webhook add URL [--events a,b] [--description TEXT] | list | remove ID | log ID`: webhook
 * endpoints managed on the server host, on the configured store (the same --data-dir / --postgres-url flags
 * and SCALE_CHAT_* variables as `serve`), with the admin API's own validation and audit rows (actor
 * `operator`). `add` prints the signing secret once. Running nodes pick a change up within their
 * --webhook-poll-ms. Exit codes: 0 done, 1 failed, 2 bad arguments.
 */
import type { Command } from 'commander';
import type { Store, UserRecord } from '../server/store/store.js';
import { withAdminStore, withStoreFlags, type StoreFlags } from './admin-store.js';

interface StoreOpts extends StoreFlags {
  events?: string;
  description?: string;
}

/** Who the audit log names for changes made here. */
const OPERATOR: UserRecord = { id: 'operator', name: 'operator', nameKey: 'operator', account: false, passwordHash: null, createdAt: 0 };

const withStore = (opts: StoreOpts, fn: (store: Store, allowHosts: string[]) => Promise<string[]>): Promise<void> =>
  withAdminStore('scale-chat admin webhook', opts, (store, config) => fn(store, config.webhookAllowHosts));

export function registerWebhookAdmin(admin: Command): void {
  const hook = admin.command('webhook').description('outgoing webhook endpoints: add, list, remove, log (docs/integration.md#3-webhooks)');
  const common = withStoreFlags;
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
