/**
 * Receive-path benchmark of the load generator: how many delivered messages per second one core
 * accounts for, without a server and without TCP. A real generator client (Slot + the scale-chat
 * adapter = SDK ChatClient with the lazy decoder) connects to an in-memory socket that answers the
 * handshake and the room join, then is fed server-shaped batch frames (the exact bytes the server's
 * outbox writes) as fast as it takes them. Per message that runs: the decoder, the SDK's dispatch,
 * seq ordering and dedup, the generator's seq accounting, the latency stamp and the HDR histogram,
 * and the UTF-8 decoding of each client's copy of the frame. What it leaves out (the `ws` frame
 * parsing and the socket reads) is measured by the end-to-end run in docs/loadtest.md.
 *
 *   node dist/src/loadtest/bench-receive.js [--batch 100] [--messages 10000000] [--clients 10]
 *   taskset -c 1 node dist/src/loadtest/bench-receive.js --ws [--feeder-cpu 0] [--seconds 10] [--clients 50] [--batch 100]
 *
 * `--ws`: end to end over real sockets instead: the clients (real `ws` sockets, the SDK, the same
 * accounting) connect to ./bench-feeder.ts in a child process (pinned to --feeder-cpu with taskset
 * when given), which streams batches as fast as they are read; reported: deliveries per wall-clock
 * second and per CPU-second of this process.
 *
 * `--json-decoder`: decode frames with the SDK's default (JSON.parse) instead of ./fastframe.ts, to
 * see what the lazy decoder buys.
 *
 * `--messages` counts deliveries (frames x batch x clients); a tenth more is run first as warm-up.
 * The result is per CPU-second of this process (GC included), so other load on the machine does not
 * skew it; the wall-clock rate is printed too.
 */
