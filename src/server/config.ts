/**
 * One typed Config: every default in one place, each documented (README "Configuration" mirrors this),
 * built from CLI flags (highest), then environment variables, then defaults; validated at boot.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOG_LEVELS } from '../protocol/admin.js';
import { addressMatcher, clientIpResolver } from './common/client-ip.js';

export interface Config {
  /** TCP port (SCALE_CHAT_PORT or PORT). 0 = pick a free port. */
  port: number;
  /** Listen address (SCALE_CHAT_HOST). */
  host: string;
  /** Data directory for the embedded SQLite database and the token secret (SCALE_CHAT_DATA_DIR). */
  dataDir: string;
  /** pino level: fatal|error|warn|info|debug|trace|silent (SCALE_CHAT_LOG_LEVEL). */
  logLevel: string;
  /** Server heartbeat interval: app `ping` + WebSocket ping each tick; a peer that sent nothing (not even a pong) since the previous tick is terminated, so a dead peer goes within 1-2 intervals. */
  heartbeatMs: number;
  /** Time a new connection has to complete `hello`. */
  handshakeTimeoutMs: number;
  /** Largest accepted WebSocket frame; larger closes with 1009. */
  maxFrameBytes: number;
  /** Longest message text, in characters. */
  maxTextLength: number;
  /** Largest `history` page. */
  historyPageMax: number;
  /** Most messages replayed per room on resume; beyond it the client pages with `history`. */
  replayMax: number;
  /** Bytes allowed to wait unsent for one connection before it is closed as a slow consumer (4500). */
  maxOutboxBytes: number;
  /** Per-connection token bucket: sustained frames/s. */
  ratePerSec: number;
  /** Per-connection token bucket: burst size. */
  rateBurst: number;
  /** Rate-limited frames within `floodWindowMs` that close the connection with 4010. */
  floodCloseAfter: number;
  floodWindowMs: number;
  /** Free failed logins per (name, address) before every further attempt waits `loginDelayMs`, doubling
   * up to `loginMaxDelayMs` (`login_throttled`). Per address over all names the bound is 10x this, per
   * name over all addresses 20x, per `loginWindowMs` (src/server/auth/throttle.ts). */
  loginMaxFailures: number;
  /** How long failed logins are remembered: a (name, address) pair forgets them this long after its last
   * failure; the per-address and per-name bounds count per window of this length. */
  loginWindowMs: number;
  /** Wait imposed after `loginMaxFailures` failures of one (name, address); doubles with each further failure. */
  loginDelayMs: number;
  /** Longest such wait. */
  loginMaxDelayMs: number;
  /** `create` attempts (with a valid name) per user per hour; beyond: `limit_exceeded` (0 = no limit). */
  roomsCreatedPerHour: number;
  /** Rooms and DMs one user may be a member of (`general` not counted): `create`, `join`, `dm`, and an
   * `invite` that would push the invitee past it are refused with `limit_exceeded` (0 = no limit). */
  maxRoomsPerUser: number;
  /** `invite` requests, and `dm` requests opening a new DM, per user per minute (0 = no limit). */
  invitesPerMinute: number;
  /** `register` attempts per client address (IPv6: per /64) per hour; beyond: `limit_exceeded`, close 4014 (0 = no limit). */
  registrationsPerHour: number;
  /** New guest identities (guest `hello`s) per client address (IPv6: per /64) per minute; beyond: `limit_exceeded`, close 4014 (0 = no limit). */
  guestsPerMinute: number;
  /** Session token lifetime. */
  tokenTtlMs: number;
  /** A guest that never wrote a message is deleted (with its memberships and read markers; its token then
   * stops working) once it is older than this and offline; guests that wrote are kept. 0 = keep every guest. */
  guestTtlMs: number;
  /** HMAC secret for tokens (SCALE_CHAT_SECRET). Empty: generated once and kept in the store. */
  tokenSecret: string;
  /** Allowed `Origin` headers for browser connections; empty = any. Requests without Origin (non-browser) are allowed. */
  origins: string[];
  /** Reverse proxies (addresses or CIDR subnets) whose X-Forwarded-For header names the client's address. */
  trustProxy: string[];
  /** TLS certificate and key files: when both are set the server speaks https/wss. */
  tlsCert: string;
  tlsKey: string;
  /** Upper bound for a graceful drain on SIGTERM/SIGINT before the process exits anyway. */
  drainTimeoutMs: number;
  /** How long after sending a message its author may edit it (`edit_window_passed` after); 0: any time. */
  editWindowMs: number;
  /**
   * Where `@room` mentions everyone (docs/protocol.md 6.1): `rooms` (default) in rooms and DMs but not in
   * `general`; `all` in `general` too; `off` nowhere. Where not allowed, `@room` stays plain text.
   */
  roomMentions: 'off' | 'rooms' | 'all';
  /**
   * With Redis and PostgreSQL: a node that reaches neither for this long is isolated (cluster/isolation.ts):
   * it refuses new connections and closes its clients with 1013 so they move to another node. 0: off.
   */
  isolationMs: number;
  /** Presence diffs are coalesced and sent at most this often per room. */
  presenceIntervalMs: number;
  /** A room with more online users than this is large: its members get `presence_count` events instead of
   * diffs, and diffs only after `members {subscribe:true}` (docs/protocol.md 7.6). */
  presenceLargeRoom: number;
  /** Most open connections; beyond it new connections are closed with 4501 (overloaded). */
  maxConnections: number;
  /**
   * Client addresses (or CIDR subnets) the per-address abuse caps do not apply to: connections per address,
   * new guests and registrations per address. Default: loopback, so a load generator or a test on the
   * server's own host is not refused; a reverse proxy on the host must be in `trustProxy` (then the
   * forwarded client address is the one counted). Login throttling applies to every address.
   */
  addressLimitsExempt: string[];
  /** Most open connections from one client address (0 = no cap); beyond it: `too_many_connections`, close 4504. */
  maxConnectionsPerAddress: number;
  /** Most open connections of one signed-in user (0 = no cap); beyond it: `too_many_connections`, close 4504. */
  maxConnectionsPerUser: number;
  /** Unsent bytes of all connections together above which every connection's backlog bound drops to 64 KiB. */
  maxBufferedBytes: number;
  /** Longest wait of a connection's next frame under load (0: every event leaves on the turn it is made). */
  flushCoalesceMaxMs: number;
  /** Largest `history` reply in bytes: a page is cut to fit (hasMore tells); also bounds a resume replay per connection. */
  historyPageBytes: number;
  /** Length of the kernel's accept queue (listen backlog; Linux caps it at net.core.somaxconn). 511 is
   * Node's default; a longer queue did not connect 100,000 clients faster here (docs/loadtest.md). */
  listenBacklog: number;
  /** Time a client has to send a complete request head (request line and headers), upgrades included; an
   * idle new connection counts from its first byte of wait. Beyond it: 408 and the socket is closed (slowloris). */
  httpHeadersTimeoutMs: number;
  /** Time a client has to send a whole request, body included (at least httpHeadersTimeoutMs). Beyond it: 408, closed. */
  httpRequestTimeoutMs: number;
  /** An idle keep-alive HTTP connection is closed after this long. */
  httpKeepAliveTimeoutMs: number;
  /** Directory with the built web UI served at `/` (empty: none). */
  webDir: string;
  /** Redis for the bus and the cluster state (redis://, rediss://, redis+cluster://h:p,h:p). Empty: one process, in-memory bus. */
  redisUrl: string;
  /** Prefix of every Redis channel and key (several deployments can share one Redis). */
  redisPrefix: string;
  /** PostgreSQL for accounts and history (postgres://user:pass@host:port/db). Empty: embedded SQLite in dataDir. */
  postgresUrl: string;
  /** Pooled PostgreSQL connections per process. */
  postgresPoolSize: number;
  /** Processes serving the one port (`serve --workers N`); more than 1 needs redisUrl. */
  workers: number;
  /** A cluster node silent for this long is dead: its users go offline and their names free up. */
  nodeTtlMs: number;
  /** Account ids (`u` + 16 hex digits, as `scale-chat admin list` prints them) with the admin role, besides those granted with `scale-chat admin grant NAME`. Ids, not names: a name not yet registered would go to whoever registers it first. */
  admins: string[];
  /** JWT sign-in (docs/integration.md#2-your-own-sign-in-jwt): HS256 secret shared with the application's backend, at least 32 bytes. Empty: no HS256. */
  jwtSecret: string;
  /** JWT sign-in: the application's JWKS URL (https; http only to a loopback host): RS256/ES256 tokens are verified with its keys. Empty: none. */
  jwtJwksUrl: string;
  /** Required `iss` of every JWT (checked when set; production should set it). */
  jwtIssuer: string;
  /** Required `aud` of every JWT (checked when set; production should set it). */
  jwtAudience: string;
  /** Claim naming the account at its first sign-in (display name; `preferred_username` when absent). */
  jwtNameClaim: string;
  /** A value of the JWT `roles` claim that grants the admin role (empty: roles ignored). */
  jwtAdminRole: string;
  /** Leeway for `exp` and `nbf` against clock differences. */
  jwtClockToleranceMs: number;
  /** The JWKS is refetched after this long (a known key id is trusted from the cache until then). */
  jwtJwksCacheMs: number;
  /** Least time between two JWKS fetches (an unknown key id refetches at most this often). */
  jwtJwksCooldownMs: number;
  /** A JWKS fetch that takes longer fails (the sign-in is refused with `unavailable`). */
  jwtJwksTimeoutMs: number;
  /** HTTP API (/api/v1, docs/api.md): requests per second per API key (token bucket rate); beyond: 429 with Retry-After. */
  apiRatePerSec: number;
  /** HTTP API: burst per API key (token bucket size). */
  apiRateBurst: number;
  /** Outgoing webhooks (docs/integration.md#3-webhooks): one attempt's bound (connect, send, status line). */
  webhookTimeoutMs: number;
  /** Attempts of a delivery before it is `failed`. */
  webhookMaxAttempts: number;
  /** Wait before the first retry; doubles with each attempt (capped at 1 h), each with jitter (half of it random). */
  webhookRetryBaseMs: number;
  /** How often each node looks for due deliveries (and for endpoints other nodes changed). */
  webhookPollMs: number;
  /** Requests in flight per endpoint per node. */
  webhookConcurrency: number;
  /** Delivered and failed rows are kept this long (the delivery log). */
  webhookRetentionMs: number;
  /** ... and at most this many per endpoint. */
  webhookKeepDeliveries: number;
  /** Pending deliveries per endpoint beyond which the oldest are failed (`queue_full`). */
  webhookMaxPending: number;
  /** Host names or addresses webhook URLs may point at (empty: any host; admins are trusted). */
  webhookAllowHosts: string[];
}

