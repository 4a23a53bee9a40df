/**
 * Fan-out load generator (one process; run pinned to its own core by bench/fanout.ts).
 *
 * What it does, for one server at `--url`:
 *  1. Opens `--clients` N WebSocket clients at a bounded rate (`--connect-rate`/s), each says
 *     `hello` as guest `b<i>` with `presence:false` and waits for `welcome`. Every user is in `general`.
 *  2. Once all are welcomed (bounded wait), every client sends `--rate` R msgs/s to `general` for
 *     `--duration` D s: an open-loop schedule, client i's first send at i/N of the interval, then one
 *     every 1/R s with +-10% jitter; exactly R*D sends per client (bounded in count, and in time:
 *     sending stops at D*1.25+2 s whatever happened).
 *  3. Waits for in-flight deliveries: until every acked message reached every client, or no new
 *     delivery for 3 s, or `--drain-wait` s passed.
 *  4. Prints one `RESULT {json}` line on stdout and exits (a hard timer exits anyway).
 *
 * Counting without parsing (the generator must not be the bottleneck: N=2000 at 1 msg/s is 4M
 * deliveries/s): frames are Buffers (UTF-8 validation off) scanned with Buffer#indexOf (memchr) for
 * `{`, each hit checked for `{"type":"`. A JSON string cannot contain an unescaped `"`, so every
 * match is the start of a real event object; the bytes after it tell the type (`msg`, `ack`,
 * `batch`, `error`, `ping`, ...). After a msg's seq the scan skips the shortest possible rest of a
 * msg event (MSG_MIN_REST). Nothing is JSON.parse'd after the handshake. About 100 ns per event:
 * one generator core handles ~3.5M events/s when the server batches, far fewer (~120k/s) when every
 * event comes in its own frame (the naive peer), where per-read/per-frame costs dominate.
 *
 * Exact loss/duplicate accounting with the room seq: the server gives each accepted message one
 * `seq` in `general` and echoes it to everyone, sender included. Each client keeps a bitmap of the
 * seqs it received (a second hit on a set bit is a duplicate); acks (`{"type":"ack",...,"seq":S}`)
 * fill the bitmap of acknowledged seqs. At the end, per client:
 *   delivered = |acked AND received|, missing = acked - delivered,
 * split into `gaps` (missing seqs below the highest seq that client received: the server delivers
 * in seq order per connection, so these are really lost) and `tail` (missing seqs above it: not
 * delivered by the deadline; lost for closed clients, late for open ones). Received seqs that were
 * never acked (`unacked`) are reported separately. No ids are stored: memory is N * maxSeq/8 bytes.
 *
 * Latency: the text of every message is `<sendTimeMs>:<senderIndex>:<padding>` with sendTimeMs =
 * performance.timeOrigin + performance.now() (same clock on both ends: sender and receiver are this
 * process). On `--probes` clients spread evenly over the N (all of them when N <= probes) the
 * receiver reads that number for every msg it gets (the other clients only count) and records
 * receive time - send time in microseconds in an HDR histogram. Ack latency is measured for every
 * send. Receive time is taken once per frame, when `ws` hands the frame over.
 *
 * Steady window: from sendStart + max(1/R, min(2 s, D/5)) (every client has started) to sendStart +
 * (R*D - 1)/R (no client has finished). Deliveries/s (by receipt time), generator CPU
 * (process.cpuUsage) and server CPU (/proc/<pid>/stat utime+stime, all threads) are measured over
 * it, and so are both cores' busy shares from /proc/stat (softirq and other processes included).
 * Generator CPU >= 90% of its core (or generator CPU + that core's softirq >= 95%) means the
 * generator, not (only) the server, is the bottleneck; the runner says so loudly.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import hdr from 'hdr-histogram-js';
import { benchArgs } from './cli-args.js';

// ---------- options ----------
const flags = benchArgs(import.meta.url, ['url', 'clients', 'rate', 'duration', 'connect-rate', 'drain-wait', 'server-pid', 'text-bytes', 'probes', 'label', 'source-addrs', 'server-core', 'gen-core']);
function arg(name: Parameters<typeof flags.str>[0], def: string): string {
  return flags.str(name) ?? def;
}
const url = arg('url', 'ws://127.0.0.1:8080/ws');
const N = Number(arg('clients', '100'));
const R = Number(arg('rate', '1'));
const D = Number(arg('duration', '10'));
const connectRate = Number(arg('connect-rate', '500'));
const drainWaitS = Number(arg('drain-wait', '10'));
const serverPid = Number(arg('server-pid', '0'));
const textBytes = Number(arg('text-bytes', '32'));
const probesWanted = Number(arg('probes', '64'));
const label = arg('label', 'gen');
const sources = Number(arg('source-addrs', '1'));
const serverCore = Number(arg('server-core', '0'));
const genCore = Number(arg('gen-core', '1')); // 127.0.0.1..127.0.0.<k>
for (const [k, v] of Object.entries({ N, R, D, connectRate, drainWaitS, textBytes, probesWanted, sources })) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`bad option ${k}=${v}`);
}

const perClient = Math.max(1, Math.round(R * D));
const intervalMs = 1000 / R;
const connectBudgetMs = (N / connectRate) * 1000 + 15_000;
const sendBudgetMs = D * 1250 + 2000;
const hardLimitMs = connectBudgetMs + 1000 + sendBudgetMs + drainWaitS * 1000 + 15_000;

const hardTimer = setTimeout(() => {
  log(`hard time limit (${Math.round(hardLimitMs / 1000)} s) reached: exiting`);
  process.exit(3);
}, hardLimitMs);
hardTimer.unref();
// Exit if the parent goes away (stdin closes).
process.stdin.on('end', () => process.exit(4));
process.stdin.on('error', () => process.exit(4));
process.stdin.resume();

function log(s: string): void {
  process.stderr.write(`[${label}] ${s}\n`);
}
const nowMs = (): number => performance.timeOrigin + performance.now();

// ---------- markers ----------
const OBJ = Buffer.from('{"type":"');
const OBJ_LEN = OBJ.length;
const MSG_REST = Buffer.from('msg","room":"general","seq":');
const ACK_REST = Buffer.from('ack","id":"');
const ERR_REST = Buffer.from('error","code":"');
const SEQ = Buffer.from('"seq":');
const TEXT = Buffer.from('"text":"');
const Q = 0x22; // "
const COLON = 0x3a;

/**
 * Next event object at or after `from`: memchr for `{`, then the full `{"type":"` check (a `{` inside
 * a string fails it: a string cannot hold an unescaped `"`).
 */
