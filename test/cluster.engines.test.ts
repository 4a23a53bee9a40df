/**
 * `scale-chat serve` picks its engines from the config: no Redis/PostgreSQL URL = the embedded defaults,
 * unchanged; URLs switch bus + cluster state (Redis) and store (PostgreSQL) independently. Bad cluster
 * settings are refused at boot with a message naming the setting.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createBus, createClusterState, createStore } from '../src/server/engines.js';
import { loadConfig } from '../src/server/config.js';
import { cliPath } from './helpers/nodes.js';
import { tempDir } from './helpers/server.js';

describe('engines from config', () => {
  it('no URL: SQLite, the in-memory bus and local cluster state (the single-process default)', async () => {
    const config = loadConfig({ dataDir: tempDir() }, {});
    const store = createStore(config);
    assert.equal(store.kind, 'sqlite');
    assert.equal(createBus(config, 'n1', store).kind, 'memory');
    assert.equal(createClusterState(config, 'n1').kind, 'local');
    await store.close();
  });

  it('redisUrl: Redis bus and cluster state; postgresUrl: PostgreSQL store (each on its own)', async () => {
    const redisOnly = loadConfig({ redisUrl: 'redis://127.0.0.1:6399' }, {});
    const sqlite = createStore(redisOnly);
    assert.equal(sqlite.kind, 'sqlite');
    assert.equal(createBus(redisOnly, 'n1', sqlite).kind, 'redis');
    assert.equal(createClusterState(redisOnly, 'n1').kind, 'redis');
    const pgOnly = loadConfig({ postgresUrl: 'postgres://u:p@127.0.0.1:5999/chat' }, {});
    const pg = createStore(pgOnly);
    assert.equal(pg.kind, 'postgres');
    assert.equal(createBus(pgOnly, 'n1', pg).kind, 'memory');
    await pg.close();
    await sqlite.close();
  });

  it('the environment works like the flags', () => {
    const c = loadConfig({}, { SCALE_CHAT_REDIS_URL: 'redis+cluster://10.0.0.1:7000,10.0.0.2:7000', SCALE_CHAT_WORKERS: '3', SCALE_CHAT_NODE_TTL_MS: '9000' });
    assert.equal(c.redisUrl, 'redis+cluster://10.0.0.1:7000,10.0.0.2:7000');
    assert.equal(c.workers, 3);
    assert.equal(c.nodeTtlMs, 9000);
  });

  it('bad cluster settings are refused with the setting named', () => {
    assert.throws(() => loadConfig({ workers: 2 }, {}), /workers: more than one worker needs redisUrl/);
    assert.throws(() => loadConfig({ redisUrl: 'http://redis' }, {}), /redisUrl/);
    assert.throws(() => loadConfig({ postgresUrl: 'mysql://x' }, {}), /postgresUrl/);
    assert.throws(() => loadConfig({ workers: 1.5, redisUrl: 'redis://x:1' }, {}), /workers/);
    assert.throws(() => loadConfig({ nodeTtlMs: 10 }, {}), /nodeTtlMs/);
    assert.throws(() => loadConfig({ redisPrefix: 'has space' }, {}), /redisPrefix/);
  });

  it('the CLI exits 2 with the message, and an unreachable Redis fails the boot clearly', () => {
    const bad = spawnSync(process.execPath, [cliPath(), 'serve', '--workers', '2'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /more than one worker needs redisUrl/);
    const down = spawnSync(process.execPath, [cliPath(), 'serve', '--port', '0', '--data-dir', tempDir(), '--redis-url', 'redis://127.0.0.1:1'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(down.status, 2);
    assert.match(down.stderr, /Redis at redis:\/\/127\.0\.0\.1:1|Redis for the cluster state/);
  });
});