export const defaults: Config = {
  port: 8080,
  host: '0.0.0.0',
  dataDir: './data',
  logLevel: 'info',
  heartbeatMs: 30_000,
  handshakeTimeoutMs: 10_000,
  maxFrameBytes: 64 * 1024,
  maxTextLength: 4000,
  historyPageMax: 200,
  replayMax: 1000,
  maxOutboxBytes: 4 * 1024 * 1024,
  ratePerSec: 20,
  rateBurst: 40,
  floodCloseAfter: 100,
  floodWindowMs: 10_000,
  loginMaxFailures: 5,
  loginWindowMs: 15 * 60_000,
  loginDelayMs: 1000,
  loginMaxDelayMs: 5 * 60_000,
  roomsCreatedPerHour: 10,
  maxRoomsPerUser: 200,
  invitesPerMinute: 30,
  registrationsPerHour: 5,
  guestsPerMinute: 30,
  tokenTtlMs: 30 * 24 * 3600 * 1000,
  guestTtlMs: 7 * 24 * 3600 * 1000,
  tokenSecret: '',
  origins: [],
  trustProxy: [],
  tlsCert: '',
  tlsKey: '',
  drainTimeoutMs: 10_000,
  editWindowMs: 0,
  roomMentions: 'rooms',
  isolationMs: 5000,
  presenceIntervalMs: 500,
  presenceLargeRoom: 100,
  maxConnections: 19_000,
  addressLimitsExempt: ['127.0.0.0/8', '::1'],
  maxConnectionsPerAddress: 2000,
  maxConnectionsPerUser: 32,
  historyPageBytes: 1024 * 1024,
  maxBufferedBytes: 512 * 1024 * 1024,
  flushCoalesceMaxMs: 10,
  listenBacklog: 511,
  httpHeadersTimeoutMs: 10_000,
  httpRequestTimeoutMs: 30_000,
  httpKeepAliveTimeoutMs: 5_000,
  webDir: '',
  redisUrl: '',
  redisPrefix: 'scale-chat',
  postgresUrl: '',
  postgresPoolSize: 10,
  workers: 1,
  nodeTtlMs: 15_000,
  admins: [],
  jwtSecret: '',
  jwtJwksUrl: '',
  jwtIssuer: '',
  jwtAudience: '',
  jwtNameClaim: 'name',
  jwtAdminRole: '',
  jwtClockToleranceMs: 30_000,
  jwtJwksCacheMs: 10 * 60_000,
  jwtJwksCooldownMs: 30_000,
  jwtJwksTimeoutMs: 5000,
  apiRatePerSec: 50,
  apiRateBurst: 100,
  webhookTimeoutMs: 10_000,
  webhookMaxAttempts: 10,
  webhookRetryBaseMs: 30_000,
  webhookPollMs: 1000,
  webhookConcurrency: 16,
  webhookRetentionMs: 7 * 24 * 3600 * 1000,
  webhookKeepDeliveries: 10_000,
  webhookMaxPending: 100_000,
  webhookAllowHosts: [],
};

