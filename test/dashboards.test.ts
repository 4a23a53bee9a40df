/**
 * The Grafana dashboards in deploy/grafana are valid JSON, well-formed for provisioning, and every
 * metric their queries use is one a running server exports.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { startServer, type TestServer } from './helpers/server.js';

const dir = path.join(process.cwd(), 'deploy/grafana/dashboards');
let srv: TestServer;
let exported: Set<string>;

before(async () => {
  srv = await startServer({}, undefined, { processMetrics: true });
  const text = await (await fetch(srv.http + '/metrics')).text();
  exported = new Set([...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => m[1]));
});
after(() => srv.cleanup());

/** Metric names in a PromQL expression (histogram series suffixes folded to the family). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bscalechat_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''));
}

it('every dashboard parses, has unique panel ids, and queries only exported metrics', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.deepEqual(files.sort(), ['loadlab.json', 'overview.json', 'process.json']);
  for (const f of files) {
    const d = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as {
      uid: string;
      title: string;
      panels: { id: number; title: string; targets: { expr: string }[] }[];
      templating: { list: { query: string; type: string }[] };
    };
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
