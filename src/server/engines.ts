/**
 * Chooses the engines from the config: no Redis/PostgreSQL URL means the embedded defaults, unchanged
 * (SQLite in the data dir, the in-memory bus, local cluster state); `redisUrl` switches the bus and the
 * cluster state to Redis; `postgresUrl` the store to PostgreSQL. Each can be set without the other
 * (e.g. several workers on one machine: Redis + one shared SQLite file).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { Bus } from './bus/bus.js';
import { MemoryBus } from './bus/memory.js';
import { RedisBus } from './bus/redis/redis-bus.js';
import type { Config } from './config.js';
import type { Metrics } from './metrics.js';
import { PostgresStore } from './store/postgres/store.js';
import { SqliteStore } from './store/sqlite/store.js';
import type { ChatStore, Store } from './store/store.js';
import { LocalClusterState } from './cluster/local.js';
import { RedisClusterState } from './cluster/redis-state.js';
import { storeRoomLog } from './bus/redis/roomlog.js';
import type { ClusterState } from './cluster/state.js';

export function createStore(config: Config, log?: Logger): Store {
  if (config.postgresUrl) {
    return new PostgresStore(config.postgresUrl, {
      poolSize: config.postgresPoolSize,
      onError: (err) => log?.warn({ err: err.message }, 'postgres: idle connection lost'),
    });
  }
  return new SqliteStore(path.join(config.dataDir, 'scale-chat.db'), { log });
}

/** The bus; `store` is where a Redis bus fills gaps from. */
export function createBus(config: Config, nodeId: string, store: ChatStore, log?: Logger, metrics?: Metrics): Bus {
  if (!config.redisUrl) return new MemoryBus();
  const reg = metrics ? [metrics.registry] : [];
  const reconnects = new Counter({ name: 'scalechat_bus_reconnects_total', help: 'Redis bus subscriber links re-established (each followed by a resync of every room from the store)', registers: reg });
  const filled = new Counter({ name: 'scalechat_bus_gap_filled_total', help: 'Room events missing from Redis and delivered from the store instead', registers: reg });
  const skipped = new Counter({ name: 'scalechat_bus_gap_skipped_total', help: 'Room events that could not be filled from the store (clients fetch them from history)', registers: reg });
  const dropped = new Counter({ name: 'scalechat_bus_publish_dropped_total', help: 'Publications that did not reach Redis (receivers fill them from the store)', registers: reg });
  return new RedisBus({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    nodeId,
    roomLog: storeRoomLog(store),
    log,
    stats: {
      onReconnect: () => reconnects.inc(),
      onFilled: (n) => filled.inc(n),
      onSkipped: (n) => skipped.inc(n),
      onDropped: () => dropped.inc(),
    },
  });
}

export function createClusterState(config: Config, nodeId: string, log?: Logger): ClusterState {
  if (!config.redisUrl) return new LocalClusterState(nodeId);
  return new RedisClusterState({ url: config.redisUrl, nodeId, prefix: config.redisPrefix, ttlMs: config.nodeTtlMs, log });
}
