/**
 * `npm run bench:api`: messages published by a backend through the HTTP API (docs/api.md), under load,
 * checked for zero loss.
 *
 *   npx tsc -p . && npm run bench:api                         # 20 rooms x 50 receivers, 500 messages/s, 60 s
 *   npm run bench:api -- --quick                              # 5 rooms x 20 receivers, 200/s, 10 s, prints only
 *
 * A scale-chat server (temp SQLite data dir) pinned to core 0; this process (the generator) pinned to
 * core 1 by `--gen-cpus`. An API key with the scopes publish and rooms is made with `scale-chat admin key
 * create` on the server's data dir; its bot creates the rooms (`POST /api/v1/rooms`). Receivers are plain
 * `ws` connections speaking docs/protocol.md (a guest each, joined to one room): they record every `msg`
 * they are given, batches flattened. Publishers: `--concurrency` HTTP keep-alive connections posting
 * `POST /api/v1/rooms/:room/messages` at `--rate` messages/s in total, each with its own idempotency key;
 * a refusal the API calls temporary (429, 503) or a failed connection is retried with the same key, as
 * docs/api.md tells a backend to do. At the end (after a quiet second) it checks, per room:
 *   - every published message was answered 201 with a seq, and no two keys got the same seq;
 *   - every receiver of the room got every one of them exactly once, in seq order;
 *   - `--replays` keys posted again give the same seq (idempotency), and add no message;
 *   - the room's history (`GET /api/v1/rooms/:room/messages`) holds each exactly once.
 * Latency: publish to 201, and publish to delivery at the receivers (median and p99).
 * The generator's own CPU is measured: past 90% of a core the run says the generator was the bottleneck.
 *
 * With a webhook endpoint (unless --no-webhook): a receiver in this process, added with `admin webhook add
 * --events message.created`; every acked message's event must arrive with a valid signature.
 *
 * Flags: --rooms 20  --receivers 50 (per room)  --rate 500  --duration 60s  --concurrency 32
 *        --replays 200  --no-webhook  --gen-cpus 1 ("" for unpinned)  --quick  --docs <file>  --help
 * Writes bench/results/api-<stamp>.json and the "api" section of docs/benchmarks.md (not with --quick
 * unless --docs is given).
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import path from 'node:path';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import WebSocket from 'ws';
import { benchArgs } from './cli-args.js';
import { commandLine, provenance } from './lib/doc.js';
import { cpuSeconds, MAIN, pct, median, sleep, startServer, stop } from './lib/lab.js';
import { FlagReader, usageExit } from './lib/perf-flags.js';
import { fmt1, fmtInt, fmtMs, mdTable, publish } from './lib/perf-report.js';

const a = benchArgs(import.meta.url, ['rooms', 'receivers', 'rate', 'duration', 'concurrency', 'replays', 'gen-cpus', 'docs'], ['quick', 'no-webhook']);
const f = new FlagReader('bench:api', a.str);
const quick = a.bool('quick');
const roomCount = f.int('rooms', quick ? 5 : 20, 1, 500);
const perRoom = f.int('receivers', quick ? 20 : 50, 1, 1000);
const rate = f.int('rate', quick ? 200 : 500, 1, 100_000);
const durationS = f.seconds('duration', quick ? 10 : 60, 1, 600);
const concurrency = f.int('concurrency', 32, 1, 1000);
const replays = f.int('replays', quick ? 50 : 200, 0, 100_000);
const genCpus = f.str('gen-cpus', '1');
const withWebhook = !a.bool('no-webhook');
const docsFile = a.str('docs') ? path.resolve(a.str('docs')!) : undefined;
if (cpus().length < 2) usageExit('bench:api', 'needs 2 cores: the server on core 0, the generator on core 1');
if (genCpus) execFileSync('taskset', ['-pc', genCpus, String(process.pid)], { stdio: 'ignore' });

interface Published {
  key: string;
  room: string;
  t0: number;
  seq?: number;
  ackMs?: number;
  attempts: number;
}

const started = new Date();
const server = await startServer('scale-chat', { cpus: '0', args: ['--api-rate-per-sec', '100000', '--api-rate-burst', '100000', '--rooms-created-per-hour', '0'] });
const base = server.http;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function createKey(): string {
  const out = execFileSync(process.execPath, [MAIN, 'admin', 'key', 'create', 'loadbot', '--scopes', 'publish,rooms,history', '--data-dir', server.dataDir!], { encoding: 'utf8' });
  const m = /\bsck_[A-Za-z0-9_-]+/.exec(out);
  if (!m) throw new Error(`no key in the output of "admin key create": ${out}`);
  return m[0];
}

const apiKey = createKey();

// ---- a webhook receiver (unless --no-webhook): every message.created must arrive, validly signed ----
interface Hook {
  url: string;
  secret: string;
  created: Map<string, number>;
  requests: number;
  badSignatures: number;
  close: () => void;
}
async function startHook(): Promise<Hook> {
  const created = new Map<string, number>();
  const hook = { created, requests: 0, badSignatures: 0 } as Hook;
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hook.requests++;
      const raw = Buffer.concat(chunks);
      const ts = String(req.headers['x-scalechat-timestamp'] ?? '');
      const sig = String(req.headers['x-scalechat-signature'] ?? '');
      const want = `v1=${createHmac('sha256', hook.secret).update(`${ts}.`).update(raw).digest('hex')}`;
      if (sig.length !== want.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(want))) hook.badSignatures++;
      else {
        const ev = JSON.parse(raw.toString('utf8')) as { type: string; data: { room: string; seq: number } };
        if (ev.type === 'message.created') created.set(`${ev.data.room}#${ev.data.seq}`, (created.get(`${ev.data.room}#${ev.data.seq}`) ?? 0) + 1);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  hook.url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/hook`;
  hook.close = () => srv.close();
  const out = execFileSync(process.execPath, [MAIN, 'admin', 'webhook', 'add', hook.url, '--events', 'message.created', '--data-dir', server.dataDir!], { encoding: 'utf8' });
  const m = /secret: (whsec_[0-9a-f]+)/.exec(out);
  if (!m) throw new Error(`no secret in the output of "admin webhook add": ${out}`);
  hook.secret = m[1];
  await sleep(2000); // the running server picks the endpoint up within its --webhook-poll-ms (1 s)
  return hook;
}
const hook = withWebhook ? await startHook() : null;

function call(method: string, p: string, body?: unknown): Promise<{ status: number; json: any; retryAfter?: number }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(`${base}${p}`, { method, agent, headers: { authorization: `Bearer ${apiKey}`, ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          json = { raw: text.slice(0, 200) };
        }
        const ra = Number(res.headers['retry-after']);
        resolve({ status: res.statusCode ?? 0, json, retryAfter: Number.isFinite(ra) ? ra : undefined });
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}

// ---- rooms and receivers ----
const rooms = Array.from({ length: roomCount }, (_, i) => `api-${i}`);
for (const room of rooms) {
  const r = await call('POST', '/api/v1/rooms', { room, visibility: 'public' });
  if (r.status !== 201 && r.status !== 200) throw new Error(`create ${room}: ${r.status} ${JSON.stringify(r.json)}`);
}

interface Receiver {
  room: string;
  seqs: number[];
  arrivals: Map<number, number>;
  ws: WebSocket;
}
const receivers: Receiver[] = [];
let receiverErrors = 0;

function openReceiver(room: string, i: number): Promise<Receiver> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.url, { perMessageDeflate: false });
    const rec: Receiver = { room, seqs: [], arrivals: new Map(), ws };
    let joined = false;
    const t = setTimeout(() => reject(new Error(`receiver ${room}/${i}: not joined in 20 s`)), 20_000);
    const onEvent = (e: any) => {
      if (e.type === 'welcome') ws.send(JSON.stringify({ type: 'join', id: 'j', room }));
      else if (e.type === 'joined' && !joined) {
        joined = true;
        clearTimeout(t);
        resolve(rec);
      } else if (e.type === 'msg' && e.room === room) {
        rec.seqs.push(e.seq);
        if (!rec.arrivals.has(e.seq)) rec.arrivals.set(e.seq, Date.now());
      } else if (e.type === 'error' && !joined) reject(new Error(`receiver ${room}/${i}: ${e.code} ${e.message}`));
    };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: `r${receivers.length + i}x${room.slice(4)}` }, presence: false })));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'batch') for (const e of frame.events) onEvent(e);
      else if (frame.type === 'ping') ws.send('{"type":"pong"}');
      else onEvent(frame);
    });
    ws.on('error', () => receiverErrors++);
    ws.on('close', () => joined || reject(new Error(`receiver ${room}/${i} closed before joining`)));
  });
}

for (const room of rooms) {
  const batch: Promise<Receiver>[] = [];
  for (let i = 0; i < perRoom; i++) batch.push(openReceiver(room, i));
  receivers.push(...(await Promise.all(batch)));
}
console.log(`bench:api: ${receivers.length} receivers in ${roomCount} rooms; publishing ${rate}/s for ${durationS} s over ${concurrency} connections`);

// ---- publishers ----
const published: Published[] = [];
let retries = 0;
let failures = 0;
const failureSamples: string[] = [];

async function publishOne(p: Published): Promise<void> {
  for (;;) {
    p.attempts++;
    try {
      const r = await call('POST', `/api/v1/rooms/${encodeURIComponent(p.room)}/messages`, { text: `load ${p.key}`, idempotencyKey: p.key });
      if (r.status === 201 || r.status === 200) {
        p.seq = r.json.seq;
        p.ackMs = Date.now() - p.t0;
        return;
      }
      if ((r.status === 429 || r.status === 503) && p.attempts < 20) {
        retries++;
        await sleep(Math.min(5000, (r.retryAfter ?? 0.1) * 1000));
        continue;
      }
      failures++;
      if (failureSamples.length < 5) failureSamples.push(`${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
      return;
    } catch (err) {
      if (p.attempts < 20) {
        retries++;
        await sleep(200);
        continue;
      }
      failures++;
      if (failureSamples.length < 5) failureSamples.push(String(err));
      return;
    }
  }
}

const cpu0 = { gen: process.cpuUsage(), server: cpuSeconds(server.pid), wall: Date.now() };
const inflight = new Set<Promise<void>>();
const startMs = Date.now();
const endMs = startMs + durationS * 1000;
let n = 0;
let behind = 0;
while (Date.now() < endMs) {
  const due = Math.floor(((Date.now() - startMs) / 1000) * rate);
  if (due - n > rate) behind++;
  while (n < due && inflight.size < concurrency * 4) {
    const p: Published = { key: `k${n}`, room: rooms[n % roomCount], t0: Date.now(), attempts: 0 };
    published.push(p);
    n++;
    const pr = publishOne(p).finally(() => inflight.delete(pr));
    inflight.add(pr);
  }
  await sleep(5);
}
await Promise.all(inflight);
const genCpuS = (() => {
  const u = process.cpuUsage(cpu0.gen);
  return (u.user + u.system) / 1e6;
})();
const wallS = (Date.now() - cpu0.wall) / 1000;
const serverCpuS = cpuSeconds(server.pid) - cpu0.server;

// ---- quiet, then check ----
await sleep(1500);
const acked = published.filter((p) => p.seq !== undefined);
const byRoom = new Map<string, Published[]>();
for (const p of acked) (byRoom.get(p.room) ?? byRoom.set(p.room, []).get(p.room)!).push(p);
let seqClashes = 0;
let lost = 0;
let dup = 0;
let outOfOrder = 0;
let deliveries = 0;
const deliveryMs: number[] = [];
for (const [room, ps] of byRoom) {
  const seqs = new Map<number, Published>();
  for (const p of ps) {
    if (seqs.has(p.seq!)) seqClashes++;
    seqs.set(p.seq!, p);
  }
  for (const rec of receivers.filter((r) => r.room === room)) {
    const got = new Set<number>();
    let prev = 0;
    for (const s of rec.seqs) {
      if (got.has(s)) dup++;
      if (s < prev) outOfOrder++;
      prev = s;
      got.add(s);
    }
    for (const [s, p] of seqs) {
      if (!got.has(s)) lost++;
      else {
        deliveries++;
        deliveryMs.push(rec.arrivals.get(s)! - p.t0);
      }
    }
  }
}

// Idempotency: the same keys again give the same seqs.
let replayMismatch = 0;
for (const p of acked.slice(0, replays)) {
  const r = await call('POST', `/api/v1/rooms/${encodeURIComponent(p.room)}/messages`, { text: `load ${p.key}`, idempotencyKey: p.key });
  if (r.json?.seq !== p.seq) replayMismatch++;
}

// History holds each exactly once (paged from the start).
let historyCount = 0;
let historyDup = 0;
for (const room of rooms) {
  const seen = new Set<string>();
  let after = 0;
  for (;;) {
    const r = await call('GET', `/api/v1/rooms/${encodeURIComponent(room)}/messages?after=${after}&limit=100`);
    if (r.status !== 200) throw new Error(`history ${room}: ${r.status} ${JSON.stringify(r.json)}`);
    const msgs: { seq: number; id: string; bot?: boolean }[] = r.json.messages;
    for (const m of msgs) {
      if (seen.has(m.id)) historyDup++;
      seen.add(m.id);
    }
    historyCount += msgs.length;
    if (msgs.length === 0) break;
    after = msgs[msgs.length - 1].seq;
  }
}
for (const r of receivers) r.ws.terminate();
agent.destroy();
// Webhook deliveries: every acked message's message.created, within 60 s.
let hookMissing = 0;
let hookDup = 0;
let hookWaitMs = 0;
if (hook) {
  const t0 = Date.now();
  const missingNow = () => acked.filter((p) => !hook.created.has(`${p.room}#${p.seq}`)).length;
  while (missingNow() > 0 && Date.now() - t0 < 60_000) await sleep(200);
  hookWaitMs = Date.now() - t0;
  hookMissing = missingNow();
  for (const n of hook.created.values()) if (n > 1) hookDup += n - 1;
  hook.close();
}
await stop(server.proc);

const ackMs = acked.map((p) => p.ackMs!);
const genPct = (genCpuS / wallS) * 100;
const genBottleneck = genPct > 90 || behind > 0;
const zeroLoss = hookMissing === 0 && (hook?.badSignatures ?? 0) === 0 && failures === 0 && lost === 0 && dup === 0 && outOfOrder === 0 && seqClashes === 0 && replayMismatch === 0 && historyCount === acked.length && historyDup === 0;
const result = {
  started: started.toISOString(),
  flags: { rooms: roomCount, receiversPerRoom: perRoom, rate, durationS, concurrency, replays },
  published: published.length,
  acked: acked.length,
  failures,
  failureSamples,
  retries,
  seqClashes,
  expectedDeliveries: acked.length * perRoom,
  deliveries,
  lost,
  dup,
  outOfOrder,
  replayMismatch,
  historyCount,
  historyDup,
  receiverErrors,
  webhook: hook ? { requests: hook.requests, created: hook.created.size, missing: hookMissing, duplicates: hookDup, badSignatures: hook.badSignatures, drainedMsAfterPublish: hookWaitMs } : null,
  publishToAckMs: { p50: median(ackMs), p99: pct(ackMs, 99) },
  publishToDeliveryMs: { p50: median(deliveryMs), p99: pct(deliveryMs, 99) },
  achievedRate: acked.length / wallS,
  serverCpuPct: (serverCpuS / wallS) * 100,
  generatorCpuPct: genPct,
  generatorBehindTicks: behind,
  generatorBottleneck: genBottleneck,
  zeroLoss,
};
console.log(JSON.stringify(result, null, 2));

const md = [
  '## Publishing through the HTTP API under load (`npm run bench:api`)',
  '',
  `${provenance(commandLine('api'), started)} Raw: \`{{RESULT}}\`.`,
  '',
  `Method: a scale-chat server (SQLite, API rate limit and rooms per hour lifted) pinned to core 0; this generator pinned to core ${genCpus || '(unpinned)'}. ` +
    `An API key (publish, rooms, history) from \`scale-chat admin key create\`; its bot creates ${roomCount} rooms; ${perRoom} WebSocket guests join each ` +
    `(${fmtInt(roomCount * perRoom)} receivers, raw \`ws\`, docs/protocol.md). ${concurrency} keep-alive HTTP connections post ${fmtInt(rate)} messages/s in all for ${durationS} s ` +
    '(`POST /api/v1/rooms/:room/messages`, one idempotency key each; a 429, 503 or failed connection is retried with the same key). ' +
    'Checked after a quiet second: each message answered 201 once with its own seq; received by every receiver of its room exactly once and in seq order; ' +
    `in the room's history once (paged through the API); ${fmtInt(replays)} keys posted again give the same seq. Latency from the request to the 201 and to each receiver's frame.`,
  '',
  mdTable(
    ['published', 'acked (201)', 'retried', 'deliveries / expected', 'lost', 'dup', 'out of order', 'history', 'replayed keys same seq', 'publish→201 p50 / p99', 'publish→delivery p50 / p99', 'rate achieved', 'server CPU', 'generator CPU'],
    [[
      fmtInt(published.length),
      fmtInt(acked.length),
      fmtInt(retries),
      `${fmtInt(deliveries)} / ${fmtInt(acked.length * perRoom)}`,
      fmtInt(lost),
      fmtInt(dup),
      fmtInt(outOfOrder),
      `${fmtInt(historyCount)} (${fmtInt(historyDup)} dup)`,
      `${fmtInt(Math.min(replays, acked.length) - replayMismatch)} of ${fmtInt(Math.min(replays, acked.length))}`,
      `${fmtMs(result.publishToAckMs.p50)} / ${fmtMs(result.publishToAckMs.p99)}`,
      `${fmtMs(result.publishToDeliveryMs.p50)} / ${fmtMs(result.publishToDeliveryMs.p99)}`,
      `${fmt1(result.achievedRate)}/s`,
      `${fmt1(result.serverCpuPct)}%`,
      `${fmt1(genPct)}%`,
    ]],
  ),
  '',
  hook
    ? `Webhook (a receiver in the generator, endpoint added with \`admin webhook add --events message.created\`, so every message is also written to the delivery outbox in its append): ` +
      `${fmtInt(hook.created.size)} of ${fmtInt(acked.length)} messages' \`message.created\` arrived, ${fmtInt(hookMissing)} missing, ${fmtInt(hookDup)} repeated (at least once allows it), ` +
      `${fmtInt(hook.badSignatures)} with a bad signature, ${fmtInt(hook.requests)} requests; the last arrived ${fmtInt(hookWaitMs)} ms after the publishing ended.`
    : 'No webhook endpoint (--no-webhook).',
  '',
  zeroLoss ? `**Zero loss**: every published message acked once, delivered once to every receiver in seq order, stored once${hook ? ', sent to the webhook' : ''}; replayed idempotency keys gave the same seq.` : '**LOSS OR DUPLICATION FOUND**: see the counts above.',
  genBottleneck ? `The generator was the bottleneck (${fmt1(genPct)}% of a core${behind ? `, ${behind} ticks behind schedule` : ''}): the rate is the generator's, not the server's.` : 'The generator was not the bottleneck (under 90% of a core, never behind schedule).',
].join('\n');
publish('api', md, result, { quick, docsFile });
process.exit(zeroLoss ? 0 : 1);
