/**
 * deploy/: the files a cluster is deployed with are valid for the tools that read them. No Docker engine
 * runs in CI: the compose file is checked by `docker-compose config` (Debian package docker-compose), the
 * Prometheus config by promtool, nginx.conf by `nginx -t` (and run for real in cluster.test.ts), and the
 * Dockerfile's inputs against the repository.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { findBinary } from './helpers/binaries.js';
import { deployNginxConf, nginxMissing, renderNginxConf } from './helpers/nginx.js';

const root = process.cwd();
const deploy = path.join(root, 'deploy');
const composeMissing = findBinary('docker-compose') ? null : 'SKIPPED: docker-compose not installed (Debian package docker-compose)';
const promtoolMissing = findBinary('promtool') ? null : 'SKIPPED: promtool not installed (Debian package prometheus)';

describe('deploy/', () => {
  it('docker-compose.yml is valid and has the topology: 3 chat nodes, nginx, Redis, PostgreSQL, Prometheus, Grafana', { skip: composeMissing ?? false }, () => {
    const r = spawnSync('docker-compose', ['-f', path.join(deploy, 'docker-compose.yml'), 'config'], { encoding: 'utf8', env: { ...process.env, SCALE_CHAT_TOKEN_SECRET: '' } });
    assert.equal(r.status, 0, r.stderr);
    const c = parse(r.stdout) as { services: Record<string, { environment?: Record<string, string>; volumes?: (string | { source: string })[]; ports?: unknown[] }> };
    assert.deepEqual(Object.keys(c.services).sort(), ['chat1', 'chat2', 'chat3', 'grafana', 'nginx', 'postgres', 'prometheus', 'redis']);
    for (const n of ['chat1', 'chat2', 'chat3']) {
      const env = c.services[n].environment!;
      assert.match(env.SCALE_CHAT_REDIS_URL, /^redis:\/\/redis:6379$/);
      assert.match(env.SCALE_CHAT_POSTGRES_URL, /^postgres:\/\/.+@postgres:5432\//);
    }
    // Grafana provisions deploy/grafana when it is there.
    const mounts = (c.services.grafana.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[0] : v.source));
    for (const m of mounts) assert.ok(existsSync(m), `grafana mount ${m} exists`);
  });

  it('prometheus.yml passes promtool and scrapes the three nodes', { skip: promtoolMissing ?? false }, () => {
    const r = spawnSync('promtool', ['check', 'config', path.join(deploy, 'prometheus.yml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const p = parse(readFileSync(path.join(deploy, 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const job = p.scrape_configs.find((j) => j.job_name === 'scale-chat')!;
    assert.deepEqual(job.static_configs[0].targets, ['chat1:8080', 'chat2:8080', 'chat3:8080']);
  });

  it('nginx.conf passes nginx -t (upstreams pointed at loopback) and keeps the WebSocket settings', { skip: nginxMissing() ?? false }, () => {
    const conf = deployNginxConf();
    for (const need of [/proxy_http_version 1\.1;/, /proxy_set_header Upgrade \$http_upgrade;/, /proxy_set_header Connection \$connection_upgrade;/]) {
      assert.match(conf, need);
    }
    const read = Number(/proxy_read_timeout (\d+)s;/.exec(conf)?.[1]);
    assert.ok(read > 30, 'proxy_read_timeout above the 30 s server heartbeat');
    const prefix = mkdtempSync(path.join(tmpdir(), 'scale-chat-nginx-t-'));
    try {
      mkdirSync(path.join(prefix, 'tmp'));
      const file = path.join(prefix, 'nginx.conf');
      writeFileSync(file, renderNginxConf(conf, { port: 1, upstreams: [8081, 8082, 8083], prefix }));
      const r = spawnSync(findBinary('nginx')!, ['-t', '-p', prefix, '-c', file, '-e', path.join(prefix, 'error.log')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });

  it("the Dockerfile's inputs exist: COPY sources, the scripts it runs, the entry point", () => {
    const text = readFileSync(path.join(deploy, 'Dockerfile'), 'utf8');
    const stages = [...text.matchAll(/^FROM \S+(?: AS (\w+))?$/gm)];
    assert.equal(stages.length, 2, 'multi-stage: build + runtime');
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1].split(/\s+/)) assert.ok(existsSync(path.join(root, src)), `COPY ${src}`);
    }
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const m of text.matchAll(/npm run ([\w:-]+)/g)) assert.ok(pkg.scripts[m[1]], `npm script ${m[1]}`);
    assert.match(text, /ENTRYPOINT \["node", "dist\/src\/cli\/main\.js"\]/);
    assert.ok(existsSync(path.join(root, 'src/cli/main.ts')));
  });
});
