/**
 * `/metrics` under `serve --workers N`. The workers share one port, so a scrape lands on whichever worker
 * accepts it; answering with that worker's registry alone would show Prometheus a different process on
 * every scrape. Instead the answering worker asks the primary over IPC; the primary asks every worker
 * that is listening for its registry (`getMetricsAsJSON`), merges the answers with prom-client's
 * `AggregatorRegistry.aggregate`, and the worker serves the result. Every series carries its worker's
 * `node` label, so nothing is summed away: one scrape shows each worker.
 *
 * Only listening workers are asked (one still starting, or just restarted, has nothing to say yet), and
 * the primary waits at most COLLECT_MS for them: a hung worker is left out rather than failing the
 * scrape, and `scalechat_workers_listening` / `scalechat_workers_reporting` in the same answer show it.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Gauge, type Registry } from 'prom-client';

const SCRAPE = 'scale-chat:metrics-scrape'; // worker -> primary: a scrape arrived
const SCRAPED = 'scale-chat:metrics-scraped'; // primary -> worker: the text of all workers
const COLLECT = 'scale-chat:metrics-collect'; // primary -> worker: send your registry
const PART = 'scale-chat:metrics-part'; // worker -> primary: its registry as JSON

/** How long the primary waits for the workers' registries. */
const COLLECT_MS = 2000;
/** How long a worker waits for the primary (longer than COLLECT_MS). */
const SCRAPE_MS = 5000;

type Msg =
  | { type: typeof SCRAPE; id: number }
  | { type: typeof SCRAPED; id: number; body?: string; contentType?: string; error?: string }
  | { type: typeof COLLECT; id: number }
  | { type: typeof PART; id: number; metrics?: object[]; error?: string };

/** Primary: answers a worker's scrape with the metrics of every listening worker. */
export function serveClusterMetrics(): void {
  const listening = new Set<Worker>();
  cluster.on('listening', (w) => listening.add(w));
  cluster.on('exit', (w) => listening.delete(w));
  let seq = 0;
  const collections = new Map<number, (metrics: object[] | undefined) => void>();

  const collect = (): Promise<string> => {
    const id = ++seq;
    const asked = [...listening].filter((w) => w.isConnected());
    const parts: object[][] = [];
    return new Promise<void>((resolve) => {
      let pending = asked.length;
      const timer = setTimeout(resolve, COLLECT_MS);
      collections.set(id, (metrics) => {
        if (metrics) parts.push(metrics);
        if (--pending === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      for (const w of asked) w.send({ type: COLLECT, id } satisfies Msg);
      if (pending === 0) {
        clearTimeout(timer);
        resolve();
      }
    }).then(async () => {
      collections.delete(id);
      const registry = AggregatorRegistry.aggregate(parts);
      const help = (what: string) => `worker processes of this serve --workers node ${what}`;
      new Gauge({ name: 'scalechat_workers_listening', help: help('that are listening'), registers: [registry] }).set(asked.length);
      new Gauge({ name: 'scalechat_workers_reporting', help: help('whose metrics are in this answer'), registers: [registry] }).set(parts.length);
      return registry.metrics();
    });
  };

  cluster.on('message', (worker: Worker, msg: Msg) => {
    if (msg?.type === PART) collections.get(msg.id)?.(msg.metrics);
    else if (msg?.type === SCRAPE) {
      const reply = (r: Omit<Extract<Msg, { type: typeof SCRAPED }>, 'type' | 'id'>) => {
        if (worker.isConnected()) worker.send({ type: SCRAPED, id: msg.id, ...r } satisfies Msg);
      };
      collect().then(
        (body) => reply({ body, contentType: AggregatorRegistry.PROMETHEUS_CONTENT_TYPE }),
        (err: Error) => reply({ error: err.message }),
      );
    }
  });
}

export interface MetricsText {
  contentType: string;
  body: string;
}

/**
 * Worker: answers the primary's collection with `registry`, and returns the `/metrics` source: the text of
 * all workers, or a rejection (the route answers 503) when the primary does not answer in time.
 */
export function clusterMetricsSource(registry: Registry): () => Promise<MetricsText> {
  const waiting = new Map<number, { resolve: (t: MetricsText) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  let seq = 0;
  process.on('message', (msg: Msg) => {
    if (msg?.type === COLLECT) {
      registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: PART, id: msg.id, metrics } satisfies Msg),
        (err: Error) => process.send?.({ type: PART, id: msg.id, error: err.message } satisfies Msg),
      );
    } else if (msg?.type === SCRAPED) {
      const w = waiting.get(msg.id);
      if (!w) return;
      waiting.delete(msg.id);
      clearTimeout(w.timer);
      if (msg.body === undefined) w.reject(new Error(`metrics of the workers: ${msg.error ?? 'no answer'}`));
      else w.resolve({ contentType: msg.contentType ?? registry.contentType, body: msg.body });
    }
  });
  return () =>
    new Promise<MetricsText>((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('metrics of the workers: the primary did not answer'));
      }, SCRAPE_MS);
      waiting.set(id, { resolve, reject, timer });
      process.send!({ type: SCRAPE, id } satisfies Msg);
    });
}
