/**
 * The admin module, composed: authorization, stats, actions and the HTTP router. app.ts builds it once per
 * node (with the read-only room cache it also gives the hub) and wires `handle` into the HTTP server;
 * `bannedCheck` is what the handshake asks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { TokenSigner } from '../auth/tokens.js';
import type { Bus } from '../bus/bus.js';
import type { ClusterState } from '../cluster/state.js';
import type { Metrics } from '../metrics.js';
import type { AdminStore, ChatStore } from '../store/store.js';
import type { WebhookStore } from '../store/webhooks.js';
import { AdminActions } from './actions.js';
import { AdminAuthz, type AdminJwt } from './authz.js';
import type { ReadOnlyRooms } from './flags.js';
import { ADMIN_PREFIX, createAdminRouter } from './router.js';
import { StatsSampler } from './stats.js';
import { ApiKeyActions } from './api-keys.js';
import { WebhookAdmin } from './webhooks.js';

export { ADMIN_PREFIX };
export { ReadOnlyRooms } from './flags.js';

/** For the handshake: is this name key banned? */
export function bannedCheck(store: AdminStore): (nameKey: string) => Promise<boolean> {
  return async (key) => (await store.getBan(key)) !== null;
}

export interface AdminDeps {
  store: AdminStore & ChatStore;
  bus: Bus;
  /** The read-only room cache (the hub refuses sends with it): loaded by `start`, changed by actions. */
  readOnly: ReadOnlyRooms;
  cluster: ClusterState;
  tokens: TokenSigner;
  metrics: Metrics;
  log: Logger;
  nodeId: string;
  /** Account ids from the config key `admins`. */
  admins: readonly string[];
  connections: () => number;
  /** JWT bearer tokens (the application's SSO) besides session tokens; absent: session tokens only. */
  jwt?: AdminJwt;
  /** Webhook endpoints: their allowed hosts (--webhook-allow-hosts) and this node's dispatcher kick. */
  webhooks?: { store: WebhookStore; allowHosts: readonly string[]; kick?: () => void };
}

export interface Admin {
  readonly authz: AdminAuthz;
  readonly readOnly: ReadOnlyRooms;
  start(): Promise<void>;
  stop(): void;
  /** HTTP handler for paths under ADMIN_PREFIX. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createAdmin(d: AdminDeps): Admin {
  const authz = new AdminAuthz(d.store, d.tokens, d.admins, d.jwt);
  const readOnly = d.readOnly;
  const actions = new AdminActions({ store: d.store, bus: d.bus, names: d.cluster.names, readOnly, log: d.log });
  const stats = new StatsSampler(d.store, d.cluster, d.metrics, d.nodeId, d.connections);
  const keys = new ApiKeyActions({ store: d.store, bus: d.bus });
  const webhooks = d.webhooks ? new WebhookAdmin({ store: d.webhooks.store, auditLog: d.store, allowHosts: d.webhooks.allowHosts, kick: d.webhooks.kick }) : undefined;
  const handle = createAdminRouter({ authz, actions, stats, store: d.store, cluster: d.cluster, log: d.log, nodeId: d.nodeId, keys, webhooks });
  return {
    authz,
    readOnly,
    async start() {
      await readOnly.start();
      // No admin yet (or --admins names no account): the operator is told how to grant one.
      const notice = await authz.startupNotice();
      if (notice) d.log.warn(notice.fields, notice.message);
    },
    stop: () => readOnly.stop(),
    handle,
  };
}