function nextObj(buf: Buffer, from: number): number {
  let p = buf.indexOf(0x7b, from);
  while (p !== -1 && !matchAt(buf, p, OBJ)) p = buf.indexOf(0x7b, p + 1);
  return p;
}
/**
 * Shortest possible rest of a msg event after its seq digits, with both servers' key order
 * (`,"id":"x","uid":"x","user":"xx","text":"x","ts":0}`): the next event cannot start before it.
 */
const MSG_MIN_REST = ',"id":"x","uid":"x","user":"xx","text":"x","ts":0}'.length;

function matchAt(buf: Buffer, at: number, m: Buffer): boolean {
  if (at + m.length > buf.length) return false;
  for (let k = 0; k < m.length; k++) if (buf[at + k] !== m[k]) return false;
  return true;
}
function digitsAt(buf: Buffer, at: number): number {
  let v = 0;
  let b = buf[at];
  while (b >= 48 && b <= 57) {
    v = v * 10 + (b - 48);
    b = buf[++at];
  }
  return v;
}

// ---------- state ----------
const initialWords = Math.ceil((N * perClient * 1.2 + 64) / 32);
const ws: (WebSocket | null)[] = new Array(N).fill(null);
const ready = new Uint8Array(N);
const closed = new Uint8Array(N);
const probe = new Uint8Array(N);
const recv: Uint32Array<ArrayBuffer>[] = [];
const maxSeqSeen = new Float64Array(N);
const sent = new Int32Array(N);
const ackedBy = new Int32Array(N);
const nextSend = new Float64Array(N);
const sendTimes: Float64Array[] = [];
let acked = new Uint32Array(initialWords);
let ackedCount = 0;
let dupAcks = 0;
let totalSent = 0;
let received = 0; // every msg event, duplicates included
let dups = 0;
let reorders = 0;
let framesIn = 0;
let bytesIn = 0;
let pings = 0;
let badSeq = 0;
const otherEvents = new Map<string, number>();
const errorsByCode = new Map<string, number>();
const closeCodes = new Map<string, number>();
const connectErrors = new Map<string, number>();
let closedDuringRun = 0;
let firstCloseAt = 0;
let welcomed = 0;
let phase: 'connect' | 'send' | 'drain' | 'done' = 'connect';
let sendStart = 0;
let sendEnd = 0;
let lastDeliveryAt = 0;
let maxSendLagMs = 0;

