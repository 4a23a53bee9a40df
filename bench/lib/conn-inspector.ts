/**
 * A minimal client of a server's V8 inspector (the server started with `--inspect=127.0.0.1:0`; its
 * stderr names the debugger URL), for the memory benchmark: force a full GC, read
 * `process.memoryUsage()` inside the server, and take a heap snapshot summarized by object kind (node
 * type and constructor/function name: count and shallow bytes), so two summaries subtract into "what
 * each connection holds". Every request times out; the snapshot is refused past MAX_SNAPSHOT_CHARS.
 */
import WebSocket from 'ws';
import { sleep } from './lab.js';

export const INSPECT_FLAG = '--inspect=127.0.0.1:0';
/** Largest snapshot JSON read (characters); a bigger one is reported as too large, not parsed. */
const MAX_SNAPSHOT_CHARS = 600 * 2 ** 20;

export interface ProcessMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Object kind -> count and shallow bytes. */
export type HeapSummary = Map<string, { count: number; bytes: number }>;

export interface HeapRow {
  kind: string;
  countPerConn: number;
  bytesPerConn: number;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class Inspector {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private chunks: string[] | null = null;
  private chunkChars = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.onMessage(data.toString()));
    ws.on('close', () => {
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error('inspector connection closed'));
      }
      this.pending.clear();
    });
  }

  /** Connects to the debugger URL printed on a server's stderr (waits up to `waitMs` for the line). */
  static async attach(stderr: readonly string[], waitMs = 5000): Promise<Inspector> {
    const until = Date.now() + waitMs;
    let url: string | undefined;
    while (!(url = stderr.map((l) => /Debugger listening on (ws:\/\/\S+)/.exec(l)?.[1]).find(Boolean)) && Date.now() < until) await sleep(50);
    if (!url) throw new Error(`no "Debugger listening" line on the server's stderr (was it started with ${INSPECT_FLAG}?)`);
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1024 * 2 ** 20 });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`inspector ${url}: no connection within 5 s`)), 5000);
      ws.once('open', () => (clearTimeout(t), resolve()));
      ws.once('error', (e) => (clearTimeout(t), reject(new Error(`inspector ${url}: ${e.message}`))));
    });
    return new Inspector(ws);
  }

  private onMessage(text: string): void {
    const m = JSON.parse(text) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: { chunk?: string } };
    if (m.method === 'HeapProfiler.addHeapSnapshotChunk' && this.chunks && m.params?.chunk) {
      this.chunkChars += m.params.chunk.length;
      if (this.chunkChars <= MAX_SNAPSHOT_CHARS) this.chunks.push(m.params.chunk);
      return;
    }
    if (m.id === undefined) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.error) p.reject(new Error(m.error.message));
    else p.resolve(m.result);
  }

  call<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`inspector ${method}: no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Full garbage collections (twice: weak references and finalizers the first one freed). */
  async gc(): Promise<void> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
  }

  /** `process.memoryUsage()` inside the server. */
  async memory(): Promise<ProcessMemory> {
    const r = await this.call<{ result: { value?: ProcessMemory }; exceptionDetails?: { text: string } }>('Runtime.evaluate', { expression: 'process.memoryUsage()', returnByValue: true });
    if (!r.result.value) throw new Error(`inspector: process.memoryUsage() failed: ${r.exceptionDetails?.text ?? 'no value'}`);
    return r.result.value;
  }

  /** A heap snapshot (it runs a full GC first), summarized by object kind. */
  async heapSummary(timeoutMs = 300_000): Promise<HeapSummary> {
    this.chunks = [];
    this.chunkChars = 0;
    try {
      await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, timeoutMs);
      if (this.chunkChars > MAX_SNAPSHOT_CHARS) throw new Error(`heap snapshot of ${Math.round(this.chunkChars / 2 ** 20)} MiB: over the ${MAX_SNAPSHOT_CHARS / 2 ** 20} MiB read; use fewer connections`);
      return summarize(this.chunks.join(''));
    } finally {
      this.chunks = null;
    }
  }

  close(): void {
    this.ws.close();
  }
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Object kind of a snapshot node: objects by constructor, closures by function, the rest by type. */
function kindOf(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
      return name.length > 60 ? name.slice(0, 60) + '…' : name;
    case 'closure':
      return `closure ${name || '(anonymous)'}`;
    case 'array':
    case 'hidden':
    case 'object shape':
      return `(${type}) ${name.length > 50 ? name.slice(0, 50) + '…' : name}`;
    default:
      return `(${type})`; // string, concatenated string, sliced string, code, number, symbol, bigint, regexp
  }
}

/**
 * Summarizes a heap snapshot by object kind. Plain objects (`Object`) are told apart by their first
 * property names (`Object {uid,conns}`), so object literals of different shapes show as what they are.
 */
export function summarize(json: string): HeapSummary {
  const s = JSON.parse(json) as Snapshot;
  const m = s.snapshot.meta;
  const f = m.node_fields;
  const width = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const iEdges = f.indexOf('edge_count');
  const ew = m.edge_fields.length;
  const eType = m.edge_fields.indexOf('type');
  const eName = m.edge_fields.indexOf('name_or_index');
  const propertyEdge = m.edge_types[0].indexOf('property');
  const types = m.node_types[0];
  const out: HeapSummary = new Map();
  let edge = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const edges = s.nodes[i + iEdges];
    let kind = kindOf(types[s.nodes[i + iType]] ?? 'unknown', s.strings[s.nodes[i + iName]] ?? '');
    if (kind === 'Object') {
      const props: string[] = [];
      for (let e = edge; e < edge + edges * ew && props.length < 5; e += ew) {
        if (s.edges[e + eType] !== propertyEdge) continue;
        const p = s.strings[s.edges[e + eName]];
        if (p !== '__proto__') props.push(p);
      }
      kind = `Object {${props.join(',')}}`;
    }
    edge += edges * ew;
    const entry = out.get(kind);
    if (entry) {
      entry.count++;
      entry.bytes += s.nodes[i + iSize];
    } else out.set(kind, { count: 1, bytes: s.nodes[i + iSize] });
  }
  return out;
}

/** What `after` holds beyond `before`, per connection (`n`), biggest first: the top `limit` kinds. */
export function perConnection(before: HeapSummary, after: HeapSummary, n: number, limit = 25): HeapRow[] {
  const rows: HeapRow[] = [];
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { count: 0, bytes: 0 };
    rows.push({ kind, countPerConn: (a.count - b.count) / n, bytesPerConn: (a.bytes - b.bytes) / n });
  }
  return rows.sort((x, y) => y.bytesPerConn - x.bytesPerConn).slice(0, limit);
}
