/**
 * `/metrics` under `serve --workers N`. The workers share one port, so a scrape lands on whichever worker
 * accepts it; answering with that worker's registry alone would show Prometheus a different process on
 * every scrape. Instead the answering worker asks the primary over IPC, the primary collects every
 * worker's registry with prom-client's AggregatorRegistry, and the worker answers with all of them. Every
 * series carries its worker's `node` label, so nothing is summed away: one scrape shows each worker.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQ = 'scale-chat:cluster-metrics';
const RES = 'scale-chat:cluster-metrics-res';

interface Req {
  type: typeof REQ;
  id: number;
}
interface Res {
  type: typeof RES;
  id: number;
  body?: string;
  contentType?: string;
  error?: string;
}

/** Primary: answers a worker's request with the metrics of every worker. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, msg: Req) => {
    if (msg?.type !== REQ) return;
    const reply = (r: Omit<Res, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: RES, id: msg.id, ...r });
    };
    aggregator.clusterMetrics().then(
      (body) => reply({ body, contentType: aggregator.contentType }),
      (err: Error) => reply({ error: err.message }),
    );
  });
}

export interface MetricsText {
  contentType: string;
  body: string;
}

/**
 * Worker: offers `registry` to the primary's collection, and returns the `/metrics` source: the text of
 * all workers, or a rejection (the route answers 503) when the primary does not answer in `timeoutMs`.
 */
export function clusterMetricsSource(registry: Registry, timeoutMs = 6000): () => Promise<MetricsText> {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs this worker's answer to the primary's collection requests
  const pending = new Map<number, { resolve: (t: MetricsText) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  let seq = 0;
  process.on('message', (msg: Res) => {
    if (msg?.type !== RES) return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error !== undefined || msg.body === undefined) p.reject(new Error(`metrics of the workers: ${msg.error ?? 'no body'}`));
    else p.resolve({ contentType: msg.contentType ?? registry.contentType, body: msg.body });
  });
  return () =>
    new Promise<MetricsText>((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('metrics of the workers: the primary did not answer'));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      process.send!({ type: REQ, id } satisfies Req);
    });
}
