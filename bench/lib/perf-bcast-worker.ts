/**
 * Receivers of `npm run bench:broadcast` (bench/broadcast.ts), run as a child process: --count raw
 * `ws` connections (docs/protocol.md), each a guest that said `hello` with `presence: false` (so
 * only the broadcast message reaches it, no presence diffs) and stays in `general`, the room every
 * user is in. Connections are opened at --connect-rate per second, each bound to a local address
 * of --addrs (a comma list, spread by connection index: ~28k ports per address).
 *
 *   node dist/bench/lib/perf-bcast-worker.js --url ws://127.0.0.1:PORT/ws --count 5000 --first 0 --tag ab12 \
 *     --addrs 127.0.0.2,127.0.0.3 --connect-rate 500
 *
 * JSON lines on stdout: `{"event":"ready","connected":N,"failed":F}` once every connection got its
 * `welcome` (or failed); then, for each broadcast k (a `msg` whose id is `bc<tag>-<k>`), when every
 * connection has it, `{"event":"got","k":k,"times":[receive time at each connection, us since the
 * epoch],"missing":0,"busyPct":P}` where busyPct is this process's CPU between the first and the
 * last receipt over that span (near 100: this process, not the server, set the pace). A line
 * `flush <k>` on stdin makes it report k now with what arrived (`missing` > 0). It exits when stdin
 * closes, and after --max-lifetime-s whatever happens.
 */
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { nowUs } from '../../src/loadtest/slot.js';

const { values } = parseArgs({
  options: { url: { type: 'string' }, count: { type: 'string' }, first: { type: 'string' }, tag: { type: 'string' }, addrs: { type: 'string' }, 'connect-rate': { type: 'string' }, 'max-lifetime-s': { type: 'string' } },
});
const url = values.url ?? '';
const count = Number(values.count ?? 0);
const first = Number(values.first ?? 0);
const tag = values.tag ?? 'x';
const addrs = (values.addrs ?? '').split(',').filter(Boolean);
const connectRate = Number(values['connect-rate'] ?? 500);
const maxLifetimeS = Number(values['max-lifetime-s'] ?? 900);
if (!url || !(count >= 1) || !(first >= 0) || !(connectRate > 0)) {
  console.error('perf-bcast-worker: --url, --count >= 1, --first >= 0, --connect-rate > 0');
  process.exit(2);
}
setTimeout(() => process.exit(0), maxLifetimeS * 1000).unref();
createInterface({ input: process.stdin })
  .on('line', (l) => {
    const m = /^flush (\d+)$/.exec(l.trim());
    if (m) report(Number(m[1]));
  })
  .on('close', () => process.exit(0));

function emit(o: object): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

const MSG = '"type":"msg"';
const ID = '"id":"';
const idPrefix = `bc${tag}-`;

interface Round {
  times: Float64Array;
  got: number;
  firstUs: number;
  cpuAtFirst: NodeJS.CpuUsage;
}
const rounds = new Map<number, Round>();
/** Broadcasts already reported: late copies of them are ignored. */
const reportedKs = new Set<number>();
/** Connections that got their welcome: a round is complete when each of them has the message. */
let live = count;

function roundOf(k: number): Round {
  let r = rounds.get(k);
  if (!r) rounds.set(k, (r = { times: new Float64Array(count), got: 0, firstUs: 0, cpuAtFirst: process.cpuUsage() }));
  return r;
}

function report(k: number): void {
  if (reportedKs.has(k)) return;
  const r = roundOf(k);
  reportedKs.add(k);
  const spanUs = nowUs() - r.firstUs;
  const cpu = process.cpuUsage(r.cpuAtFirst);
  const times: number[] = [];
  for (const t of r.times) if (t > 0) times.push(t);
  emit({ event: 'got', k, times, missing: live - r.got, busyPct: r.got > 1 && spanUs > 0 ? ((cpu.user + cpu.system) / spanUs) * 100 : 0 });
  rounds.delete(k);
}

function onFrame(conn: number, s: string): void {
  let p = s.indexOf(MSG);
  while (p >= 0) {
    const q = s.indexOf(ID, p);
    if (q < 0) return;
    const start = q + ID.length;
    const id = s.slice(start, s.indexOf('"', start));
    const k = id.startsWith(idPrefix) ? Number(id.slice(idPrefix.length)) : NaN;
    if (Number.isInteger(k) && !reportedKs.has(k)) {
      const at = nowUs();
      const r = roundOf(k);
      if (r.got === 0) {
        r.firstUs = at;
        r.cpuAtFirst = process.cpuUsage();
      }
      if (r.times[conn] === 0) {
        r.times[conn] = at;
        if (++r.got === live) report(k);
      }
    }
    p = s.indexOf(MSG, start);
  }
}

function open(conn: number): Promise<boolean> {
  return new Promise((resolve) => {
    const i = first + conn;
    const localAddress = addrs.length ? addrs[i % addrs.length] : undefined;
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, handshakeTimeout: 30_000, ...(localAddress ? { localAddress } : {}) });
    let welcomed = false;
    const t = setTimeout(() => done(false), 60_000);
    function done(ok: boolean): void {
      clearTimeout(t);
      if (!ok) ws.terminate();
      resolve(ok);
    }
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: `b${tag}${i}` }, presence: false })));
    ws.on('message', (data: Buffer) => {
      const s = data.toString('latin1');
      if (!welcomed) {
        if (s.includes('"type":"welcome"')) {
          welcomed = true;
          done(true);
        } else if (s.includes('"type":"error"')) {
          process.stderr.write(`connection ${i}: ${s.slice(0, 200)}\n`);
          done(false);
        }
        return;
      }
      onFrame(conn, s);
    });
    ws.on('error', () => !welcomed && done(false));
    ws.on('close', () => {
      if (!welcomed) done(false);
      else process.stderr.write(`connection ${i} closed after its welcome\n`);
    });
  });
}

async function main(): Promise<void> {
  const pending: Promise<boolean>[] = [];
  const t0 = performance.now();
  for (let c = 0; c < count; c++) {
    const due = t0 + (c / connectRate) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(open(c));
  }
  const ok = await Promise.all(pending);
  const connected = ok.filter(Boolean).length;
  live = connected;
  emit({ event: 'ready', connected, failed: count - connected });
}

void main();
