/**
 * Composition root: builds the store, bus, hub, handlers and transport from one Config, and owns
 * start-up and the graceful drain.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { CloseCode } from '../protocol/codes.js';
import { Authenticator } from './auth/handshake.js';
import { LoginThrottle } from './auth/throttle.js';
import { Accounts } from './auth/account.js';
import { TokenSigner } from './auth/tokens.js';
import { JwtVerifier, jwtOptions } from './auth/jwt.js';
import { JwtAccounts } from './auth/jwt-accounts.js';
import { ADDRESS_FACTOR } from './auth/throttle.js';
import { publishEvent, roomTopic } from './bus/bus.js';
import { clientIpResolver } from './common/client-ip.js';
import type { Bus } from './bus/bus.js';
import { createBus, createClusterState, createStore } from './engines.js';
import { IsolationGuard } from './cluster/isolation.js';
import type { ClusterState } from './cluster/state.js';
import type { Config } from './config.js';
import { ADMIN_PREFIX, bannedCheck, createAdmin, ReadOnlyRooms } from './admin/index.js';
import { createHandlers } from './hub/handlers.js';
import { createLimiterStore, Limits } from './limits/limits.js';
import type { LimiterStore } from './limits/store.js';
import { Hub } from './hub/hub.js';
import { MessagePipeline } from './hub/messages.js';
import { PresenceCoalescer } from './hub/presence.js';
import { PresenceFanout } from './hub/presence-fanout.js';
import { roomOnline } from './hub/room-online.js';
import { instrument } from './instrument.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { startGuestSweep } from './store/guest-sweep.js';
import type { Store } from './store/store.js';
import { Gateway } from './transport/gateway.js';
import { answerClientError, createHttpHandler, httpServerOptions, MAX_HEADERS_COUNT, refuseConnect } from './transport/http.js';
import { FlushPacer } from './transport/flush-pacer.js';
import { FlushScheduler } from './transport/outbox.js';
import { clusterMetricsSource } from './cluster-metrics.js';
import { isWorkerProcess } from './workers.js';
import { apiKeyAuthenticator, createApi, jwtAuthenticator } from './api/index.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';

export interface AppOptions {
  store?: Store;
  bus?: Bus;
  /** Cluster state (names, presence, heartbeats); default from config: Redis when redisUrl is set, else local. */
  cluster?: ClusterState;
  logger?: Logger;
  /** Collect default process metrics (off in tests that build many apps in one process). */
  processMetrics?: boolean;
  /** Counters of the login throttle and abuse limits; default from config: Redis when redisUrl is set, else this process's memory. */
  limiterStore?: LimiterStore;
}

export interface App {
  readonly config: Config;
  readonly nodeId: string;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Listens; resolves with the bound port. */
  start(): Promise<number>;
  /** Graceful drain: refuse new connections, close clients with 1012, flush the store. Bounded by drainTimeoutMs. */
  drain(): Promise<void>;
  readonly port: number;
  connectionCount(): number;
}

