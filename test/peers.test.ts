/**
 * The comparison peers of `npm run bench:peers`: each peer server (bench/peers/) starts as its own
 * process, a 50-client 3-second `scale-chat loadtest` against it through its target adapter
 * (`--target ws-naive`, `--target socketio`) has every message acknowledged and delivered to every
 * member with zero loss, and each server answers bad input with an error instead of crashing.
 * Real processes, real sockets, port 0; both peers run at the same time.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { socketIoUrl } from '../src/loadtest/targets/socketio.js';
import { bestTable, failures, type Point, type PointSummary, type Target } from '../bench/peers/sweep-report.js';
import { tempDir } from './helpers/server.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const PEERS = {
  'ws-naive': { script: fileURLToPath(new URL('../bench/peers/ws-naive-server.js', import.meta.url)), path: '/ws' },
  socketio: { script: fileURLToPath(new URL('../bench/peers/socketio.js', import.meta.url)), path: '' },
} as const;
type Peer = keyof typeof PEERS;

const children = new Set<ChildProcess>();
const dirs: string[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts a peer server on port 0; resolves with its port once it prints its listening line. */
function startPeer(peer: Peer): Promise<{ port: number; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    // stdin is a pipe: the server exits by itself if this test process dies.
    const child = spawn(process.execPath, [PEERS[peer].script, '--port', '0', '--max-lifetime-s', '120'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => reject(new Error(`${peer} did not start within 15 s: ${stderr}`)), 15_000);
    child.on('exit', (code) => reject(new Error(`${peer} exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /"port":(\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), child });
      }
    });
  });
}

function stopPeer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.on('exit', () => {
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function loadtest(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, 'loadtest', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, out });
    });
  });
}

interface Summary {
  target: { kind: string };
  connections: { peak: number; failures: number };
  messages: { sent: number; acked: number; expectedDeliveries: number; delivered: number; lost: number; duplicates: number; outOfOrder: number; foreign: number };
  latencyMs: { count: number; p99: number | null };
  server: { cpuPct?: number };
  passed: boolean;
}

/** Opens a raw socket and collects its text frames. */
async function rawSocket(url: string): Promise<{ ws: WebSocket; next: (pred: (t: string) => boolean) => Promise<string> }> {
  const ws = new WebSocket(url);
  const frames: string[] = [];
  const waiters: { pred: (t: string) => boolean; resolve: (t: string) => void }[] = [];
  ws.on('message', (d) => {
    const t = d.toString();
    const i = waiters.findIndex((w) => w.pred(t));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(t);
    else frames.push(t);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (pred: (t: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const i = frames.findIndex(pred);
      if (i >= 0) return resolve(frames.splice(i, 1)[0]);
      const timer = setTimeout(() => reject(new Error(`no matching frame within 10 s (got ${JSON.stringify(frames).slice(0, 500)})`)), 10_000);
      waiters.push({
        pred,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });
  return { ws, next };
}

describe('comparison peers', () => {
  for (const peer of Object.keys(PEERS) as Peer[]) {
    test(`${peer}: the server starts, 50 clients for 3 s through --target ${peer}: zero loss`, async () => {
      const { port, child } = await startPeer(peer);
      const dir = tempDir('scale-chat-peers-');
      dirs.push(dir);
      const url = `ws://127.0.0.1:${port}${PEERS[peer].path}`;
      const r = await loadtest(['--target', peer, '--url', url, '--clients', '50', '--rooms', '1', '--rate', '1', '--duration', '3s', '--out', dir, '--threshold', 'loss==0']);
      assert.equal(r.code, 0, r.out);
      const s = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
      assert.equal(s.target.kind, peer);
      assert.equal(s.connections.peak, 50);
      assert.equal(s.connections.failures, 0);
      const m = s.messages;
      assert.ok(m.sent >= 50 && m.acked === m.sent, `every send acknowledged: ${JSON.stringify(m)}`);
      assert.equal(m.expectedDeliveries, m.acked * 50, 'each acked message expected at all 50 members');
      assert.equal(m.lost, 0, JSON.stringify(m));
      assert.equal(m.delivered, m.expectedDeliveries);
      assert.equal(m.duplicates, 0);
      assert.equal(m.outOfOrder, 0);
      assert.equal(m.foreign, 0);
      assert.equal(s.latencyMs.count, m.delivered, 'a latency for every delivery');
      assert.equal(typeof s.server.cpuPct, 'number', 'the peer exposes its CPU at /metrics like scale-chat');
      assert.equal(s.passed, true);
      await stopPeer(child);
    });
  }

  test('ws-naive: bad frames get an error frame and the server keeps serving', async () => {
    const { port, child } = await startPeer('ws-naive');
    const { ws, next } = await rawSocket(`ws://127.0.0.1:${port}/ws`);
    ws.send('not json');
    assert.match(await next((t) => t.includes('"error"')), /"code":"bad_frame"/);
    ws.send(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: 'ann' } }));
    assert.match(await next((t) => t.includes('"welcome"')), /"name":"ann"/);
    ws.send(JSON.stringify({ type: 'send', id: 'm1', room: 'nowhere', text: 'hi' }));
    assert.match(await next((t) => t.includes('"re":"m1"')), /"code":"not_member"/);
    ws.send(JSON.stringify({ type: 'send', id: 7 }));
    assert.match(await next((t) => t.includes('"bad_request"')), /send needs id, room and text/);
    ws.send(JSON.stringify({ type: 'join', id: 'j1', room: 'r' }));
    assert.match(await next((t) => t.includes('"joined"')), /"lastSeq":0/);
    ws.send(JSON.stringify({ type: 'send', id: 'm2', room: 'r', text: 'hello' }));
    assert.match(await next((t) => t.includes('"ack"')), /"seq":1/);
    assert.match(await next((t) => t.includes('"msg"')), /"text":"hello"/);
    ws.close();
    await stopPeer(child);
  });

  test('socketio: requests before hello or with bad fields get {error}, the server keeps serving', async () => {
    const { port, child } = await startPeer('socketio');
    const { ws, next } = await rawSocket(socketIoUrl(`ws://127.0.0.1:${port}`));
    assert.match(await next((t) => t.startsWith('0{')), /"sid"/);
    ws.send('40');
    await next((t) => t.startsWith('40'));
    ws.send('421["send",{"id":"m1","room":"r","text":"x"}]');
    assert.match(await next((t) => t.startsWith('431')), /"error":"handshake_required"/);
    ws.send('422["hello",{"name":"bob"}]');
    assert.match(await next((t) => t.startsWith('432')), /"name":"bob"/);
    ws.send('423["send",null]');
    assert.match(await next((t) => t.startsWith('433')), /"error":"bad_request"/);
    ws.send('424["send",{"id":"m2","room":"r","text":"x"}]');
    assert.match(await next((t) => t.startsWith('434')), /"error":"not_member"/);
    ws.send('425["join",{"room":"r"}]');
    assert.match(await next((t) => t.startsWith('435')), /"lastSeq":0/);
    ws.send('426["send",{"id":"m3","room":"r","text":"hello"}]');
    assert.match(await next((t) => t.startsWith('436')), /"seq":1/);
    assert.match(await next((t) => t.startsWith('42["msg"')), /"text":"hello"/);
    ws.close();
    await stopPeer(child);
  });

  test('socketio target URLs: the default Engine.IO path and query are added, explicit ones kept', () => {
    assert.equal(socketIoUrl('ws://127.0.0.1:3000'), 'ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket');
    assert.equal(socketIoUrl('ws://h:1/custom/?EIO=4&transport=websocket'), 'ws://h:1/custom/?EIO=4&transport=websocket');
  });

  test('bench:peers analysis: the best point with p99 <= 100 ms and zero loss per target, and the ratios', () => {
    const pt = (target: Target, clients: number, dps: number, p99: number, lost = 0, bottleneck = false): Point => {
      const summary: PointSummary = {
        connections: { peak: clients, failures: 0 },
        messages: { sent: 10, acked: 10, sendFailed: 0, expectedDeliveries: 100, delivered: 100 - lost, lost, duplicates: 0 },
        latencyMs: { p50: 1, p99, max: p99 },
        throughput: { deliveriesPerSec: dps },
        skippedSends: {},
        generator: { cpuPct: bottleneck ? 95 : 50, bottleneck },
        server: { cpuPct: 50 },
      };
      return { target, clients, dir: '/x', summary, othersPct: 0, attempts: 1 };
    };
    const points = [
      pt('scale-chat', 100, 10_000, 5),
      pt('scale-chat', 300, 90_000, 40),
      pt('scale-chat', 500, 200_000, 900, 0, true),
      pt('ws-naive', 100, 10_000, 8),
      pt('ws-naive', 300, 89_000, 150),
      pt('ws-naive', 500, 60_000, 5000, 12),
      pt('socketio', 100, 10_000, 9),
      pt('socketio', 300, 45_000, 99),
    ];
    assert.deepEqual(failures(points[5]), ['12 lost', 'p99 5,000 ms']);
    assert.deepEqual(failures({ ...points[0], summary: null, error: 'server exited (1)' }), ['server exited (1)']);
    const { md, bests } = bestTable(points, [100, 300, 500], ['scale-chat', 'ws-naive', 'socketio']);
    assert.deepEqual(bests.map((b) => b.point?.clients), [300, 100, 300]);
    assert.equal(bests[0].generatorLimited, true, 'the next scale-chat point failed with the generator flagged');
    const rows = md.split('\n');
    assert.match(rows.find((r) => r.startsWith('| ws-naive'))!, /\| 9\.0x \(at least\) \|$/);
    assert.match(rows.find((r) => r.startsWith('| socketio'))!, /\| 2\.0x \(at least\) \|$/);
  });
});
