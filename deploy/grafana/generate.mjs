#!/usr/bin/env node
// Generates the Grafana dashboards in ./dashboards from compact panel lists (run: node deploy/grafana/generate.mjs).
// The JSON files are committed; test/dashboards.test.ts checks they parse and reference only metrics we export.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Every panel, query and variable reads the data source chosen in the dashboard's `datasource` variable
// (a data source picker, default: the default Prometheus data source), never a fixed uid: the dashboards
// work in any Grafana, provisioned (deploy/grafana/provisioning) or imported by hand.
const DS = { type: 'prometheus', uid: '${datasource}' };
const DS_VARIABLE = { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', regex: '', current: {}, hide: 0, includeAll: false, multi: false, refresh: 1 };

function panel(id, title, targets, { x = 0, y = 0, w = 12, h = 8, unit = 'short', type = 'timeseries' } = {}) {
  return {
    id,
    type,
    title,
    datasource: DS,
    gridPos: { x, y, w, h },
    fieldConfig: { defaults: { unit }, overrides: [] },
    options: type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'] } } : { legend: { displayMode: 'list', placement: 'bottom' } },
    targets: targets.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), datasource: DS, expr, legendFormat })),
  };
}

function dashboard(uid, title, panels) {
  return {
    uid,
    title,
    tags: ['scale-chat'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '5s',
    time: { from: 'now-30m', to: 'now' },
    templating: {
      list: [
        DS_VARIABLE,
        {
          name: 'node',
          type: 'query',
          datasource: DS,
          query: 'label_values(scalechat_connections, node)',
          includeAll: true,
          multi: true,
          current: { text: 'All', value: '$__all' },
          refresh: 2,
        },
      ],
    },
    panels: panels.map((p, i) => ({ ...p, id: i + 1 })),
  };
}

const N = 'node=~"$node"';
const q = (p, expr) => `histogram_quantile(${p}, sum by (le) (rate(${expr}_bucket{${N}}[1m])))`;

const overview = dashboard('scalechat-overview', 'scale-chat: overview', [
  panel(0, 'Open connections', [['sum(scalechat_connections{' + N + '})', 'all nodes'], ['scalechat_connections{' + N + '}', '{{node}}']], { x: 0, y: 0 }),
  panel(0, 'Messages accepted / s', [['sum(rate(scalechat_messages_accepted_total{' + N + '}[1m]))', 'msgs/s']], { x: 12, y: 0 }),
  panel(0, 'Deliveries / s', [['sum(rate(scalechat_deliveries_total{' + N + '}[1m]))', 'deliveries/s'], ['sum(rate(scalechat_frames_sent_total{' + N + '}[1m]))', 'frames/s']], { x: 0, y: 8 }),
  panel(0, 'Fan-out latency (receipt to last local write)', [[q(0.5, 'scalechat_fanout_seconds'), 'p50'], [q(0.99, 'scalechat_fanout_seconds'), 'p99']], { x: 12, y: 8, unit: 's' }),
  panel(0, 'Ack latency (receipt to ack write)', [[q(0.5, 'scalechat_ack_seconds'), 'p50'], [q(0.99, 'scalechat_ack_seconds'), 'p99']], { x: 0, y: 16, unit: 's' }),
  panel(0, 'Errors / s by code', [['sum by (code) (rate(scalechat_errors_total{' + N + '}[1m]))', '{{code}}']], { x: 12, y: 16 }),
  panel(0, 'Handshakes / s by result', [['sum by (result) (rate(scalechat_handshakes_total{' + N + '}[1m]))', '{{result}}']], { x: 0, y: 24 }),
  panel(0, 'Protective closes / s', [
    ['sum(rate(scalechat_slow_consumer_closes_total{' + N + '}[1m]))', 'slow consumer (4500)'],
    ['sum(rate(scalechat_rate_limited_total{' + N + '}[1m]))', 'rate-limited frames'],
    ['sum(rate(scalechat_heartbeat_timeouts_total{' + N + '}[1m]))', 'heartbeat timeouts'],
  ], { x: 12, y: 24 }),
  panel(0, 'Events per frame (batching)', [[q(0.5, 'scalechat_frame_events'), 'p50'], [q(0.99, 'scalechat_frame_events'), 'p99']], { x: 0, y: 32 }),
  panel(0, 'Outgoing buffered bytes', [['scalechat_outgoing_buffered_bytes{' + N + '}', '{{node}}']], { x: 12, y: 32, unit: 'bytes' }),
  panel(0, 'Store operation p99 by op', [['histogram_quantile(0.99, sum by (le, op) (rate(scalechat_store_operation_seconds_bucket{' + N + '}[1m])))', '{{op}}']], { x: 0, y: 40, unit: 's' }),
  panel(0, 'Group commit: batch size p50 and commit time p99', [[q(0.5, 'scalechat_store_commit_batch_size'), 'batch p50'], [q(0.99, 'scalechat_store_commit_seconds'), 'commit p99 (s)']], { x: 12, y: 40 }),
  // HTTP API (/api/v1): requests carry `route` and `status` (the code, "201"), folded here into a class ("2xx");
  // the latency histogram has `route` only.
  panel(0, 'API requests / s by route and status class', [['sum by (route, class) (label_replace(rate(scalechat_api_requests_total{' + N + '}[1m]), "class", "${1}xx", "status", "([0-9])[0-9][0-9]"))', '{{route}} {{class}}']], { x: 0, y: 48, unit: 'reqps' }),
  panel(0, 'API latency (request to response written)', [[q(0.5, 'scalechat_api_request_seconds'), 'p50'], [q(0.99, 'scalechat_api_request_seconds'), 'p99']], { x: 12, y: 48, unit: 's' }),
  // Outgoing webhooks. The queue depth is the store's (cluster-wide), sampled by each node: max, not sum.
  panel(0, 'Webhook deliveries / s by outcome', [['sum by (outcome) (rate(scalechat_webhook_deliveries_total{' + N + '}[1m]))', '{{outcome}}']], { x: 0, y: 56, w: 8 }),
  panel(0, 'Webhook queue depth (pending, cluster-wide)', [['max(scalechat_webhook_queue_depth{' + N + '})', 'pending']], { x: 8, y: 56, w: 8 }),
  panel(0, 'Webhook request latency p99', [[q(0.99, 'scalechat_webhook_request_seconds'), 'p99']], { x: 16, y: 56, w: 8, unit: 's' }),
]);

const process_ = dashboard('scalechat-process', 'scale-chat: node process', [
  panel(0, 'CPU (cores)', [['rate(scalechat_process_cpu_seconds_total{' + N + '}[1m])', '{{node}}']], { x: 0, y: 0, unit: 'short' }),
  panel(0, 'Resident memory', [['scalechat_process_resident_memory_bytes{' + N + '}', '{{node}}']], { x: 12, y: 0, unit: 'bytes' }),
  panel(0, 'Heap used', [['scalechat_nodejs_heap_size_used_bytes{' + N + '}', '{{node}}']], { x: 0, y: 8, unit: 'bytes' }),
  panel(0, 'Event-loop lag p99', [['scalechat_nodejs_eventloop_lag_p99_seconds{' + N + '}', '{{node}}']], { x: 12, y: 8, unit: 's' }),
  panel(0, 'GC time / s by kind', [['sum by (node, kind) (rate(scalechat_nodejs_gc_duration_seconds_sum{' + N + '}[1m]))', '{{node}} {{kind}}']], { x: 0, y: 16, unit: 's' }),
  panel(0, 'Open file descriptors', [['scalechat_process_open_fds{' + N + '}', '{{node}}']], { x: 12, y: 16 }),
]);

// The load lab dashboard reads the server side only: the generator writes its own exact figures to
// summary.json/timeseries.csv (docs/loadtest.md); Prometheus sees what the servers did under that load.
const loadlab = dashboard('scalechat-loadlab', 'scale-chat: load lab (server side)', [
  panel(0, 'Connections (all nodes)', [['sum(scalechat_connections{' + N + '})', 'connections']], { x: 0, y: 0, w: 8, type: 'stat' }),
  panel(0, 'Deliveries / s (all nodes)', [['sum(rate(scalechat_deliveries_total{' + N + '}[30s]))', 'deliveries/s']], { x: 8, y: 0, w: 8, type: 'stat' }),
  panel(0, 'Fan-out p99', [[q(0.99, 'scalechat_fanout_seconds'), 'p99']], { x: 16, y: 0, w: 8, type: 'stat', unit: 's' }),
  panel(0, 'Messages in vs deliveries out', [['sum(rate(scalechat_messages_accepted_total{' + N + '}[30s]))', 'accepted/s'], ['sum(rate(scalechat_deliveries_total{' + N + '}[30s]))', 'deliveries/s']], { x: 0, y: 8 }),
  panel(0, 'Handshake rate and failures', [['sum by (result) (rate(scalechat_handshakes_total{' + N + '}[30s]))', '{{result}}']], { x: 12, y: 8 }),
  panel(0, 'Server CPU per node', [['rate(scalechat_process_cpu_seconds_total{' + N + '}[30s])', '{{node}}']], { x: 0, y: 16 }),
  panel(0, 'Event-loop lag p99 per node', [['scalechat_nodejs_eventloop_lag_p99_seconds{' + N + '}', '{{node}}']], { x: 12, y: 16, unit: 's' }),
]);

for (const [file, d] of [['overview.json', overview], ['process.json', process_], ['loadlab.json', loadlab]]) {
  writeFileSync(join(here, 'dashboards', file), JSON.stringify(d, null, 2) + '\n');
  console.log('wrote', join('deploy/grafana/dashboards', file));
}