/** Env variable for each key: SCALE_CHAT_ + upper snake case (e.g. SCALE_CHAT_HEARTBEAT_MS). */
export function envName(key: keyof Config): string {
  return 'SCALE_CHAT_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

function coerce(key: keyof Config, raw: string): unknown {
  const d = defaults[key];
  if (typeof d === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`config ${key}: expected a non-negative number, got "${raw}"`);
    return n;
  }
  if (Array.isArray(d)) return raw.split(',').map((s) => s.trim()).filter(Boolean);
  return raw;
}

/**
 * Builds the config: `overrides` (from flags, already typed or strings) win over env, env over defaults.
 */
export function loadConfig(overrides: Partial<Record<keyof Config, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const cfg = { ...defaults } as Record<keyof Config, unknown>;
  for (const key of Object.keys(defaults) as (keyof Config)[]) {
    let raw = env[envName(key)];
    if (raw === undefined && key === 'port') raw = env.PORT;
    if (raw !== undefined && raw !== '') cfg[key] = coerce(key, raw);
    const o = overrides[key];
    if (o !== undefined) cfg[key] = typeof o === 'string' ? coerce(key, o) : o;
  }
  const c = cfg as unknown as Config;
  validate(c);
  return { ...c, dataDir: path.resolve(c.dataDir), webDir: c.webDir ? path.resolve(c.webDir) : builtWebDir() };
}

