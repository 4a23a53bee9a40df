/**
 * One connection-generator process (started by ./conn-pool.ts over an IPC channel, pinned by it or not):
 * raw `ws` clients (no compression, no UTF-8 validation, nothing decoded past the handshake of
 * ./conn-dialect.ts), each bound to the next source address of its list (127.0.0.2.. : ~28k ports each).
 *
 * Commands (IPC messages from the parent):
 *  - `hold`: open `count` connections, at most `concurrency` handshaking at once, keep every one that
 *    completed its handshake open (answering heartbeats), report `progress` every 500 ms and `held` once
 *    every connection is ready or failed (or `timeoutMs` passed: the rest count as failed); progress
 *    reports go on after it, so connections dropped while held are seen.
 *  - `churn`: closed loop: `concurrency` workers each connect, wait for the handshake to complete,
 *    `terminate()` the socket (or destroy it: `client: 'raw'`, ./conn-raw.ts) and start over, for `warmupMs + durationMs`; handshakes completed inside
 *    the window after the warm-up are counted with their time from `new WebSocket` (TCP connect) to
 *    ready, and this process's CPU over that window. Reports `churned`.
 *  - `close`: terminate every socket and exit.
 * Exits when the parent goes away (IPC disconnect) and after --max-lifetime-s whatever happens.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { dialUrl, handshakeFor, type HandshakeSpec } from './conn-dialect.js';
import { dialRaw, rawTarget } from './conn-raw.js';

export interface ConnJob {
  url: string;
  spec: Omit<HandshakeSpec, 'name'>;
  /** Guest names are `${namePrefix}${n}` (n in decimal: base 36 would have look-alikes, 0/o and 1/l, that scale-chat folds into one name key). */
  namePrefix: string;
  sources: string[];
  concurrency: number;
  /** Longest one handshake may take before it counts as failed (`timeout`). */
  handshakeTimeoutMs: number;
  /** `churn` only: `raw` dials with ./conn-raw.ts (a plain TCP socket) instead of `ws`. */
  client?: 'ws' | 'raw';
}
export type ChildCommand =
  | ({ cmd: 'hold'; count: number; timeoutMs: number } & ConnJob)
  | ({ cmd: 'churn'; warmupMs: number; durationMs: number } & ConnJob)
  | { cmd: 'close' };

export interface Tally {
  ready: number;
  failed: number;
  /** Ready connections closed afterwards (by the server or the network). */
  dropped: number;
  inFlight: number;
  /** Failure codes (server error codes, socket errors, `timeout`, `closed_<code>`) and their counts. */
  codes: Record<string, number>;
}
export type ChildReport =
  | ({ kind: 'progress' } & Tally)
  | ({ kind: 'held'; spanMs: number } & Tally)
  | ({ kind: 'churned'; completed: number; latenciesMs: number[]; cpuS: number; windowMs: number } & Tally)
  | { kind: 'fatal'; message: string };

const send = (r: ChildReport): void => {
  process.send?.(r);
};

const open = new Set<WebSocket>();
let serial = 0;
let sourceAt = 0;

const nextSpec = (job: ConnJob): HandshakeSpec => ({ ...job.spec, name: `${job.namePrefix}${serial++}` });
const nextSource = (job: ConnJob): string | undefined => (job.sources.length ? job.sources[sourceAt++ % job.sources.length] : undefined);

/** Opens one connection; `done(ok, code)` once its handshake completes or fails; `lost` if a ready one closes. */
function dial(job: ConnJob, done: (ok: boolean, code: string) => void, lost: () => void): WebSocket {
  const hs = handshakeFor(nextSpec(job));
  const opts: WebSocket.ClientOptions = { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: job.handshakeTimeoutMs, maxPayload: 256 * 1024 * 1024 };
  opts.localAddress = nextSource(job);
  const ws = new WebSocket(dialUrl(job.spec.target, job.url), opts);
  open.add(ws);
  let state: 'pending' | 'ready' | 'over' = 'pending';
  let lastError = '';
  const finish = (ok: boolean, code: string) => {
    if (state !== 'pending') return;
    clearTimeout(timer);
    state = ok ? 'ready' : 'over';
    if (!ok) ws.terminate();
    done(ok, code);
  };
  const timer = setTimeout(() => finish(false, 'timeout'), job.handshakeTimeoutMs);
  const write = (t: string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(t);
  };
  ws.on('open', () => {
    for (const t of hs.open()) write(t);
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    // Past the handshake only one-byte frames matter (Socket.IO's ping `2`): presence diffs are not even decoded.
    if (isBinary || (state !== 'pending' && data.length !== 1)) return;
    const step = hs.frame(data.toString(), write);
    if (step.kind === 'ready') finish(true, '');
    else if (step.kind === 'failed') finish(false, step.code);
  });
  ws.on('error', (err) => {
    lastError = (err as NodeJS.ErrnoException).code ?? err.message.slice(0, 60);
  });
  ws.on('close', (code) => {
    open.delete(ws);
    if (state === 'pending') finish(false, lastError || `closed_${code}`);
    else if (state === 'ready') {
      state = 'over';
      lost();
    }
  });
  return ws;
}

