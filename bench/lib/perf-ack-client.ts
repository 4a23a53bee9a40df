/**
 * The one connection of `npm run bench:acks` (bench/acks.ts), run as a child process: a lean raw
 * `ws` client of docs/protocol.md that keeps --window sends in flight and counts their acks.
 *
 *   node dist/bench/lib/perf-ack-client.js --url ws://127.0.0.1:PORT/ws --window 1000 --duration 10 --warmup 2
 *
 * hello (guest, presence off) -> welcome; `create` a private room -> joined (ws-naive creates it on
 * `create` too); then `send` frames `{"type":"send","id":<run prefix + counter>,"room":..,"text":..}`,
 * one per WebSocket frame (client frames are one JSON object each: protocol.md section 1; `batch`
 * exists only from server to client), a new one for every ack, so --window are always in flight. Acks
 * are found in each received text frame by their fixed layout `{"type":"ack","id":"` (the server's one
 * encoder writes a fixed key order, src/protocol/encode.ts; ws-naive writes the same layout), so the
 * client does not JSON.parse the `msg` echoes it also receives. Any `error` frame is parsed and counted.
 *
 * Prints JSON lines on stdout: `{"event":"start"}` when the measured window begins (after --warmup
 * seconds of the same load), then `{"event":"result",...}`: acks and acks/s in the window, ack
 * latency p50/p99/max (send call to ack frame), this process's CPU over the window, errors, and
 * whether every send was acked at the end (waits at most 10 s). Exits by itself after at most
 * warmup + duration + 30 s.
 */
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { url: { type: 'string' }, window: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, 'text-size': { type: 'string' } } });
const url = values.url ?? 'ws://127.0.0.1:8080/ws';
const windowSize = Number(values.window ?? 1000);
const durationS = Number(values.duration ?? 10);
const warmupS = Number(values.warmup ?? 2);
const textSize = Number(values['text-size'] ?? 64);
if (!(windowSize >= 1 && durationS > 0 && warmupS >= 0 && textSize >= 1)) {
  console.error('perf-ack-client: --window >= 1, --duration > 0, --warmup >= 0, --text-size >= 1');
  process.exit(2);
}
setTimeout(() => fail('did not finish in time'), (warmupS + durationS + 30) * 1000).unref();

function emit(o: object): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}
function fail(why: string): never {
  emit({ event: 'result', error: why });
  process.exit(1);
}

const tag = Math.random().toString(36).slice(2, 8);
const prefix = `a${tag}-`;
const room = `acks-${tag}`;
const text = 'x'.repeat(textSize);
const frameHead = `{"type":"send","id":"${prefix}`;
const frameTail = `","room":"${room}","text":"${text}"}`;
const ACK = '{"type":"ack","id":"';

/** Send times by counter, in a ring far larger than the window (acks arrive in order on one connection). */
const RING = 1 << 20;
const sentAt = new Float64Array(RING);
let next = 0;
let inflight = 0;
let sending = false;
let measuring = false;
let acksInWindow = 0;
let lat = new Float64Array(1 << 20);
let latN = 0;
const errors = new Map<string, number>();

const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
ws.on('error', (e) => fail(`socket error: ${e.message}`));
ws.on('close', (code) => fail(`closed by the server (${code})`));

let onText: (s: string) => void = () => {};
ws.on('message', (data: Buffer) => onText(data.toString('latin1')));

function waitFor(marker: string, what: string): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => fail(`no ${what} within 10 s`), 10_000);
    onText = (s) => {
      if (s.includes('"type":"error"')) fail(`${what}: ${s.slice(0, 300)}`);
      if (s.includes(marker)) {
        clearTimeout(t);
        resolve();
      }
    };
  });
}

/**
 * The TCP socket under `ws` (its documented-nowhere `_socket`): corked while a burst of sends is
 * written, so a burst leaves in one write instead of one syscall per frame. Absent: plain sends.
 */
function rawSocket(): Socket | null {
  const s = (ws as unknown as { _socket?: Socket })._socket;
  return s && typeof s.cork === 'function' ? s : null;
}

function pump(): void {
  if (!sending || inflight >= windowSize) return;
  const sock = rawSocket();
  sock?.cork();
  const now = performance.now();
  while (inflight < windowSize) {
    const n = next++;
    sentAt[n & (RING - 1)] = now;
    ws.send(frameHead + n.toString(36) + frameTail);
    inflight++;
  }
  sock?.uncork();
}

interface Ev {
  type: string;
  code?: string;
  re?: string;
  events?: Ev[];
}
/** Counts the error events of a frame; an error answering one of our sends frees its window slot. */
function countErrors(s: string): void {
  const f = JSON.parse(s) as Ev;
  for (const ev of f.type === 'batch' ? (f.events ?? []) : [f]) {
    if (ev.type !== 'error') continue;
    errors.set(ev.code ?? '?', (errors.get(ev.code ?? '?') ?? 0) + 1);
    if (ev.re?.startsWith(prefix)) inflight--;
  }
}

function onFrame(s: string): void {
  const now = performance.now();
  let p = s.indexOf(ACK);
  while (p >= 0) {
    const start = p + ACK.length + prefix.length;
    const n = parseInt(s.slice(start, s.indexOf('"', start)), 36);
    inflight--;
    if (measuring) {
      acksInWindow++;
      if (latN === lat.length) {
        const bigger = new Float64Array(lat.length * 2);
        bigger.set(lat);
        lat = bigger;
      }
      lat[latN++] = now - sentAt[n & (RING - 1)];
    }
    p = s.indexOf(ACK, start);
  }
  if (s.includes('"type":"error"')) countErrors(s);
  pump();
}

function pctOf(sorted: Float64Array, p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((sorted.length * p) / 100) - 1))] : NaN;
}

async function main(): Promise<void> {
  await new Promise<void>((resolve) => ws.once('open', () => resolve()));
  const welcome = waitFor('"type":"welcome"', 'welcome');
  ws.send(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: `ack${tag}` }, presence: false }));
  await welcome;
  const joined = waitFor('"type":"joined"', 'joined');
  ws.send(JSON.stringify({ type: 'create', id: 'c1', room, visibility: 'private' }));
  await joined;
  onText = onFrame;
  sending = true;
  pump();
  await new Promise((r) => setTimeout(r, warmupS * 1000));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  emit({ event: 'start' });
  await new Promise((r) => setTimeout(r, durationS * 1000));
  measuring = false;
  const windowS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const acks = acksInWindow;
  sending = false;
  emit({ event: 'stop' });
  const until = Date.now() + 10_000;
  while (inflight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const sorted = lat.slice(0, latN).sort();
  emit({
    event: 'result',
    window: windowSize,
    windowS,
    acks,
    acksPerSec: acks / windowS,
    latencyMs: { p50: pctOf(sorted, 50), p99: pctOf(sorted, 99), max: pctOf(sorted, 100) },
    clientCpuPct: ((cpu.user + cpu.system) / 1e4 / windowS),
    sent: next,
    unacked: inflight,
    errors: Object.fromEntries(errors),
  });
  ws.removeAllListeners('close');
  ws.close();
  process.exit(0);
}

main().catch((e: Error) => fail(e.message));
