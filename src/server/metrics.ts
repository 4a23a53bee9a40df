/**
 * Prometheus metrics (prom-client). One registry per server instance so tests can run several in one process.
 */
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'scalechat_connections', help: 'Open WebSocket connections (authenticated or not)', registers: [this.registry] });
  readonly handshakes = new Counter({ name: 'scalechat_handshakes_total', help: 'Completed handshakes by result', labelNames: ['result'] as const, registers: [this.registry] });
  readonly messagesIn = new Counter({ name: 'scalechat_frames_received_total', help: 'Client frames received by type', labelNames: ['type'] as const, registers: [this.registry] });
  readonly messagesAccepted = new Counter({ name: 'scalechat_messages_accepted_total', help: 'Chat messages stored and acknowledged (duplicates excluded)', registers: [this.registry] });
  readonly deliveries = new Counter({ name: 'scalechat_deliveries_total', help: 'Events queued to a connection (one per event per recipient)', registers: [this.registry] });
  readonly framesOut = new Counter({ name: 'scalechat_frames_sent_total', help: 'WebSocket frames written', registers: [this.registry] });
  readonly bytesOut = new Counter({ name: 'scalechat_sent_bytes_total', help: 'Payload bytes written', registers: [this.registry] });
  readonly errors = new Counter({ name: 'scalechat_errors_total', help: 'Error frames and error closes by code', labelNames: ['code'] as const, registers: [this.registry] });
  readonly closes = new Counter({ name: 'scalechat_server_closes_total', help: 'Connections closed by the server, by close code', labelNames: ['code'] as const, registers: [this.registry] });
  /** The HTTP API (src/server/api): requests by route (the route table's ids, `unknown` for none) and status. */
  readonly apiRequests = new Counter({ name: 'scalechat_api_requests_total', help: 'HTTP API requests (/api/v1) by route and status', labelNames: ['route', 'status'] as const, registers: [this.registry] });
  readonly apiSeconds = new Histogram({
    name: 'scalechat_api_request_seconds',
    help: 'HTTP API request time, from the request to the response written (a publish includes its group commit)',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'scalechat_store_commit_seconds',
    help: 'Time of one group commit of messages to the store',
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly commitBatch = new Histogram({
    name: 'scalechat_store_commit_batch_size',
    help: 'Messages per group commit',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });

  readonly eventsPerFrame = new Histogram({
    name: 'scalechat_frame_events',
    help: 'Events per written frame (batching: 1 = unbatched)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: [this.registry],
  });
  readonly fanoutSeconds = new Histogram({
    name: 'scalechat_fanout_seconds',
    help: 'From receipt of a send to the write of its last local delivery (commit included)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly ackSeconds = new Histogram({
    name: 'scalechat_ack_seconds',
    help: 'From receipt of a send to the write of its ack',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly storeSeconds = new Histogram({
    name: 'scalechat_store_operation_seconds',
    help: 'Store operation latency by operation and result',
    labelNames: ['op', 'result'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly busSeconds = new Histogram({
    name: 'scalechat_bus_operation_seconds',
    help: 'Bus operation latency (the synchronous part: local delivery and hand-off to the network)',
    labelNames: ['op', 'result'] as const,
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1],
    registers: [this.registry],
  });
  readonly slowConsumers = new Counter({ name: 'scalechat_slow_consumer_closes_total', help: 'Connections closed because their unsent backlog passed maxOutboxBytes', registers: [this.registry] });
  readonly readPauses = new Counter({ name: 'scalechat_read_pauses_total', help: 'Times a connection stopped being read because more than half of maxOutboxBytes was unsent (backpressure)', registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'scalechat_rate_limited_total', help: 'Frames refused by the per-connection rate limit', registers: [this.registry] });
  readonly isolations = new Counter({ name: 'scalechat_isolations_total', help: 'Times this node found itself cut off from both its store and its bus and sent its clients elsewhere (1013)', registers: [this.registry] });
  readonly webhookDeliveries = new Counter({ name: 'scalechat_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome (delivered, retry, failed)', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly webhookQueue = new Gauge({ name: 'scalechat_webhook_queue_depth', help: 'Pending webhook deliveries of enabled endpoints (cluster-wide: the store), sampled by each node', registers: [this.registry] });
  readonly webhookSeconds = new Histogram({ name: 'scalechat_webhook_request_seconds', help: 'Duration of webhook delivery requests (answered ones)', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  readonly heartbeatTimeouts = new Counter({ name: 'scalechat_heartbeat_timeouts_total', help: 'Connections terminated for missing heartbeats', registers: [this.registry] });
  /** Set by the app: bytes handed to sockets but not yet sent, over all connections. */
  bufferedBytes: () => number = () => 0;
  readonly outboxBytes: Gauge = (() => {
    const m = this;
    return new Gauge({
      name: 'scalechat_outgoing_buffered_bytes',
      help: 'Bytes written to sockets but not yet sent, summed over connections (read at scrape)',
      registers: [this.registry],
      collect() {
        this.set(m.bufferedBytes());
      },
    });
  })();

  /** Set by the app: what /readyz answers (listening, not draining, not isolated). */
  readyState: () => boolean = () => false;
  readonly ready: Gauge = (() => {
    const m = this;
    return new Gauge({
      name: 'scalechat_ready',
      help: 'What /readyz answers: 1 ready, 0 not (starting, draining or isolated from store and bus) (read at scrape)',
      registers: [this.registry],
      collect() {
        this.set(m.readyState() ? 1 : 0);
      },
    });
  })();

  constructor(defaultMetrics = true) {
    if (!defaultMetrics) return;
    collectDefaultMetrics({ register: this.registry, prefix: 'scalechat_' });
    // These walk every handle, resource or file descriptor on the event loop at each scrape: with 3,000
    // connections they took 18 of a scrape's 21 ms here, a stall in every connection's latency once a
    // second under the load lab's scrapes. Connections are counted by scalechat_connections instead;
    // open descriptors (the file limit matters) are counted off the event loop below.
    for (const name of ['nodejs_active_handles', 'nodejs_active_handles_total', 'nodejs_active_resources', 'nodejs_active_resources_total', 'process_open_fds']) {
      this.registry.removeSingleMetric(`scalechat_${name}`);
    }
    if (existsSync('/proc/self/fd')) openFdsGauge(this.registry);
  }

  /** Every series carries the node id (several nodes feed one Prometheus). */
  setNode(node: string): void {
    this.registry.setDefaultLabels({ node });
  }
}

/**
 * `scalechat_process_open_fds` (the name of prom-client's, kept for the dashboards), read with an
 * asynchronous readdir of /proc/self/fd on the libuv pool, at most every 5 s: a scrape reports the last
 * count and never walks the descriptors on the event loop.
 */
function openFdsGauge(registry: Registry): void {
  let last = 0;
  const gauge: Gauge = new Gauge({
    name: 'scalechat_process_open_fds',
    help: 'Number of open file descriptors (counted at most every 5 s, off the event loop)',
    registers: [registry],
    collect: () => refresh(),
  });
  const refresh = (): void => {
    const now = Date.now();
    if (now - last < 5000) return;
    last = now;
    readdir('/proc/self/fd').then(
      (fds) => gauge.set(fds.length),
      () => undefined,
    );
  };
  refresh();
}