const probeCount = Math.min(N, probesWanted);
for (let k = 0; k < probeCount; k++) probe[Math.floor((k * N) / probeCount)] = 1;
for (let i = 0; i < N; i++) {
  recv.push(new Uint32Array(initialWords));
  sendTimes.push(new Float64Array(perClient));
}

const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
const ackLatency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

// Deliveries per 100 ms bucket since sendStart.
const BUCKET_MS = 100;
const buckets = new Float64Array(Math.ceil((sendBudgetMs + drainWaitS * 1000 + 10_000) / BUCKET_MS));

function grow(a: Uint32Array<ArrayBuffer>, word: number): Uint32Array<ArrayBuffer> {
  let n = a.length * 2;
  while (n <= word) n *= 2;
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}

function onError(code: string): void {
  errorsByCode.set(code, (errorsByCode.get(code) ?? 0) + 1);
}

// ---------- the hot path ----------
function onFrame(i: number, buf: Buffer): void {
  framesIn++;
  bytesIn += buf.length;
  const now = nowMs();
  let msgs = 0;
  let p = nextObj(buf, 0);
  while (p !== -1) {
    const t = p + OBJ_LEN;
    const c = buf[t];
    if (c === 0x6d && matchAt(buf, t, MSG_REST)) {
      // msg
      let q = t + MSG_REST.length;
      let seq = 0;
      let b = buf[q];
      while (b >= 48 && b <= 57) {
        seq = seq * 10 + (b - 48);
        b = buf[++q];
      }
      if (seq <= 0 || seq > 200_000_000) {
        badSeq++;
      } else {
        let bm = recv[i];
        const w = seq >>> 5;
        if (w >= bm.length) bm = recv[i] = grow(bm, w);
        const bit = 1 << (seq & 31);
        if (bm[w] & bit) dups++;
        else bm[w] |= bit;
        if (seq < maxSeqSeen[i]) reorders++;
        else maxSeqSeen[i] = seq;
      }
      msgs++;
      if (probe[i] === 1) {
        const a = buf.indexOf(TEXT, q);
        if (a !== -1) {
          const e = buf.indexOf(COLON, a + TEXT.length);
          const ts = Number(buf.toString('latin1', a + TEXT.length, e));
          if (ts > 0) latency.recordValue(Math.max(1, Math.round((now - ts) * 1000)));
          p = nextObj(buf, e);
          continue;
        }
      }
      p = nextObj(buf, q + MSG_MIN_REST);
      continue;
    }
    if (c === 0x62) {
      // batch: its events follow
      p = nextObj(buf, t);
      continue;
    }
    if (c === 0x61 && matchAt(buf, t, ACK_REST)) {
      const q = t + ACK_REST.length;
      const k = digitsAt(buf, q);
      const s = buf.indexOf(SEQ, q);
      const seq = s === -1 ? 0 : digitsAt(buf, s + SEQ.length);
      if (seq > 0 && seq <= 200_000_000) {
        const w = seq >>> 5;
        if (w >= acked.length) acked = grow(acked, w);
        const bit = 1 << (seq & 31);
        if (acked[w] & bit) dupAcks++;
        else {
          acked[w] |= bit;
          ackedCount++;
          ackedBy[i]++;
          const st = k < perClient ? sendTimes[i][k] : 0;
          if (st > 0) ackLatency.recordValue(Math.max(1, Math.round((now - st) * 1000)));
        }
      } else badSeq++;
      p = nextObj(buf, q);
      continue;
    }
    if (c === 0x65 && matchAt(buf, t, ERR_REST)) {
      const q = t + ERR_REST.length;
      const e = buf.indexOf(Q, q);
      onError(buf.toString('utf8', q, e));
      p = nextObj(buf, e);
      continue;
    }
    const e = buf.indexOf(Q, t);
    const type = buf.toString('utf8', t, e);
    if (type === 'ping') pings++;
    else otherEvents.set(type, (otherEvents.get(type) ?? 0) + 1);
    p = nextObj(buf, e);
  }
  if (msgs) {
    received += msgs;
    lastDeliveryAt = now;
    if (sendStart) {
      const b = Math.floor((now - sendStart) / BUCKET_MS);
      if (b >= 0 && b < buckets.length) buckets[b] += msgs;
    }
  }
}