function newTally(): Tally {
  return { ready: 0, failed: 0, dropped: 0, inFlight: 0, codes: {} };
}

function hold(job: Extract<ChildCommand, { cmd: 'hold' }>): void {
  const t = newTally();
  const t0 = performance.now();
  let started = 0;
  let reported = false;
  const progress = setInterval(() => send({ kind: 'progress', ...t }), 500);
  const report = () => {
    if (reported) return;
    reported = true; // progress reports go on: a held connection that drops later shows in them
    send({ kind: 'held', spanMs: performance.now() - t0, ...t });
  };
  const deadline = setTimeout(() => {
    t.failed += t.inFlight + (job.count - started);
    t.codes.hold_timeout = t.inFlight + (job.count - started);
    started = job.count;
    report();
  }, job.timeoutMs);
  const next = (): void => {
    while (!reported && started < job.count && t.inFlight < job.concurrency) {
      started++;
      t.inFlight++;
      dial(
        job,
        (ok, code) => {
          t.inFlight--;
          if (ok) t.ready++;
          else {
            t.failed++;
            t.codes[code] = (t.codes[code] ?? 0) + 1;
          }
          if (started >= job.count && t.inFlight === 0) {
            clearTimeout(deadline);
            report();
          } else next();
        },
        () => t.dropped++,
      );
    }
  };
  next();
}

function churn(job: Extract<ChildCommand, { cmd: 'churn' }>): void {
  const t = newTally();
  const latencies: number[] = [];
  const t0 = performance.now();
  const windowStart = t0 + job.warmupMs;
  const end = windowStart + job.durationMs;
  let cpu0: NodeJS.CpuUsage | null = null;
  let completed = 0;
  let workers = job.concurrency;
  const raw = job.client === 'raw' ? rawTarget(dialUrl(job.spec.target, job.url)) : null;
  const startWindow = setTimeout(() => (cpu0 = process.cpuUsage()), job.warmupMs);
  const worker = (): void => {
    if (performance.now() >= end) {
      if (--workers === 0) finish();
      return;
    }
    const started = performance.now();
    t.inFlight++;
    const settled = (ok: boolean, code: string) => {
      t.inFlight--;
      const now = performance.now();
      if (ok) {
        t.ready++;
        if (started >= windowStart && now <= end) {
          completed++;
          latencies.push(Math.round((now - started) * 100) / 100);
        }
        setImmediate(worker);
      } else {
        t.failed++;
        t.codes[code] = (t.codes[code] ?? 0) + 1;
        setTimeout(worker, 20); // a refusal is fast: do not spin on it
      }
    };
    if (raw) {
      dialRaw(raw, handshakeFor(nextSpec(job)), nextSource(job), job.handshakeTimeoutMs, settled);
      return;
    }
    const ws = dial(
      job,
      (ok, code) => {
        if (ok) ws.terminate();
        settled(ok, code);
      },
      () => {},
    );
  };
  const finish = () => {
    clearTimeout(startWindow);
    const cpu = process.cpuUsage(cpu0 ?? undefined);
    send({ kind: 'churned', completed, latenciesMs: latencies, cpuS: cpu0 ? (cpu.user + cpu.system) / 1e6 : 0, windowMs: job.durationMs, ...t });
  };
  for (let i = 0; i < job.concurrency; i++) worker();
}

function closeAll(): void {
  for (const ws of open) ws.terminate();
  setTimeout(() => process.exit(0), 200).unref();
}

process.on('message', (m: ChildCommand) => {
  try {
    if (m.cmd === 'hold') hold(m);
    else if (m.cmd === 'churn') churn(m);
    else closeAll();
  } catch (err) {
    send({ kind: 'fatal', message: (err as Error).message });
  }
});
process.on('disconnect', () => process.exit(0));
send({ kind: 'progress', ...newTally() }); // started: the parent's CPU accounting begins after this
const lifeIdx = process.argv.indexOf('--max-lifetime-s');
const lifeS = lifeIdx > 0 ? Number(process.argv[lifeIdx + 1]) : 1800;
setTimeout(() => process.exit(3), (Number.isFinite(lifeS) && lifeS > 0 ? lifeS : 1800) * 1000).unref();
