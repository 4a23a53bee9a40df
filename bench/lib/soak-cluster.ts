/**
 * The soak's cluster (bench/soak.ts --mode cluster): the lab's cluster processes (./cluster-procs.ts:
 * Redis, PostgreSQL, N nodes, nginx). Besides the nodes (each sampled like the single server) it reads
 * the stores for the soak's samples: Redis's `INFO memory` and PostgreSQL's database size.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import type { NodeProcess } from '../../test/helpers/nodes.js';
import { startClusterProcs } from './cluster-procs.js';
import type { LoadTarget } from './perf-loadtest.js';

const MB = 1024 * 1024;

export interface StoreSample {
  /** pg_database_size of the chat database. */
  pgMb: number;
  /** INFO memory: used_memory and used_memory_rss. */
  redisMb: number;
  redisRssMb: number;
}

export interface SoakCluster {
  nodes: readonly NodeProcess[];
  /** The loadtest's target: nginx's URL; the first node for runLoadtest's CPU window. */
  target: LoadTarget;
  redisPort: number;
  pgUrl: string;
  /** NaN for a store that did not answer within 3 s. */
  stores(): Promise<StoreSample>;
  /** Stops everything (idempotent). */
  cleanup(): Promise<void>;
}

export async function startSoakCluster(o: { nodes: number; flags: Record<string, string | number>; log: (msg: string) => void }): Promise<SoakCluster> {
  const c = await startClusterProcs({ nodes: o.nodes, flags: o.flags, db: 'soak', net: false, log: o.log });
  const { nodes } = c;
  let redisClient: Redis | null = null;
  let pgPool: pg.Pool | null = null;
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      redisClient?.disconnect();
      await pgPool?.end().catch(() => {});
      await c.cleanup();
    })());
  try {
    const rc = new Redis({ port: c.redis.port, host: '127.0.0.1', commandTimeout: 3000, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    rc.on('error', () => {});
    await rc.connect();
    redisClient = rc;
    const pool = new pg.Pool({ connectionString: c.pgUrl, max: 1, connectionTimeoutMillis: 3000, query_timeout: 3000 });
    pool.on('error', () => {});
    pgPool = pool;

    const redisMem = async (): Promise<[number, number]> => {
      try {
        const info = await rc.info('memory');
        const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN) / MB;
        return [field('used_memory'), field('used_memory_rss')];
      } catch {
        return [NaN, NaN];
      }
    };
    const pgSize = async (): Promise<number> => {
      try {
        const r = await pool.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
        return Number(r.rows[0].bytes) / MB;
      } catch {
        return NaN;
      }
    };
    const first = nodes[0];
    return {
      nodes,
      target: {
        url: c.lb.url,
        http: first.http,
        pid: first.pid ?? -1,
        gone: () => {
          const i = nodes.findIndex((x) => !x.running);
          return i < 0 ? null : `${c.nodeName(i)} exited: ${nodes[i].output().trim().split('\n').slice(-5).join(' | ')}`;
        },
      },
      redisPort: c.redis.port,
      pgUrl: c.pgUrl,
      async stores() {
        const [[redisMb, redisRssMb], pgMb] = await Promise.all([redisMem(), pgSize()]);
        return { pgMb, redisMb, redisRssMb };
      },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