// ---------- connect ----------
type Event = { type: string; code?: string; events?: Event[] };
let connectDone: () => void = () => {};
const connectStarted = nowMs();
let connectMs = 0;

function openClient(i: number): void {
  const opts: WebSocket.ClientOptions = { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 15_000 };
  if (sources > 1) opts.localAddress = `127.0.0.${1 + (i % sources)}`;
  const sock = new WebSocket(url, opts);
  ws[i] = sock;
  sock.on('open', () => {
    sock.send(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: `b${i}` }, presence: false }));
  });
  sock.on('message', (data: Buffer) => {
    if (ready[i]) return onFrame(i, data);
    let f: Event;
    try {
      f = JSON.parse(data.toString()) as Event;
    } catch {
      onError('bad_json_in_handshake');
      return;
    }
    const evs = f.type === 'batch' ? (f.events ?? []) : [f];
    // A msg batched with the welcome (not expected: sends start after every client is welcomed) is counted too.
    if (evs.some((ev) => ev.type === 'welcome') && evs.some((ev) => ev.type === 'msg')) {
      ready[i] = 1;
      onFrame(i, data);
      ready[i] = 0;
    }
    for (const ev of evs) {
      if (ev.type === 'welcome' && !ready[i]) {
        ready[i] = 1;
        welcomed++;
        if (welcomed === N) connectDone();
      } else if (ev.type === 'error') onError(`handshake:${ev.code}`);
      else if (ev.type !== 'welcome') otherEvents.set(`handshake:${ev.type}`, (otherEvents.get(`handshake:${ev.type}`) ?? 0) + 1);
    }
  });
  sock.on('error', (err: Error & { code?: string }) => {
    const k = err.code ?? err.message.slice(0, 60);
    connectErrors.set(k, (connectErrors.get(k) ?? 0) + 1);
  });
  sock.on('close', (code: number) => {
    if (closed[i]) return;
    closed[i] = 1;
    const k = `${code}${ready[i] ? '' : ' (before welcome)'}`;
    closeCodes.set(k, (closeCodes.get(k) ?? 0) + 1);
    if (phase === 'send' || phase === 'drain') {
      closedDuringRun++;
      if (!firstCloseAt) firstCloseAt = nowMs() - sendStart;
    }
  });
}

async function connectAll(): Promise<void> {
  await new Promise<void>((resolve) => {
    connectDone = resolve;
    const deadline = setTimeout(resolve, connectBudgetMs);
    deadline.unref();
    let i = 0;
    const perTick = Math.max(1, Math.round(connectRate / 100));
    const tick = setInterval(() => {
      for (let k = 0; k < perTick && i < N; k++) openClient(i++);
      if (i >= N) clearInterval(tick);
    }, 10);
    if (N === 0) resolve();
  });
  connectMs = nowMs() - connectStarted;
}

// ---------- send ----------
const pad = 'x'.repeat(Math.max(0, textBytes - 24));
function sendOne(i: number, now: number): void {
  const k = sent[i];
  const sock = ws[i];
  sent[i] = k + 1;
  if (!sock || closed[i] || sock.readyState !== WebSocket.OPEN) return;
  const ts = nowMs();
  sendTimes[i][k] = ts;
  sock.send(`{"type":"send","id":"${k}","room":"general","text":"${ts.toFixed(3)}:${i}:${pad}"}`);
  totalSent++;
  const lag = now - nextSend[i];
  if (lag > maxSendLagMs) maxSendLagMs = lag;
}

