/**
 * Redis connections from one URL, shared by the Redis bus, the Redis cluster state and the limiter
 * counters (src/server/cluster, src/server/limits: layers above the bus, so they import it from here).
 *
 *   redis://[user:pass@]host:port[/db]     one Redis server (or a proxy in front of one)
 *   rediss://...                           the same over TLS
 *   redis+cluster://host:port,host:port    a Redis Cluster (seed nodes; the rest is discovered)
 *
 * Every connection reconnects by itself with a capped backoff; commands issued while disconnected wait in
 * the offline queue and are sent after the reconnect (they are bounded by the caller, see RedisBus).
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  cluster: boolean;
  /** For a single server: the URL; for a cluster: the seed nodes. */
  url: string;
  nodes: { host: string; port: number }[];
}

export function parseRedisUrl(url: string): RedisTarget {
  const m = /^redis\+cluster:\/\/(.+)$/.exec(url);
  if (m) {
    const nodes = m[1]
      .replace(/\/.*$/, '')
      .split(',')
      .map((hp) => {
        const at = hp.lastIndexOf(':');
        const host = at > 0 ? hp.slice(0, at) : hp;
        const port = at > 0 ? Number(hp.slice(at + 1)) : 6379;
        if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`redis URL: bad cluster node "${hp}"`);
        return { host, port };
      });
    if (!nodes.length) throw new Error('redis URL: a cluster URL needs at least one host:port');
    return { cluster: true, url, nodes };
  }
  if (!/^rediss?:\/\/[^/]/.test(url)) throw new Error(`redis URL must start with redis://, rediss:// or redis+cluster:// (got "${url}")`);
  try {
    new URL(url);
  } catch {
    throw new Error(`redis URL is not a valid URL: "${url}"`);
  }
  return { cluster: false, url, nodes: [] };
}

/** Reconnect backoff: 50 ms growing to 2 s, forever (a Redis outage must never end the process). */
export const reconnectDelay = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

export function connectRedis(url: string, name: string, extra: RedisOptions = {}): RedisClient {
  const t = parseRedisUrl(url);
  const base: RedisOptions = {
    lazyConnect: true,
    connectionName: name,
    retryStrategy: reconnectDelay,
    // Commands wait for the reconnect instead of failing after 20 attempts (callers bound what they queue).
    maxRetriesPerRequest: null,
    ...extra,
  };
  if (t.cluster) {
    return new Cluster(t.nodes, {
      lazyConnect: true,
      shardedSubscribers: true,
      clusterRetryStrategy: reconnectDelay,
      redisOptions: base,
    });
  }
  return new Redis(t.url, base);
}
