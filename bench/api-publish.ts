/**
 * `npm run bench:api`: publishing through the HTTP API under load, accounted at WebSocket receivers.
 *
 *   node dist/src/cli/main.js serve --api-rate-per-sec 100000 --api-rate-burst 100000 &
 *   KEY=$(node dist/src/cli/main.js admin key create loadbot --scopes publish | head -1)
 *   npm run bench:api -- --url http://127.0.0.1:8080 --key "$KEY" --messages 5000 --workers 8 --receivers 20
 *
 * `--workers` HTTP clients (keep-alive) POST `--messages` messages in all to `general`, each with its own
 * idempotency key; `--receivers` guests in `general` read every `msg`. Counted at the end: for each
 * receiver, every published seq received exactly once and in order (loss, duplicates, reorders), HTTP
 * latency (request to 201) and delivery latency (request sent to the receiver's frame) percentiles.
 * Flags: --url --key --messages 2000 --workers 8 --receivers 10 --text-size 64 --help. Prints one JSON line.
 */
import WebSocket from 'ws';

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}
if (process.argv.includes('--help')) {
  console.log('npm run bench:api -- --url http://127.0.0.1:8080 --key sck_... [--messages 2000] [--workers 8] [--receivers 10] [--text-size 64]');
  process.exit(0);
}
const base = flag('url', 'http://127.0.0.1:8080');
const key = flag('key', process.env.KEY ?? '');
const messages = Number(flag('messages', '2000'));
const workers = Number(flag('workers', '8'));
const receivers = Number(flag('receivers', '10'));
const textSize = Number(flag('text-size', '64'));
if (!key) throw new Error('--key (or KEY) is needed: an API key with the publish scope');

const pct = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 100) / 100;
};

interface Receiver {
  ws: WebSocket;
  seqs: number[];
  at: Map<number, number>;
}

async function receiver(i: number): Promise<Receiver> {
  const ws = new WebSocket(base.replace(/^http/, 'ws') + '/ws');
  const r: Receiver = { ws, seqs: [], at: new Map() };
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: `apirecv${i}x${process.pid % 1000}` }, presence: false })));
    ws.on('message', (data) => {
      type Ev = { type: string; seq?: number; bot?: boolean; code?: string };
      const f = JSON.parse(data.toString()) as Ev & { events?: Ev[] };
      const evs = f.type === 'batch' ? f.events! : [f];
      const now = performance.now();
      for (const e of evs) {
        if (e.type === 'welcome') resolve();
        else if (e.type === 'error' && !r.seqs.length) reject(new Error(`receiver ${i}: ${e.code}`));
        else if (e.type === 'msg' && e.bot) {
          r.seqs.push(e.seq!);
          r.at.set(e.seq!, now);
        }
      }
    });
    ws.once('error', reject);
  });
  return r;
}

const rs = await Promise.all(Array.from({ length: receivers }, (_, i) => receiver(i)));
const text = 'x'.repeat(textSize);
const sentAt = new Map<number, number>();
const httpMs: number[] = [];
const statuses = new Map<number, number>();
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: workers }, async (_, w) => {
    for (;;) {
      const i = next++;
      if (i >= messages) return;
      const t0 = performance.now();
      const res = await fetch(`${base}/api/v1/rooms/general/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `bench-${process.pid}-${w}-${i}` },
        body: JSON.stringify({ text }),
      });
      const body = (await res.json()) as { seq?: number };
      httpMs.push(performance.now() - t0);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 201 && body.seq) sentAt.set(body.seq, t0);
    }
  }),
);
const publishSec = (performance.now() - started) / 1000;
// Let the last deliveries arrive (bounded).
const want = sentAt.size;
for (let i = 0; i < 100 && rs.some((r) => r.seqs.length < want); i++) await new Promise((r) => setTimeout(r, 50));
let lost = 0;
let dupes = 0;
let reorders = 0;
const deliveryMs: number[] = [];
for (const r of rs) {
  const seen = new Set<number>();
  let last = 0;
  for (const s of r.seqs) {
    if (seen.has(s)) dupes++;
    seen.add(s);
    if (s < last) reorders++;
    last = s;
  }
  for (const [seq, t0] of sentAt) {
    const at = r.at.get(seq);
    if (at === undefined) lost++;
    else deliveryMs.push(at - t0);
  }
  r.ws.close();
}
console.log(
  JSON.stringify({
    messages,
    workers,
    receivers,
    published: want,
    statuses: Object.fromEntries(statuses),
    publishPerSec: Math.round(want / publishSec),
    deliveriesPerSec: Math.round((want * receivers) / publishSec),
    httpMs: { p50: pct(httpMs, 50), p90: pct(httpMs, 90), p99: pct(httpMs, 99), max: pct(httpMs, 100) },
    deliveryMs: { p50: pct(deliveryMs, 50), p90: pct(deliveryMs, 90), p99: pct(deliveryMs, 99), max: pct(deliveryMs, 100) },
    lost,
    duplicates: dupes,
    reorders,
  }),
);
process.exit(lost || dupes || reorders ? 1 : 0);
