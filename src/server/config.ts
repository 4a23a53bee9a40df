/**
 * One typed Config: every default in one place, each documented (README "Configuration" mirrors this),
 * built from CLI flags (highest), then environment variables, then defaults; validated at boot.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientIpResolver } from './transport/client-ip.js';

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
  /** Failed logins per name (and per address) within `loginWindowMs` before `login_throttled`. */
  loginMaxFailures: number;
  loginWindowMs: number;
  /** Session token lifetime. */
  tokenTtlMs: number;
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
  /** Presence diffs are coalesced and sent at most this often per room. */
  presenceIntervalMs: number;
  /** Most open connections; beyond it new connections are closed with 4501 (overloaded). */
  maxConnections: number;
  /** Length of the kernel's accept queue (listen backlog; Linux caps it at net.core.somaxconn). 511 is
   * Node's default; a longer queue did not connect 100,000 clients faster here (docs/loadtest.md). */
  listenBacklog: number;
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
  /** Account names with the admin role (besides the first account ever created), comma-separated. */
  admins: string[];
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
  loginWindowMs: 60_000,
  tokenTtlMs: 30 * 24 * 3600 * 1000,
  tokenSecret: '',
  origins: [],
  trustProxy: [],
  tlsCert: '',
  tlsKey: '',
  drainTimeoutMs: 10_000,
  presenceIntervalMs: 500,
  maxConnections: 19_000,
  listenBacklog: 511,
  webDir: '',
  redisUrl: '',
  redisPrefix: 'scale-chat',
  postgresUrl: '',
  postgresPoolSize: 10,
  workers: 1,
  nodeTtlMs: 15_000,
  admins: [],
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
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(c.logLevel)) throw new Error(`config logLevel: one of ${levels.join('|')}`);
  if (!Number.isInteger(c.port) || c.port > 65535) throw new Error('config port: 0-65535');
  if (c.heartbeatMs < 100) throw new Error('config heartbeatMs: at least 100');
  if (c.maxFrameBytes < 1024) throw new Error('config maxFrameBytes: at least 1024');
  if (c.ratePerSec <= 0 || c.rateBurst < 1) throw new Error('config ratePerSec/rateBurst: positive');
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
  try {
    clientIpResolver(c.trustProxy);
  } catch (err) {
    throw new Error(`config trustProxy: ${(err as Error).message}`);
  }
  if (c.nodeTtlMs < 1000) throw new Error('config nodeTtlMs: at least 1000');
}

/** One line per option: CLI `--help` and the README's configuration table. */
export const configHelp: Record<keyof Config, string> = {
  port: 'TCP port (also PORT); 0 picks a free one',
  host: 'listen address',
  dataDir: 'data directory (SQLite database, generated token secret)',
  logLevel: 'fatal|error|warn|info|debug|trace|silent',
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
  loginMaxFailures: 'failed logins per name (x10 per address) before login_throttled',
  loginWindowMs: 'window for loginMaxFailures',
  tokenTtlMs: 'session token lifetime',
  tokenSecret: 'HMAC secret for session tokens (default: generated and kept in the store)',
  origins: 'comma-separated allowed Origin values for browsers (default: any)',
  trustProxy: 'comma-separated proxy addresses or CIDR subnets (e.g. 127.0.0.1,10.0.0.0/8) whose X-Forwarded-For gives the client address for login throttling and logs (default: none, the socket peer)',
  tlsCert: 'TLS certificate file (with tlsKey: serve https/wss)',
  tlsKey: 'TLS private key file',
  drainTimeoutMs: 'bound of the graceful drain on SIGTERM/SIGINT',
  presenceIntervalMs: 'presence diffs are coalesced per room over this interval',
  maxConnections: 'most open connections (more: close 4501)',
  listenBacklog: 'accept queue length (listen backlog, capped by net.core.somaxconn); connections beyond it wait for a SYN retry',
  webDir: 'directory of the built web UI served at / (default: web/dist when built)',
  redisUrl: 'Redis for the bus and cluster state: redis://h:p, rediss://h:p or redis+cluster://h:p,h:p (default: one process, in-memory)',
  redisPrefix: 'prefix of every Redis channel and key (several deployments on one Redis)',
  postgresUrl: 'PostgreSQL for accounts and history: postgres://user:pass@h:p/db (default: SQLite in data-dir)',
  postgresPoolSize: 'pooled PostgreSQL connections per process',
  workers: 'processes serving the one port (more than 1 needs redis-url)',
  nodeTtlMs: 'a cluster node silent this long is dead: its users go offline (Redis cluster state)',
  admins: 'comma-separated account names with the admin role (the first account ever created is always an admin)',
};

/** `heartbeatMs` -> `heartbeat-ms` */
export function flagName(key: keyof Config): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}
