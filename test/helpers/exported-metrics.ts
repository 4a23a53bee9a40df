/**
 * What a running server exports on /metrics, for the tests of what reads it (the Grafana dashboards, the
 * Prometheus alert rules): the metric family names, and each family's label names.
 */
import type { TestServer } from './server.js';

export interface Exported {
  names: Set<string>;
  /** Label names of each family of the server's registry, with the default label (`node`) and `le` of histograms. */
  labels: Map<string, Set<string>>;
}

export async function exportedMetrics(srv: TestServer): Promise<Exported> {
  const text = await (await fetch(srv.http + '/metrics')).text();
  const names = new Set([...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => m[1]));
  const families = srv.app.metrics.registry.getMetricsAsArray() as unknown as { name: string; type: string; labelNames?: readonly string[] }[];
  const labels = new Map(families.map((m) => [m.name, new Set(['node', ...(m.labelNames ?? []), ...(m.type === 'histogram' ? ['le'] : [])])]));
  return { names, labels };
}

/** scale-chat metric names in a PromQL expression (histogram series suffixes folded to the family). */
export function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bscalechat_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''));
}
