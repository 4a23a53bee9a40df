/**
 * Presence benchmark generator (one child process of bench/presence.ts; at most ~18k sockets per process).
 *
 * `--role idle`: opens `--clients` N guests (`hello` with presence on, as the web UI) from local address
 * `--source`, at most `--connect-rate`/s, and prints `READY {"welcomed":n}` once every one is welcomed (or
 * the connect budget ran out). Then, on stdin: `mark` resets the byte counters of the sampled clients (one
 * in `--sample-every`); `report` prints `RESULT {json}`: per sampled client the WebSocket payload bytes and
 * frames received since the mark, the window's seconds, and this process's CPU share over it.
 * `--role churn`: keeps `--pool` guests online and replaces them at `--churn` joins+leaves per second (half
 * joins, half leaves: each tick closes the oldest and opens a new guest), until stdin says `stop`.
 * Exits when stdin closes (the parent is gone) and after a hard time limit (`--max-seconds`).
 */
import WebSocket from 'ws';
import { decodeServerFrame } from '../src/protocol/codec.js';
import { benchArgs } from './cli-args.js';

const flags = benchArgs(import.meta.url, ['role', 'url', 'clients', 'source', 'connect-rate', 'sample-every', 'label', 'churn', 'pool', 'max-seconds']);
const num = (name: Parameters<typeof flags.str>[0], def: number): number => {
  const v = Number(flags.str(name) ?? def);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: a non-negative number`);
  return v;
};
const role = flags.str('role') ?? 'idle';
const url = flags.str('url') ?? 'ws://127.0.0.1:8080/ws';
const source = flags.str('source') ?? '127.0.0.2';
const label = flags.str('label') ?? 'g';
const connectRate = num('connect-rate', 1000);
setTimeout(() => process.exit(3), num('max-seconds', 600) * 1000).unref();

const log = (s: string) => process.stderr.write(`[${label}] ${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Opens one guest; resolves with the socket once welcomed (null on a refusal or after 20 s). */
function guest(name: string, onData?: (bytes: number) => void): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress: source, perMessageDeflate: false, skipUTF8Validation: true });
    let welcomed = false;
    const t = setTimeout(() => done(null), 20_000);
    function done(v: WebSocket | null): void {
      clearTimeout(t);
      if (!v) ws.terminate();
      resolve(v);
    }
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name }, presence: true })));
    ws.on('message', (data: Buffer) => {
      if (welcomed) return onData?.(data.length);
      // Until the welcome, frames are decoded by the protocol's own decoder (a `batch` may open with it).
      const first = decodeServerFrame(data.toString())[0];
      if (first?.type === 'welcome') {
        welcomed = true;
        done(ws);
        onData?.(0);
      } else if (first?.type === 'error') done(null);
    });
    ws.on('error', () => done(null));
    ws.on('close', () => done(null));
  });
}

/** Opens `n` guests at most `connectRate`/s; returns the welcomed ones. */
async function openMany(n: number, name: (i: number) => string, onData: (i: number) => ((b: number) => void) | undefined): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  const started = Date.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = started + (i / connectRate) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
    pending.push(guest(name(i), onData(i)).then((ws) => void (ws && out.push(ws))));
  }
  await Promise.all(pending);
  return out;
}

const lines = (fn: (line: string) => void) => {
  let buf = '';
  process.stdin.on('data', (d) => {
    buf += d.toString();
    let k: number;
    while ((k = buf.indexOf('\n')) >= 0) {
      fn(buf.slice(0, k).trim());
      buf = buf.slice(k + 1);
    }
  });
  process.stdin.on('end', () => process.exit(4));
};

async function idle(): Promise<void> {
  const n = num('clients', 100);
  const every = Math.max(1, num('sample-every', 50));
  const sampled = Math.ceil(n / every);
  const bytes = new Float64Array(sampled);
  const frames = new Float64Array(sampled);
  const conns = await openMany(
    n,
    (i) => `${label}-${i}`,
    (i) => (i % every === 0 ? (b) => ((bytes[i / every] += b), (frames[i / every] += b > 0 ? 1 : 0)) : undefined),
  );
  let markAt = Date.now();
  let cpuAt = process.cpuUsage();
  lines((cmd) => {
    if (cmd === 'mark') {
      bytes.fill(0);
      frames.fill(0);
      markAt = Date.now();
      cpuAt = process.cpuUsage();
    } else if (cmd === 'report') {
      const seconds = (Date.now() - markAt) / 1000;
      const cpu = process.cpuUsage(cpuAt);
      const cpuPct = ((cpu.user + cpu.system) / 1e6 / seconds) * 100;
      console.log(`RESULT ${JSON.stringify({ seconds, cpuPct, bytes: [...bytes], frames: [...frames], open: conns.filter((w) => w.readyState === WebSocket.OPEN).length })}`);
    }
  });
  console.log(`READY ${JSON.stringify({ welcomed: conns.length })}`);
}

async function churn(): Promise<void> {
  const rate = num('churn', 100);
  const pool: WebSocket[] = await openMany(num('pool', 100), (i) => `${label}-p${i}`, () => undefined);
  let n = 0;
  let running = true;
  lines((cmd) => {
    if (cmd === 'stop') running = false;
  });
  console.log(`READY ${JSON.stringify({ welcomed: pool.length })}`);
  // Each replacement is one leave and one join: rate/2 replacements per second, spread over 100 ms ticks.
  const perTick = rate / 2 / 10;
  let owed = 0;
  let failed = 0;
  while (running) {
    const tick = Date.now();
    owed += perTick;
    for (; owed >= 1; owed--) {
      pool.shift()?.close();
      void guest(`${label}-c${n++}`).then((ws) => (ws ? pool.push(ws) : failed++));
    }
    await sleep(Math.max(0, 100 - (Date.now() - tick)));
  }
  console.log(`RESULT ${JSON.stringify({ replaced: n, failed })}`);
  for (const ws of pool) ws.terminate();
  process.exit(0);
}

(role === 'churn' ? churn() : idle()).catch((err) => {
  log(String(err));
  process.exit(1);
});