import { performance } from 'node:perf_hooks';
import { encodeMsg, joinBatch } from '../protocol/encode.js';
import { LatencyRecorder, newHistogram, percentiles } from './histograms.js';
import type { LoadOptions } from './options.js';
import { Slot, nowUs, type SlotHost } from './slot.js';
import { scaleChatTarget } from './targets/scale-chat.js';
import { runFeeder } from './bench-feeder.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EventLog } from './events.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: expected a positive number`);
  return v;
}

const BATCH = arg('batch', 100);
const TOTAL = arg('messages', 10_000_000);
const CLIENTS = arg('clients', 10);
const ROOM = 'lt-bench-0';

/** The in-memory server side of one client socket: answers hello and join, then takes frames. */
class MemorySocket {
  static all: MemorySocket[] = [];
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {
    MemorySocket.all.push(this);
    setImmediate(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }
  send(data: string): void {
    const f = JSON.parse(data) as { type: string; id?: string; auth?: { name?: string } };
    const room = { id: ROOM, kind: 'public', lastSeq: 0, lastRead: 0, members: CLIENTS };
    if (f.type === 'hello') {
      const limits = { maxFrameBytes: 65536, maxTextLength: 4000, historyPageMax: 200, replayMax: 1000, ratePerSec: 20, rateBurst: 40 };
      const welcome = { type: 'welcome', v: 1, user: { id: `u_${f.auth?.name}`, name: f.auth?.name, account: false }, token: 't', tokenExpiresAt: 0, rooms: [], heartbeatMs: 30_000, limits, serverTime: Date.now() };
      setImmediate(() => this.deliver(JSON.stringify(welcome)));
    } else if (f.type === 'join') setImmediate(() => this.deliver(JSON.stringify({ type: 'joined', re: f.id, room })));
  }
  close(): void {
    this.readyState = 3;
  }
  deliver(text: string): void {
    this.onmessage?.({ data: text });
  }
}

/** The slots' host: counters and a latency recorder, no event log, no server metrics. */
function benchHost(webSocket: unknown): { host: SlotHost; counters: SlotHost['counters'] } {
  const counters = { sent: 0, acked: 0, sendFailed: 0, received: 0, foreign: 0, errorsTotal: 0, reconnects: 0, resumes: 0, connectFailures: 0, connectedEver: 0, leaves: 0 };
  const options = { insecure: false, ackTimeoutMs: 30_000, dmRatio: 0, msgSize: 64 } as LoadOptions;
  const host: SlotHost = {
    options,
    adapter: scaleChatTarget,
    eventsSample: 0,
    events: null as EventLog | null,
    latency: new LatencyRecorder(),
    connectLatency: newHistogram(),
    counters,
    frameUs: 0,
    ackedSeqs: () => [],
    error: (code) => console.error('unexpected error', code),
    connectedDelta: () => {},
    slotJoined: () => {},
    setupSettled: () => {},
    slotAt: () => undefined,
    pad: '',
    webSocket,
    jsonDecoder: process.argv.includes('--json-decoder'),
  };
  return { host, counters };
}

async function main(): Promise<void> {
  const { host, counters } = benchHost(MemorySocket);
  const slots: Slot[] = [];
  (host as { slotAt: (i: number) => Slot | undefined }).slotAt = (i) => slots[i];
  for (let i = 0; i < CLIENTS; i++) slots.push(new Slot(host, i, i, `lbench-${i}`, [ROOM], -1, 'ws://memory/ws', undefined));
  for (const s of slots) s.start();
  const until = Date.now() + 5000;
  while (!slots.every((s) => s.joined)) {
    if (Date.now() > until) throw new Error('bench clients did not join');
    await new Promise((r) => setTimeout(r, 5));
  }

  // Frames as the server writes them (its one encoder): serialized events joined into a batch; the stamp is "now".
  const frames = Math.ceil(TOTAL / BATCH / CLIENTS);
  const texts: string[] = [];
  let seq = 0;
  for (let f = 0; f < Math.min(frames, 200); f++) {
    const evs: string[] = [];
    for (let k = 0; k < BATCH; k++) {
      seq++;
      const text = `${nowUs().toString(36)} - ${'x'.repeat(48)}`;
      evs.push(encodeMsg({ room: ROOM, seq, id: `lbench-${seq % CLIENTS}-${seq.toString(36)}`, uid: 'u_0123456789abcdef', user: `lbench-${seq % CLIENTS}`, text, ts: Date.now() }));
    }
    texts.push(joinBatch(evs));
  }
  // Seqs must keep increasing: frames beyond the first 200 are rebuilt by renumbering (outside the timed loop).
  const pool = texts.length;
  const rebuild = (f: number): string => (f < pool ? texts[f] : texts[f % pool].replace(/"seq":(\d+)/g, (_, s: string) => `"seq":${Number(s) + Math.floor(f / pool) * pool * BATCH}`));

  const sockets = MemorySocket.all;
  let sent = 0;
  let cpuUs = 0;
  let wallMs = 0;
  let counted = 0;
  const warmup = Math.ceil(frames / 10);
  for (let f = 0; f < frames + warmup; f++) {
    const bytes = Buffer.from(rebuild(f));
    const before = counters.received;
    const c0 = process.cpuUsage();
    const t = performance.now();
    // Every client receives the same frame, as members of one room do, each from its own socket
    // buffer turned into a string (what ws does for a text frame).
    for (const s of sockets) s.deliver(bytes.toString());
    const w = performance.now() - t;
    const c = process.cpuUsage(c0);
    sent += BATCH * sockets.length;
    if (f >= warmup) {
      cpuUs += c.user + c.system;
      wallMs += w;
      counted += counters.received - before;
    }
    if (f % 50 === 49) await new Promise((r) => setImmediate(r)); // let timers run like a real loop (GC is in the timed part)
  }
  const hist = newHistogram();
  host.latency.flushInto(hist);
  const lat = percentiles(hist);
  for (const s of slots) s.stop();
  console.log(
    JSON.stringify({
      decoder: host.jsonDecoder ? 'JSON.parse' : 'lazy',
      clients: CLIENTS,
      batch: BATCH,
      deliveries: counters.received,
      expected: sent,
      measured: counted,
      msgsPerCpuSecond: Math.round(counted / (cpuUs / 1e6)),
      nsCpuPerMsg: Math.round((cpuUs * 1000) / counted),
      msgsPerWallSecond: Math.round(counted / (wallMs / 1000)),
      latencySamples: lat.count,
    }),
  );
  process.exit(counters.received === sent ? 0 : 1);
}

async function overWs(): Promise<void> {
  const seconds = arg('seconds', 10);
  const feederCore = process.argv.includes('--feeder-cpu') ? String(process.argv[process.argv.indexOf('--feeder-cpu') + 1]) : null;
  const script = fileURLToPath(import.meta.url);
  const feederArgs = [script, '--feeder', '--batch', String(BATCH)];
  const child = feederCore
    ? spawn('taskset', ['-c', feederCore, process.execPath, ...feederArgs], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : spawn(process.execPath, feederArgs, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`feeder exited (${code})`)));
  });
  child.send({ clients: CLIENTS });
  const { host, counters } = benchHost(undefined);
  const slots: Slot[] = [];
  for (let i = 0; i < CLIENTS; i++) slots.push(new Slot(host, i, i, `lbench-${i}`, [ROOM], -1, `ws://127.0.0.1:${port}/ws`, undefined));
  (host as { slotAt: (i: number) => Slot | undefined }).slotAt = (i) => slots[i];
  for (const s of slots) s.start();
  const until = Date.now() + 10_000;
  while (!slots.every((s) => s.joined)) {
    if (Date.now() > until) throw new Error('bench clients did not join the feeder');
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  child.send({ measure: true });
  const r0 = counters.received;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const received = counters.received - r0;
  const cpu = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1000;
  const feederCpu = await new Promise<number>((resolve) => {
    child.once('message', (m: { cpuPct: number }) => resolve(m.cpuPct));
    child.send({ stop: true });
  });
  for (const s of slots) s.stop();
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(
    JSON.stringify({
      mode: 'ws',
      decoder: host.jsonDecoder ? 'JSON.parse' : 'lazy',
      clients: CLIENTS,
      batch: BATCH,
      seconds: Math.round(wall * 10) / 10,
      deliveries: received,
      msgsPerWallSecond: Math.round(received / wall),
      msgsPerCpuSecond: Math.round(received / cpuS),
      cpuPct: Math.round((cpuS / wall) * 100),
      feederCpuPct: feederCpu,
      duplicates: slots.reduce((a, s) => a + [...s.tracks.values()].reduce((b, t) => b + t.duplicates + t.outOfOrder, 0), 0),
    }),
  );
  process.exit(0);
}

if (process.argv.includes('--feeder')) runFeeder(BATCH, ROOM);
else if (process.argv.includes('--ws')) void overWs();
else void main();
