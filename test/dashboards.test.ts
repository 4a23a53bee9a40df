/**
 * The Grafana dashboards in deploy/grafana are valid JSON, well-formed for provisioning, every metric
 * their queries use is one a running server exports, every label they select, group or name in a legend
 * is one those metrics carry, and promtool parses every query.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { exportedMetrics, metricsIn } from './helpers/exported-metrics.js';
import { startServer, type TestServer } from './helpers/server.js';

const dir = path.join(process.cwd(), 'deploy/grafana/dashboards');
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
const noPromtool = hasPromtool ? false : 'SKIPPED LOUDLY: promtool (Debian package prometheus) not installed: the queries were not parsed by Prometheus';
if (noPromtool) console.log(`# ${noPromtool}`);
let srv: TestServer;
let exported: Set<string>;
/** Label names of each metric family of the server's registry, with the default label (`node`). */
let labelsOf: Map<string, Set<string>>;

before(async () => {
  srv = await startServer({}, undefined, { processMetrics: true });
  ({ names: exported, labels: labelsOf } = await exportedMetrics(srv));
});
after(() => srv.cleanup());

interface Dashboard {
  uid: string;
  title: string;
  panels: { id: number; title: string; gridPos: { x: number; y: number; w: number; h: number }; targets: { expr: string; legendFormat?: string }[] }[];
  templating: { list: { name: string; query: string; type: string }[] };
}
const dashboards = (): [string, Dashboard][] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Dashboard]);


it('every dashboard parses, has unique panel ids, and queries only exported metrics', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.deepEqual(files.sort(), ['loadlab.json', 'overview.json', 'process.json']);
  for (const f of files) {
    const d = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Dashboard;
    assert.ok(d.uid && d.title, f);
    assert.ok(d.panels.length >= 5, `${f} has panels`);
    assert.equal(new Set(d.panels.map((p) => p.id)).size, d.panels.length, `${f}: unique panel ids`);
    const exprs = [...d.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...d.templating.list.filter((v) => v.type !== 'datasource').map((v) => v.query)];
    for (const expr of exprs) {
      const names = metricsIn(expr);
      assert.ok(names.length > 0, `${f}: "${expr}" uses a scale-chat metric`);
      for (const n of names) assert.ok(exported.has(n), `${f}: ${n} is not exported (in "${expr}")`);
    }
  }
});

/** Every `datasource` reference in a JSON tree (panels, targets, variables, nested rows). */
function datasourceRefs(node: unknown, where: string, out: { where: string; ref: unknown }[] = []): { where: string; ref: unknown }[] {
  if (Array.isArray(node)) node.forEach((n, i) => datasourceRefs(n, `${where}[${i}]`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'datasource') out.push({ where: `${where}.${k}`, ref: v });
      else datasourceRefs(v, `${where}.${k}`, out);
    }
  }
  return out;
}

it('every panel, query and variable uses the datasource variable, never a fixed data source uid', () => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const d = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as {
      panels: { title: string; datasource?: unknown; targets: { datasource?: unknown }[] }[];
      templating: { list: { name: string; type: string; query: string; datasource?: unknown }[] };
    };
    const variable = d.templating.list.find((v) => v.type === 'datasource');
    assert.ok(variable, `${f}: a data source variable`);
    assert.equal(variable.query, 'prometheus', `${f}: it offers Prometheus data sources`);
    assert.equal(d.templating.list[0], variable, `${f}: first, so the variables after it can use it`);
    const uses = { type: 'prometheus', uid: '${' + variable.name + '}' };
    for (const p of d.panels) {
      assert.deepEqual(p.datasource, uses, `${f}: panel "${p.title}"`);
      for (const t of p.targets) assert.deepEqual(t.datasource, uses, `${f}: a query of "${p.title}"`);
    }
    const refs = datasourceRefs(d, f);
    assert.ok(refs.length > d.panels.length, `${f}: references found`);
    for (const { where, ref } of refs) assert.deepEqual(ref, uses, `${where} uses the variable`);
  }
});

/**
 * The labels a query names that its metrics do not carry: in a selector (`m{label=...}`), in `by (...)` /
 * `without (...)`, in `label_values(m, label)`, as label_replace's source, or in the legend (`{{label}}`).
 * label_replace's target label counts as carried, after it is made.
 */
function unknownLabels(expr: string, legend = ''): string[] {
  const bad: string[] = [];
  const names = metricsIn(expr);
  const carried = new Set(names.flatMap((n) => [...(labelsOf.get(n) ?? [])]));
  const check = (label: string, has: Set<string>, where: string) => {
    if (!has.has(label)) bad.push(`${label} (${where})`);
  };
  for (const m of expr.matchAll(/\b(scalechat_[a-z0-9_]+)\{([^}]*)\}/g)) {
    const has = labelsOf.get(m[1].replace(/_(bucket|count|sum)$/, '')) ?? new Set<string>();
    for (const l of m[2].matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) check(l[1], has, `selector of ${m[1]}`);
  }
  for (const m of expr.matchAll(/label_values\(\s*(scalechat_[a-z0-9_]+)[^,]*,\s*(\w+)\s*\)/g)) check(m[2], labelsOf.get(m[1]) ?? new Set(), 'label_values');
  for (const m of expr.matchAll(/label_replace\(.*?,\s*"(\w+)",\s*"[^"]*",\s*"(\w+)",\s*"[^"]*"\s*\)/g)) {
    check(m[2], carried, 'label_replace source');
    carried.add(m[1]);
  }
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) for (const l of m[1].split(',').map((x) => x.trim()).filter(Boolean)) check(l, carried, 'grouping');
  for (const m of legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) check(m[1], carried, 'legend');
  return bad;
}

