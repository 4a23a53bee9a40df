/**
 * deploy/prometheus/alerts.yml: promtool accepts the rules and the config that loads them, the unit
 * tests of alerts.test.yml pass (an alert fires when it should and not before), a broken rule is
 * refused, every metric a rule uses is one a running server exports, and docs/operations.md lists
 * every alert.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { exportedMetrics, metricsIn } from './helpers/exported-metrics.js';
import { startServer, type TestServer } from './helpers/server.js';

const deploy = path.join(process.cwd(), 'deploy');
const rulesFile = path.join(deploy, 'prometheus/alerts.yml');
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
const noPromtool = hasPromtool ? false : 'SKIPPED LOUDLY: promtool (Debian package prometheus) not installed: the rules were parsed, not checked by Prometheus';
if (noPromtool) console.log(`# ${noPromtool}`);

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
const rules = (parseYaml(readFileSync(rulesFile, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

const promtool = (args: string[]) => {
  const r = spawnSync('promtool', args, { encoding: 'utf8', cwd: deploy });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('deploy/prometheus/alerts.yml', () => {
  let srv: TestServer;
  let exported: Set<string>;
  const dirs: string[] = [];
  before(async () => {
    srv = await startServer({}, undefined, { processMetrics: true });
    exported = (await exportedMetrics(srv)).names;
  });
  after(async () => {
    await srv.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('promtool check rules accepts every rule, and check config the prometheus.yml that loads them', { skip: noPromtool }, () => {
    const r = promtool(['check', 'rules', rulesFile]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${rules.length} rules found`));
    const c = promtool(['check', 'config', 'prometheus.yml']);
    assert.equal(c.status, 0, c.out);
    assert.match(c.out, /SUCCESS: 1 rule files found/);
  });

  it('promtool test rules: the unit tests pass (ScaleChatDown, file descriptors, slow consumers)', { skip: noPromtool }, () => {
    const r = promtool(['test', 'rules', 'prometheus/alerts.test.yml']);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  it('a broken expression or an alert test that expects too much is refused (the checks can fail)', { skip: noPromtool }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scale-chat-alerts-'));
    dirs.push(dir);
    const bad = path.join(dir, 'alerts.yml');
    writeFileSync(bad, readFileSync(rulesFile, 'utf8').replace('expr: scalechat_ready == 0', 'expr: scalechat_ready == == 0'));
    const r = promtool(['check', 'rules', bad]);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /parse error/);
    // The unit test of ScaleChatDown, expecting it one minute too early.
    writeFileSync(path.join(dir, 'alerts.yml'), readFileSync(rulesFile, 'utf8'));
    const test = readFileSync(path.join(deploy, 'prometheus/alerts.test.yml'), 'utf8').replace('      - eval_time: 2m\n        alertname: ScaleChatDown', '      - eval_time: 1m30s\n        alertname: ScaleChatDown');
    writeFileSync(path.join(dir, 'alerts.test.yml'), test);
    const t = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { encoding: 'utf8', cwd: dir });
    assert.notEqual(t.status, 0, 'an alert expected before its `for` ran out fails the unit test');
  });

  it('covers down, not ready, isolation, event-loop lag, slow consumers, errors, store/bus, webhooks, file descriptors', () => {
    const names = rules.map((r) => r.alert);
    for (const a of [
      'ScaleChatDown',
      'ScaleChatNotReady',
      'ScaleChatIsolated',
      'ScaleChatEventLoopLag',
      'ScaleChatSlowConsumerClosesRising',
      'ScaleChatInternalErrors',
      'ScaleChatStoreUnavailable',
      'ScaleChatBackendUnavailable',
      'ScaleChatWebhookDeliveriesFailing',
      'ScaleChatFileDescriptorsNearLimit',
    ])
      assert.ok(names.includes(a), a);
    assert.equal(new Set(names).size, names.length, 'unique names');
    for (const r of rules) {
      assert.ok(['critical', 'warning'].includes(r.labels.severity), `${r.alert}: severity`);
      assert.ok(r.annotations.summary && r.annotations.description, `${r.alert}: summary and description`);
    }
  });

  it('every metric a rule uses is one the server exports', () => {
    for (const r of rules) {
      const names = metricsIn(r.expr);
      if (r.alert !== 'ScaleChatDown') assert.ok(names.length > 0, `${r.alert} uses a scale-chat metric`);
      for (const n of names) assert.ok(exported.has(n), `${r.alert}: ${n} is not exported`);
    }
  });

  it('prometheus.yml loads the rules, and docker-compose mounts them where it looks (beside it)', () => {
    const prom = parseYaml(readFileSync(path.join(deploy, 'prometheus.yml'), 'utf8')) as { rule_files: string[] };
    assert.deepEqual(prom.rule_files, ['prometheus/alerts.yml']);
    const compose = parseYaml(readFileSync(path.join(deploy, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: { prometheus: { volumes: string[] } } };
    const mounts = new Map(compose.services.prometheus.volumes.map((v) => [v.split(':')[1], v.split(':')[0]] as const));
    // Rule paths are relative to the config file: /etc/prometheus/prometheus.yml -> /etc/prometheus/prometheus/alerts.yml.
    assert.equal(mounts.get('/etc/prometheus/prometheus.yml'), './prometheus.yml');
    assert.equal(mounts.get('/etc/prometheus/prometheus'), './prometheus');
  });

  it('docs/operations.md has a row for every alert', () => {
    const ops = readFileSync(path.join(process.cwd(), 'docs/operations.md'), 'utf8');
    for (const r of rules) assert.ok(ops.includes(`| \`${r.alert}\``), `docs/operations.md lists ${r.alert}`);
  });
});