/** The package's built web UI (web/dist, from `npm run build:web`) when it exists, else '' (no UI). */
export function builtWebDir(): string {
  // This file runs as dist/src/server/config.js (compiled) or src/server/config.ts (from source).
  for (const up of ['../../../web/dist', '../../web/dist']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return '';
}

function validate(c: Config): void {
  if (!(LOG_LEVELS as readonly string[]).includes(c.logLevel)) throw new Error(`config logLevel: one of ${LOG_LEVELS.join('|')}`);
  if (!['off', 'rooms', 'all'].includes(c.roomMentions)) throw new Error('config roomMentions: one of off|rooms|all');
  if (!Number.isInteger(c.port) || c.port > 65535) throw new Error('config port: 0-65535');
  if (c.heartbeatMs < 100) throw new Error('config heartbeatMs: at least 100');
  if (c.isolationMs !== 0 && !(c.isolationMs >= 1000)) throw new Error('config isolationMs: 0 (off) or at least 1000');
  if (c.maxFrameBytes < 1024) throw new Error('config maxFrameBytes: at least 1024');
  if (c.ratePerSec <= 0 || c.rateBurst < 1) throw new Error('config ratePerSec/rateBurst: positive');
  if (c.apiRatePerSec <= 0 || c.apiRateBurst < 1) throw new Error('config apiRatePerSec/apiRateBurst: positive');
  if (c.historyPageBytes < 64 * 1024) throw new Error('config historyPageBytes: at least 65536');
  if (c.historyPageMax < 1 || c.replayMax < 1) throw new Error('config historyPageMax/replayMax: at least 1');
  if (Boolean(c.tlsCert) !== Boolean(c.tlsKey)) throw new Error('config tlsCert and tlsKey go together');
  if (c.redisUrl && !/^(rediss?:\/\/[^/]|redis\+cluster:\/\/[^/])/.test(c.redisUrl)) {
    throw new Error('config redisUrl: redis://host:port, rediss://host:port or redis+cluster://host:port,host:port');
  }
  if (c.postgresUrl && !/^postgres(ql)?:\/\//.test(c.postgresUrl)) throw new Error('config postgresUrl: postgres://user:password@host:port/database');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(c.redisPrefix)) throw new Error('config redisPrefix: 1-64 characters of A-Z a-z 0-9 _ . -');
  if (!Number.isInteger(c.postgresPoolSize) || c.postgresPoolSize < 1) throw new Error('config postgresPoolSize: an integer, at least 1');
  if (!Number.isInteger(c.workers) || c.workers < 1 || c.workers > 256) throw new Error('config workers: an integer from 1 to 256');
  if (c.workers > 1 && !c.redisUrl) throw new Error('config workers: more than one worker needs redisUrl (the workers share the Redis bus)');
  if (!Number.isInteger(c.listenBacklog) || c.listenBacklog < 1) throw new Error('config listenBacklog: an integer, at least 1');
  if (c.httpHeadersTimeoutMs < 100 || c.httpRequestTimeoutMs < 100 || c.httpKeepAliveTimeoutMs < 100) {
    throw new Error('config httpHeadersTimeoutMs/httpRequestTimeoutMs/httpKeepAliveTimeoutMs: at least 100');
  }
  if (c.httpHeadersTimeoutMs > c.httpRequestTimeoutMs) throw new Error('config httpHeadersTimeoutMs: at most httpRequestTimeoutMs');
  try {
    addressMatcher(c.addressLimitsExempt);
  } catch (err) {
    throw new Error(`config addressLimitsExempt: ${(err as Error).message}`);
  }
  try {
    clientIpResolver(c.trustProxy);
  } catch (err) {
    throw new Error(`config trustProxy: ${(err as Error).message}`);
  }
  if (c.nodeTtlMs < 1000) throw new Error('config nodeTtlMs: at least 1000');
  for (const a of c.admins) {
    if (!/^u[0-9a-f]{16}$/.test(a)) throw new Error(`config admins: "${a}" is not an account id (u + 16 hex digits, from \`scale-chat admin list\`); to make an account admin by name run \`scale-chat admin grant NAME\``);
  }
  if (c.webhookTimeoutMs < 100 || c.webhookPollMs < 10 || c.webhookRetryBaseMs < 10) throw new Error('config webhookTimeoutMs/webhookPollMs/webhookRetryBaseMs: at least 100/10/10');
  for (const k of ['webhookMaxAttempts', 'webhookConcurrency', 'webhookKeepDeliveries', 'webhookMaxPending'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`config ${k}: an integer, at least 1`);
  }
  if (!Number.isInteger(c.loginMaxFailures) || c.loginMaxFailures < 1) throw new Error('config loginMaxFailures: an integer, at least 1');
  if (c.loginWindowMs < 1000 || c.loginDelayMs < 1 || c.loginMaxDelayMs < c.loginDelayMs) {
    throw new Error('config loginWindowMs/loginDelayMs/loginMaxDelayMs: window at least 1000, delay at least 1, max delay at least the delay');
  }
  validateJwt(c);
}

/** JWT sign-in options (src/server/auth/jwt.ts). */
function validateJwt(c: Config): void {
  if (c.jwtSecret && Buffer.byteLength(c.jwtSecret, 'utf8') < 32) throw new Error('config jwtSecret: at least 32 bytes (e.g. `openssl rand -hex 32`)');
  if (c.jwtJwksUrl) {
    let u: URL;
    try {
      u = new URL(c.jwtJwksUrl);
    } catch {
      throw new Error('config jwtJwksUrl: a URL, https://...');
    }
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) throw new Error('config jwtJwksUrl: https:// (http:// only to localhost)');
  }
  if (!/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/.test(c.jwtNameClaim)) throw new Error('config jwtNameClaim: a claim name (letters, digits, _ . : -)');
  if (c.jwtClockToleranceMs > 5 * 60_000) throw new Error('config jwtClockToleranceMs: at most 300000');
  if (c.jwtJwksTimeoutMs < 100 || c.jwtJwksTimeoutMs > 60_000) throw new Error('config jwtJwksTimeoutMs: 100-60000');
}

/** One line per option: CLI `--help` and the README's configuration table. */
export const configHelp: Record<keyof Config, string> = {
  port: 'TCP port (also PORT); 0 picks a free one',
  host: 'listen address',
  dataDir: 'data directory (SQLite database, generated token secret)',
  logLevel: LOG_LEVELS.join('|'),
  heartbeatMs: 'heartbeat interval; a peer silent since the previous tick is terminated (dead peers go within 1-2 intervals)',
  handshakeTimeoutMs: 'time allowed to complete hello',
  maxFrameBytes: 'largest accepted frame (larger: close 1009)',
  maxTextLength: 'longest message text in characters',
  historyPageMax: 'largest history page',
  replayMax: 'most messages replayed per room on resume',
  maxOutboxBytes: 'unsent bytes per connection before a slow-consumer close (4500)',
  ratePerSec: 'per-connection frames per second (token bucket rate)',
  rateBurst: 'per-connection burst (token bucket size)',
  floodCloseAfter: 'rate-limited frames within floodWindowMs that close the connection (4010)',
  floodWindowMs: 'window for floodCloseAfter',
  loginMaxFailures: 'free failed logins per (name, address) before growing waits (login_throttled); per address 10x, per name 20x, per login-window-ms',
  loginWindowMs: 'failed logins are remembered this long (per pair: after the last one; per address and per name: fixed windows)',
  loginDelayMs: 'wait after login-max-failures failures of one (name, address); doubles with each further failure',
  loginMaxDelayMs: 'longest wait between failed logins of one (name, address)',
  roomsCreatedPerHour: 'create attempts per user per hour (more: limit_exceeded; 0 = no limit)',
  maxRoomsPerUser: 'rooms and DMs a user may be a member of, general not counted (0 = no limit)',
  invitesPerMinute: 'invites, and new DMs, per user per minute (0 = no limit)',
  registrationsPerHour: 'account registrations per client address (IPv6: /64) per hour (0 = no limit)',
  guestsPerMinute: 'new guest identities per client address (IPv6: /64) per minute (0 = no limit)',
  tokenTtlMs: 'session token lifetime',
  guestTtlMs: 'offline guests that never wrote a message are deleted after this age (0 = keep forever)',
  tokenSecret: 'HMAC secret for session tokens',
  origins: 'comma-separated allowed Origin values for browsers',
  trustProxy: 'comma-separated proxy addresses or CIDR subnets (e.g. 127.0.0.1,10.0.0.0/8) whose X-Forwarded-For gives the client address for login throttling and logs',
  tlsCert: 'TLS certificate file (with tlsKey: serve https/wss)',
  tlsKey: 'TLS private key file',
  drainTimeoutMs: 'bound of the graceful drain on SIGTERM/SIGINT',
  editWindowMs: 'how long after sending its author may edit a message (0: any time)',
  roomMentions: 'where @room mentions everyone: rooms (rooms and DMs, not general) | all (general too) | off (nowhere; @room stays plain text)',
  isolationMs: 'with Redis and PostgreSQL: a node that reaches neither for this long refuses connections and closes its clients with 1013 so they move to another node (0: off)',
  presenceIntervalMs: 'presence diffs are coalesced per room over this interval',
  presenceLargeRoom: 'rooms with more users online than this get online counts instead of presence diffs; diffs only for connections that subscribe to the member list',
  maxConnections: 'most open connections (more: close 4501)',
  addressLimitsExempt: 'comma-separated addresses or CIDR subnets exempt from the per-address caps (connections, new guests, registrations); login throttling still applies. Empty: none',
  maxConnectionsPerAddress: 'most open connections from one client address, 0 = no cap (more: too_many_connections, close 4504)',
  maxConnectionsPerUser: 'most open connections of one user, 0 = no cap (more: too_many_connections, close 4504)',
  maxBufferedBytes: 'unsent bytes of all connections together above which each connection is paused past 64 KiB instead of maxOutboxBytes/2',
  flushCoalesceMaxMs: 'under load, the longest a connection written to within this many ms waits so its next events leave as one frame (0 while the event loop has time to spare; 0 = never wait)',
  historyPageBytes: 'largest history reply in bytes (the page is cut to fit; hasMore tells); also the replay budget of one resume',
  listenBacklog: 'accept queue length (listen backlog, capped by net.core.somaxconn); connections beyond it wait for a SYN retry',
  httpHeadersTimeoutMs: 'time to send a complete request head (and the TLS handshake before it), upgrades included; beyond it 408 and close',
  httpRequestTimeoutMs: 'time to send a whole HTTP request, body included (at least http-headers-timeout-ms); beyond it 408 and close',
  httpKeepAliveTimeoutMs: 'an idle keep-alive HTTP connection is closed after this long',
  webDir: 'directory of the built web UI served at /',
  redisUrl: 'Redis for the bus and cluster state: redis://h:p, rediss://h:p or redis+cluster://h:p,h:p',
  redisPrefix: 'prefix of every Redis channel and key (several deployments on one Redis)',
  postgresUrl: 'PostgreSQL for accounts and history: postgres://user:pass@h:p/db',
  postgresPoolSize: 'pooled PostgreSQL connections per process',
  workers: 'processes serving the one port (more than 1 needs redis-url)',
  nodeTtlMs: 'a cluster node silent this long is dead: its users go offline (Redis cluster state)',
  admins: 'comma-separated account ids (u + 16 hex digits) with the admin role; or grant by name on the server host: scale-chat admin grant NAME',
  jwtSecret: 'JWT sign-in: HS256 secret shared with your backend, at least 32 bytes',
  jwtJwksUrl: "JWT sign-in: your backend's JWKS URL for RS256/ES256 tokens, https (http only to localhost)",
  jwtIssuer: 'JWT sign-in: required iss claim, checked when set (set it in production)',
  jwtAudience: 'JWT sign-in: required aud claim, checked when set (set it in production)',
  jwtNameClaim: 'JWT sign-in: claim with the display name of a new account (preferred_username when absent)',
  jwtAdminRole: 'JWT sign-in: the value of the roles claim that grants the admin role (roles are ignored without it)',
  jwtClockToleranceMs: 'JWT sign-in: leeway for exp and nbf',
  jwtJwksCacheMs: 'JWT sign-in: the JWKS is refetched after this long',
  jwtJwksCooldownMs: 'JWT sign-in: least time between two JWKS fetches (an unknown kid refetches at most this often)',
  jwtJwksTimeoutMs: 'JWT sign-in: a JWKS fetch taking longer fails (sign-in refused: unavailable)',
  apiRatePerSec: 'HTTP API requests per second per API key (token bucket rate; more: 429 with Retry-After)',
  apiRateBurst: 'HTTP API burst per API key (token bucket size)',
  webhookTimeoutMs: 'outgoing webhooks: bound of one delivery attempt (connect, send, response status); longer counts as a failed attempt',
  webhookMaxAttempts: 'outgoing webhooks: attempts of a delivery before it is marked failed',
  webhookRetryBaseMs: 'outgoing webhooks: wait before the first retry, doubling per attempt up to 1 h, half of each wait random (jitter)',
  webhookPollMs: 'outgoing webhooks: how often each node claims due deliveries and re-reads the endpoints',
  webhookConcurrency: 'outgoing webhooks: requests in flight per endpoint on each node',
  webhookRetentionMs: 'outgoing webhooks: delivered and failed deliveries are kept this long in the delivery log',
  webhookKeepDeliveries: 'outgoing webhooks: at most this many delivered and failed deliveries kept per endpoint',
  webhookMaxPending: 'outgoing webhooks: pending deliveries per endpoint beyond which the oldest are marked failed (queue_full)',
  webhookAllowHosts: 'outgoing webhooks: comma-separated host names or addresses that endpoint URLs may point at; empty: any host (http and https URLs only, either way)',
};

/**
 * What a default means where its value alone would not say it (an empty string or list that stands for a
 * behaviour). `--help` and the README's table show this in place of the value, so each default is said
 * once, here, and never again inside `configHelp`.
 */
export const defaultMeaning: Partial<Record<keyof Config, string>> = {
  tokenSecret: 'generated and kept in the store',
  origins: 'any',
  trustProxy: 'none, the socket peer',
  webDir: 'web/dist when built',
  redisUrl: 'one process, in-memory',
  postgresUrl: 'SQLite in data-dir',
  admins: 'none; no account is an admin by itself',
  webhookAllowHosts: 'any host',
};

/** The default of one option as `--help` shows it: its meaning when it has one, else its value (empty: `none`). */
export function defaultText(key: keyof Config): string {
  const meaning = defaultMeaning[key];
  if (meaning) return meaning;
  const d = defaults[key];
  const shown = Array.isArray(d) ? d.join(',') : String(d);
  return shown === '' ? 'none' : shown;
}

/** `heartbeatMs` -> `heartbeat-ms` */
export function flagName(key: keyof Config): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}