it('every label a query selects, groups by or shows in its legend is one its metrics carry', () => {
  // The check itself: a label of another metric, or a typo, is caught.
  assert.deepEqual(unknownLabels('histogram_quantile(0.99, sum by (le, status) (rate(scalechat_api_request_seconds_bucket[1m])))'), ['status (grouping)']);
  assert.deepEqual(unknownLabels('sum by (outcome) (rate(scalechat_webhook_deliveries_total{result="failed"}[1m]))', '{{outcome}} {{code}}'), [
    'result (selector of scalechat_webhook_deliveries_total)',
    'code (legend)',
  ]);
  assert.deepEqual(unknownLabels('label_replace(rate(scalechat_api_requests_total[1m]), "class", "${1}xx", "code", "(.)..")'), ['code (label_replace source)']);
  assert.deepEqual(unknownLabels('sum by (route, class) (label_replace(rate(scalechat_api_requests_total[1m]), "class", "${1}xx", "status", "(.).."))', '{{route}} {{class}}'), []);
  for (const [f, d] of dashboards()) {
    for (const p of d.panels)
      for (const t of p.targets) assert.deepEqual(unknownLabels(t.expr, t.legendFormat), [], `${f}: panel "${p.title}": "${t.expr}"`);
    for (const v of d.templating.list.filter((x) => x.type !== 'datasource')) assert.deepEqual(unknownLabels(v.query), [], `${f}: variable ${v.name}`);
  }
});

it('panels do not overlap and fit the 24-column grid', () => {
  for (const [f, d] of dashboards()) {
    d.panels.forEach((a, i) => {
      assert.ok(a.gridPos.x >= 0 && a.gridPos.x + a.gridPos.w <= 24, `${f}: "${a.title}" fits`);
      for (const b of d.panels.slice(i + 1)) {
        const apart = a.gridPos.x + a.gridPos.w <= b.gridPos.x || b.gridPos.x + b.gridPos.w <= a.gridPos.x || a.gridPos.y + a.gridPos.h <= b.gridPos.y || b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        assert.ok(apart, `${f}: "${a.title}" and "${b.title}" overlap`);
      }
    });
  }
});

it('the overview has the HTTP API and webhook panels', () => {
  const d = dashboards().find(([f]) => f === 'overview.json')![1];
  const exprs = (title: string) => {
    const p = d.panels.find((x) => x.title === title);
    assert.ok(p, `panel "${title}"`);
    return p.targets.map((t) => t.expr).join('\n');
  };
  assert.match(exprs('API requests / s by route and status class'), /sum by \(route, class\).*scalechat_api_requests_total/);
  assert.match(exprs('API latency (request to response written)'), /histogram_quantile\(0\.5, .*scalechat_api_request_seconds_bucket[\s\S]*histogram_quantile\(0\.99, .*scalechat_api_request_seconds_bucket/);
  assert.match(exprs('Webhook deliveries / s by outcome'), /sum by \(outcome\) \(rate\(scalechat_webhook_deliveries_total/);
  assert.match(exprs('Webhook queue depth (pending, cluster-wide)'), /max\(scalechat_webhook_queue_depth/);
  assert.match(exprs('Webhook request latency p99'), /histogram_quantile\(0\.99, .*scalechat_webhook_request_seconds_bucket/);
});

it('promtool parses every query (dashboard variables replaced by values)', { skip: noPromtool }, () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'scale-chat-dashboards-'));
  try {
    const exprs = dashboards().flatMap(([, d]) => d.panels.flatMap((p) => p.targets.map((t) => t.expr)));
    // As Grafana sends them: $node is a regex of the chosen nodes; ${1} (label_replace) is no variable and stays.
    const rules = exprs.map((e, i) => `      - record: dashboard:q${i}\n        expr: ${JSON.stringify(e.replaceAll('$node', '.*'))}\n`).join('');
    const file = path.join(tmp, 'queries.yml');
    writeFileSync(file, `groups:\n  - name: dashboards\n    rules:\n${rules}`);
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${exprs.length} rules found`));
    writeFileSync(file, `groups:\n  - name: dashboards\n    rules:\n      - record: dashboard:bad\n        expr: ${JSON.stringify('sum by (outcome (rate(scalechat_webhook_deliveries_total[1m]))')}\n`);
    assert.notEqual(spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' }).status, 0, 'a broken query is refused');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