interface Snap {
  t: number;
  cpu: NodeJS.CpuUsage;
  srv: number; // server CPU ticks
  cores: Map<number, number[]>; // /proc/stat jiffies per core
}
/** Per-core jiffies: user nice system idle iowait irq softirq steal. */
function coreTicks(): Map<number, number[]> {
  const m = new Map<number, number[]>();
  try {
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const r = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (r) m.set(Number(r[1]), r[2].split(' ').map(Number));
    }
  } catch {
    /* not Linux */
  }
  return m;
}
/** Busy share of a core over [a, b] (everything but idle and iowait, softirq included), and its softirq share. */
function coreBusy(a: Snap, b: Snap, core: number): { busy: number; softirq: number } {
  const x = a.cores.get(core);
  const y = b.cores.get(core);
  if (!x || !y) return { busy: NaN, softirq: NaN };
  const d = y.map((v, k) => v - (x[k] ?? 0));
  const total = d.slice(0, 8).reduce((s, v) => s + v, 0);
  if (total <= 0) return { busy: NaN, softirq: NaN };
  return { busy: ((total - d[3] - d[4]) / total) * 100, softirq: (d[6] / total) * 100 };
}
function serverTicks(): number {
  if (!serverPid) return NaN;
  try {
    const s = readFileSync(`/proc/${serverPid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}
function snap(): Snap {
  return { t: nowMs(), cpu: process.cpuUsage(), srv: serverTicks(), cores: coreTicks() };
}
const CLK_TCK = 100;

async function sendPhase(active: number[]): Promise<{ w0: Snap; w1: Snap }> {
  phase = 'send';
  sendStart = nowMs();
  for (const i of active) nextSend[i] = sendStart + (i / N) * intervalMs + (Math.random() - 0.5) * 0.2 * intervalMs;
  // Steady window: every client has started (first interval) and none has finished (its last send is
  // due at >= (perClient - 1) intervals); at least the first min(2 s, D/5) is skipped.
  const warmMs = Math.max(intervalMs, Math.min(2000, D * 200));
  const endMs = Math.max(warmMs + 100, (perClient - 1) * intervalMs);
  let w0: Snap | null = null;
  let w1: Snap | null = null;
  let remaining = active.length;
  const done = new Uint8Array(N);
  let lastReport = sendStart;
  let lastReceived = 0;
  return new Promise((resolve) => {
    const tick = setInterval(() => {
      const now = nowMs();
      if (!w0 && now - sendStart >= warmMs) w0 = snap();
      if (w0 && !w1 && now - sendStart >= endMs) w1 = snap();
      for (const i of active) {
        if (done[i]) continue;
        while (sent[i] < perClient && now >= nextSend[i]) {
          sendOne(i, now);
          nextSend[i] += intervalMs * (1 + (Math.random() - 0.5) * 0.2);
        }
        if (sent[i] >= perClient) {
          done[i] = 1;
          remaining--;
        }
      }
      if (now - lastReport >= 5000) {
        const rate = ((received - lastReceived) / (now - lastReport)) * 1000;
        log(`t=${((now - sendStart) / 1000).toFixed(0)}s sent=${totalSent} acked=${ackedCount} deliveries=${received} (${Math.round(rate)}/s) closed=${closedDuringRun}`);
        lastReport = now;
        lastReceived = received;
      }
      if (remaining === 0 || now - sendStart > sendBudgetMs) {
        clearInterval(tick);
        sendEnd = now;
        if (remaining) log(`send time budget exhausted: ${remaining} clients did not send their ${perClient} messages`);
        const last = w1 ?? snap();
        resolve({ w0: w0 ?? { ...last, t: sendStart }, w1: last });
      }
    }, 2);
  });
}

// ---------- drain ----------
async function drain(expected: () => number): Promise<number> {
  phase = 'drain';
  const start = nowMs();
  return new Promise((resolve) => {
    const tick = setInterval(() => {
      const now = nowMs();
      const complete = totalSent === ackedCount && received - dups - badSeq >= expected();
      const quiet = now - Math.max(lastDeliveryAt, start) > 3000;
      if (complete || quiet || now - start > drainWaitS * 1000) {
        clearInterval(tick);
        resolve(now - start);
      }
    }, 20);
  });
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function pct(h: ReturnType<typeof hdr.build>, p: number): number | null {
  return h.totalCount ? h.getValueAtPercentile(p) / 1000 : null;
}

// ---------- main ----------
async function main(): Promise<void> {
  log(`connecting ${N} clients to ${url} at ${connectRate}/s`);
  await connectAll();
  const active: number[] = [];
  for (let i = 0; i < N; i++) {
    if (ready[i] && !closed[i]) active.push(i);
    else if (ws[i]) ws[i]!.terminate();
  }
  log(`connected ${active.length}/${N} in ${(connectMs / 1000).toFixed(2)} s; sending ${perClient} msgs per client at ${R}/s`);
  if (active.length < N) log(`WARNING: ${N - active.length} clients failed to connect (errors ${JSON.stringify(Object.fromEntries(connectErrors))}, closes ${JSON.stringify(Object.fromEntries(closeCodes))})`);
  await new Promise((r) => setTimeout(r, 300));
  loopDelay.enable();
  const { w0, w1 } = await sendPhase(active);
  loopDelay.disable();
  const recipients = active.length;
  const drainMs = await drain(() => ackedCount * recipients);

  // Loss accounting.
  let deliveredExpected = 0;
  let gaps = 0;
  let tailOpen = 0;
  let tailClosed = 0;
  let unacked = 0;
  let maxAcked = 0;
  for (let w = acked.length - 1; w >= 0 && !maxAcked; w--) if (acked[w]) maxAcked = w * 32 + 31 - Math.clz32(acked[w]);
  for (const i of active) {
    const bm = recv[i];
    const hi = maxSeqSeen[i];
    for (let w = 0; w < Math.max(bm.length, acked.length); w++) {
      const a = w < acked.length ? acked[w] : 0;
      const r = w < bm.length ? bm[w] : 0;
      if (a === 0 && r === 0) continue;
      deliveredExpected += popcount(a & r);
      unacked += popcount(r & ~a);
      let miss = a & ~r;
      while (miss) {
        const low = miss & -miss;
        const seq = w * 32 + 31 - Math.clz32(low);
        miss ^= low;
        if (seq < hi) gaps++;
        else if (closed[i]) tailClosed++;
        else tailOpen++;
      }
    }
  }
  const expected = ackedCount * recipients;
  const windowMs = w1.t - w0.t;
  const b0 = Math.floor((w0.t - sendStart) / BUCKET_MS);
  const b1 = Math.floor((w1.t - sendStart) / BUCKET_MS);
  let inWindow = 0;
  for (let b = b0; b < b1 && b < buckets.length; b++) inWindow += buckets[b];
  const windowS = ((b1 - b0) * BUCKET_MS) / 1000;
  const genCpuUs = w1.cpu.user - w0.cpu.user + (w1.cpu.system - w0.cpu.system);
  const genCpuPct = (genCpuUs / 1000 / windowMs) * 100;
  const srvCpuPct = (((w1.srv - w0.srv) / CLK_TCK) * 1000 * 100) / windowMs;
  const result = {
    url,
    clients: N,
    connected: recipients,
    rate: R,
    duration: D,
    connectMs: Math.round(connectMs),
    sendPhaseMs: Math.round(sendEnd - sendStart),
    drainMs: Math.round(drainMs),
    sent: totalSent,
    acked: ackedCount,
    dupAcks,
    expected,
    received,
    delivered: deliveredExpected,
    missing: expected - deliveredExpected,
    gaps,
    tailOpen,
    tailClosed,
    unacked,
    duplicates: dups,
    reorders,
    badSeq,
    maxAckedSeq: maxAcked,
    offeredDeliveriesPerSec: recipients * R * recipients,
    deliveriesPerSec: windowS > 0 ? inWindow / windowS : 0,
    windowS,
    latencyMs: { p50: pct(latency, 50), p90: pct(latency, 90), p99: pct(latency, 99), max: latency.totalCount ? latency.maxValue / 1000 : null, samples: latency.totalCount },
    ackLatencyMs: { p50: pct(ackLatency, 50), p99: pct(ackLatency, 99), max: ackLatency.totalCount ? ackLatency.maxValue / 1000 : null },
    genCpuPct,
    genCore: coreBusy(w0, w1, genCore),
    serverCore: coreBusy(w0, w1, serverCore),
    // Saturated: the process >= 90% of its core, or the process plus the core's softirq (loopback
    // packet processing) >= 95%. Other processes' use of the core is reported apart, not counted.
    genSaturated: genCpuPct >= 90 || genCpuPct + coreBusy(w0, w1, genCore).softirq >= 95,
    serverSaturated: srvCpuPct >= 90 || srvCpuPct + coreBusy(w0, w1, serverCore).softirq >= 95,
    genLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    maxSendLagMs: Math.round(maxSendLagMs),
    serverCpuPct: srvCpuPct,
    framesIn,
    bytesIn,
    eventsPerFrame: framesIn ? received / framesIn : 0,
    pings,
    closedDuringRun,
    firstCloseAtMs: firstCloseAt ? Math.round(firstCloseAt) : null,
    closeCodes: Object.fromEntries(closeCodes),
    errors: Object.fromEntries(errorsByCode),
    connectErrors: Object.fromEntries(connectErrors),
    otherEvents: Object.fromEntries(otherEvents),
  };
  phase = 'done';
  for (const s of ws) s?.terminate();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
}

main().catch((err) => {
  log(`failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