export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const nodeId = randomBytes(3).toString('hex');
  const log = opts.logger ?? createLogger(config.logLevel, { node: nodeId });
  const metrics = new Metrics(opts.processMetrics ?? true);
  metrics.setNode(nodeId);
  // Engines from the config: no Redis/PostgreSQL URL = the embedded defaults (SQLite, memory bus, local state).
  const rawStore = opts.store ?? createStore(config, log);
  const store = instrument<Store>(rawStore, metrics.storeSeconds);
  await store.init();
  const bus = instrument<Bus>(opts.bus ?? createBus(config, nodeId, rawStore, log, metrics), metrics.busSeconds, new Set(['subscribe', 'unsubscribe']));
  const cluster = opts.cluster ?? createClusterState(config, nodeId, log);
  const presence = new PresenceCoalescer(bus, config.presenceIntervalMs);
  // Presence changes no local connection caused (a dead node's users, a resync): rooms from the store.
  await cluster.start((users, online) => {
    for (const user of users) {
      store.listUserRooms(user.id).then(
        (rooms) => presence.change(user, rooms.map((r) => r.id), online),
        (err) => log.warn({ err: String(err), user: user.id }, 'presence: rooms of a user not readable'),
      );
    }
  });

  let secret = config.tokenSecret;
  if (!secret) {
    secret = (await store.getSetting('token_secret')) ?? '';
    if (!secret) {
      // Nodes booting together agree on one secret (first offer wins) before it is stored.
      secret = await cluster.agree('token_secret', randomBytes(32).toString('hex'));
      await store.setSetting('token_secret', secret);
    }
  }
  const tokens = new TokenSigner(secret, config.tokenTtlMs);
  const names = cluster.names;
  // The admin module's read-only room cache: the hub refuses sends with it, admin actions change it.
  const readOnly = new ReadOnlyRooms(store, log);
  // Presence by room size: diffs in small rooms; counts in large ones, diffs there only to subscribers.
  const presenceFanout = new PresenceFanout({
    largeRoom: config.presenceLargeRoom,
    intervalMs: config.presenceIntervalMs,
    countOnline: (room) => roomOnline(store, cluster, room),
    onError: (room, err) => log.warn({ err: String(err), room }, 'presence: online count of a room not readable'),
  });
  const hub = new Hub({
    store,
    bus,
    metrics,
    replayMax: config.replayMax,
    // The hub reports node-level transitions; the cluster state says when they are cluster-level (presence).
    presence: {
      online: (user, rooms) => void cluster.userOnline(user).then((first) => first && presence.change(user, rooms, true)),
      offline: (user, rooms) => void cluster.userOffline(user).then((last) => last && presence.change(user, rooms, false)),
    },
    countOnline: () => cluster.onlineCount(),
    roomFlags: readOnly,
    presenceDelivery: presenceFanout,
  });
  // Guests that never wrote are deleted once older than guestTtlMs and offline anywhere (store/guest-sweep.ts).
  const guestSweep = startGuestSweep({
    store,
    ttlMs: config.guestTtlMs,
    log,
    online: async (uids) => {
      const on = await cluster.onlineAmong(uids);
      for (const uid of uids) if (hub.isOnline(uid)) on.add(uid);
      return on;
    },
  });
  const pacer = new FlushPacer(config.flushCoalesceMaxMs);
  const scheduler = new FlushScheduler(config.maxOutboxBytes, pacer);
  const pipeline = new MessagePipeline(store, bus, metrics, log, scheduler, { editWindowMs: config.editWindowMs });
  // Login throttles and abuse limits: counters in Redis (cluster-wide) when configured, else in memory.
  const limiterStore = opts.limiterStore ?? createLimiterStore(config, nodeId, log);
  await limiterStore.start();
  const limits = new Limits(limiterStore, config);
  // Removing someone else's message takes an administrator (the admin module decides who is one).
  const isAdmin = async (uid: string): Promise<boolean> => {
    const u = await store.getUser(uid);
    return u ? admin.authz.isAdmin(u) : false;
  };
  // One login throttle: logins and the passwords that confirm account changes count together.
  const throttle = new LoginThrottle(limiterStore, { maxFailures: config.loginMaxFailures, windowMs: config.loginWindowMs, delayMs: config.loginDelayMs, maxDelayMs: config.loginMaxDelayMs });
  const handlers = createHandlers(hub, pipeline, cluster, config, limits, presenceFanout, isAdmin, new Accounts(store, tokens, throttle));
  // JWT sign-in (auth/jwt.ts, auth/jwt-accounts.ts): off unless jwtSecret or jwtJwksUrl is set. Failed
  // verifications count per address like failed logins over all names (ADDRESS_FACTOR x loginMaxFailures).
  const jwt = new JwtAccounts({
    store,
    verifier: new JwtVerifier(jwtOptions(config)),
    limiter: limiterStore,
    maxFailures: config.loginMaxFailures * ADDRESS_FACTOR,
    windowMs: config.loginWindowMs,
    adminRole: config.jwtAdminRole,
    isBanned: bannedCheck(store),
    onJoined: (room, user) => publishEvent(bus, roomTopic(room), { type: 'member', room, user, action: 'joined' }),
  });
  const auth = new Authenticator(
    store,
    names,
    tokens,
    throttle,
    limits,
    bannedCheck(store),
    jwt,
    store,
  );
  const gateway = new Gateway(config, nodeId, hub, handlers, auth, names, tokens, metrics, log, scheduler);
  // Outgoing webhooks (src/server/webhooks): this node's share of the store's outbox, sent and retried.
  const webhooks = new WebhookDispatcher(
    store,
    {
      timeoutMs: config.webhookTimeoutMs,
      maxAttempts: config.webhookMaxAttempts,
      retryBaseMs: config.webhookRetryBaseMs,
      pollMs: config.webhookPollMs,
      concurrency: config.webhookConcurrency,
      retentionMs: config.webhookRetentionMs,
      keepDeliveries: config.webhookKeepDeliveries,
      maxPending: config.webhookMaxPending,
      allowHosts: config.webhookAllowHosts,
    },
    metrics,
    log,
    nodeId,
  );
  // Administration (src/server/admin): /admin/api/*, with the read-only cache loaded before serving.
  const admin = createAdmin({ store, bus, cluster, tokens, metrics, log, nodeId, admins: config.admins, readOnly, connections: () => gateway.connectionCount, jwt: { accounts: jwt, roles: Boolean(config.jwtAdminRole), clientIp: clientIpResolver(config.trustProxy) }, webhooks: { store, allowHosts: config.webhookAllowHosts, kick: () => webhooks.endpointsChanged() } });
  await admin.start();
  // After a Redis link drop the hub re-reads local users' memberships (events on user channels have no seq).
  await bus.start(hub.deliver, () => void hub.resyncMemberships().catch((err) => log.warn({ err: String(err) }, 'membership resync failed')));
  metrics.bufferedBytes = () => gateway.bufferedBytes();

  // A node cut off from both its store and its bus sends its clients to the other nodes (cluster/isolation.ts).
  const busPing = bus.ping?.bind(bus);
  const isolation =
    config.isolationMs > 0 && busPing && store.kind === 'postgres'
      ? new IsolationGuard({
          probes: [
            { name: 'store', check: () => store.getSetting('token_secret') },
            { name: 'bus', check: busPing },
          ],
          everyMs: 1000,
          timeoutMs: 2000,
          afterMs: config.isolationMs,
          onIsolated: (failing) => {
            log.error({ failing, connections: gateway.connectionCount }, 'isolated: neither the store nor the bus answers; refusing connections and sending clients to other nodes (1013)');
            metrics.isolations.inc();
            gateway.isolated = true;
            gateway.closeConnections(CloseCode.tryAgainLater, 'node cut off from the cluster');
          },
          onRecovered: () => {
            log.warn('isolation over: taking connections again');
            gateway.isolated = false;
          },
        })
      : null;
  isolation?.start();

  // The HTTP API for backends (src/server/api, docs/api.md): /api/v1/*, as bot users of API keys, through the same handlers and pipeline.
  const api = createApi({
    nodeId,
    handlers,
    hub,
    store,
    bus,
    cluster,
    config,
    limits,
    limiterStore,
    log,
    clientIp: clientIpResolver(config.trustProxy),
    metrics,
    // Bearer credentials, tried in order (src/server/api/auth.ts): API keys, then the application's JWTs (as their own users).
    authenticators: [
      apiKeyAuthenticator(store, (err) => log.warn({ err: String(err) }, 'api: last use of a key not recorded')),
      jwtAuthenticator(jwt, clientIpResolver(config.trustProxy)),
    ],
  });

  let ready = false;
  // One answer for /readyz and the scalechat_ready gauge the alert rules watch.
  const isReady = (): boolean => ready && !gateway.draining && !gateway.isolated;
  metrics.readyState = isReady;
  const onRequest = createHttpHandler({
    ready: isReady,
    // Under --workers, every worker's registry in one answer (the scrape lands on any worker).
    metrics: config.workers > 1 && isWorkerProcess() ? clusterMetricsSource(metrics.registry) : async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    webDir: config.webDir,
    tls: Boolean(config.tlsCert && config.tlsKey),
    admin: { prefix: ADMIN_PREFIX, handle: admin.handle },
    api: { prefix: api.prefix, handle: api.handle },
  });
  const server: Server =
    config.tlsCert && config.tlsKey
      ? // handshakeTimeout: a TLS handshake never completed is dropped as soon as a slow request head would be.
        createHttpsServer({ ...httpServerOptions(config), handshakeTimeout: config.httpHeadersTimeoutMs, cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }, onRequest)
      : createHttpServer(httpServerOptions(config), onRequest);
  server.maxHeadersCount = MAX_HEADERS_COUNT;
  server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  // A request Node's parser refused, too large, or too slow: 400 / 431 / 408, then closed (transport/http.ts).
  server.on('clientError', answerClientError);
  server.on('connect', refuseConnect);

  let port = 0;
  let drained: Promise<void> | null = null;

  return {
    config,
    nodeId,
    log,
    metrics,
    get port() {
      return port;
    },
    connectionCount: () => gateway.connectionCount,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: config.port, host: config.host, backlog: config.listenBacklog }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      port = (server.address() as AddressInfo).port;
      ready = true;
      webhooks.start();
      log.info({ port, host: config.host, store: store.kind, bus: bus.kind, tls: Boolean(config.tlsCert) }, 'scale-chat listening');
      return port;
    },
    drain() {
      drained ??= (async () => {
        const started = Date.now();
        const bound = config.drainTimeoutMs;
        log.info({ connections: gateway.connectionCount }, 'draining');
        ready = false;
        isolation?.stop();
        server.close();
        gateway.closeAll(CloseCode.serviceRestart, 'server restarting');
        await gateway.waitClosed(Math.max(0, bound / 2));
        const rest = Math.max(0, bound - (Date.now() - started));
        await Promise.race([pipeline.idle(), new Promise((r) => setTimeout(r, rest).unref())]);
        // This node's users and names leave the cluster state at once (no TTL wait), then presence is flushed.
        await cluster.stop().catch((err) => log.warn({ err: String(err) }, 'cluster state: leave failed (swept after the TTL)'));
        // Webhook requests in flight finish (or are aborted and due again at once) before the store closes.
        await webhooks.stop(Math.max(0, Math.min(config.webhookTimeoutMs, bound - (Date.now() - started))));
        presence.stop();
        presenceFanout.stop();
        admin.stop();
        gateway.stop();
        pacer.stop();
        server.closeAllConnections?.();
        await bus.close();
        await limiterStore.close();
        await guestSweep.stop();
        await store.close();
        log.info({ ms: Date.now() - started }, 'drained');
      })();
      return drained;
    },
  };
}
