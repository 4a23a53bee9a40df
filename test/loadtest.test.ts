/**
 * `scale-chat loadtest` end to end: the real CLI in a child process against a real server (in this
 * process, port 0, temp data dir). Asserts what a user of the load lab relies on: the exit code,
 * zero loss with every expected delivery made, files with the documented headers whose row counts
 * agree with summary.json, the multi-process mode, thresholds, a ramp, and a server restart in the
 * middle of a run (the SDK reconnects and resumes: acked messages are still all delivered). The
 * 200-client run is also rendered by `scale-chat report`, as a user would look at it.
 * The runs are small and run concurrently, each against its own server.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, tempDir, type TestServer } from './helpers/server.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** Server limits that let a load run through (the defaults throttle at 20 frames/s per connection). */
const LOAD_LIMITS = { ratePerSec: 1000, rateBurst: 2000 };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function loadtest(args: string[], onSpawn?: () => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, 'loadtest', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Bounded: a run that hangs fails the test instead of the suite.
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
    onSpawn?.();
  });
}

interface Summary {
  workload: { clients: number; ramp: string | null; procs: number };
  connections: { target: number; peak: number; failures: number; connectedEver: number; leftByRamp: number; connectMs: { p50: number | null } };
  messages: { sent: number; acked: number; expectedDeliveries: number; delivered: number; lost: number; duplicates: number; outOfOrder: number; received: number };
  latencyMs: { count: number; p50: number | null; p99: number | null; max: number | null };
  latencyCdf: { percentile: number; ms: number }[];
  throughput: { deliveriesPerSec: number; sendPerSec: number; peakDeliveriesPerSec: number };
  reconnects: number;
  resumes: number;
  generator: { procs: number; cpuPct: number; bottleneck: boolean };
  server: { metrics?: Record<string, number> };
  events: { sample: number; sentRows: number; receivedRows: number };
  thresholds: { expr: string; ok: boolean; actual: number | null; source: string }[];
  passed: boolean;
  reasons?: string[];
}

function readCsv(file: string): { header: string; rows: string[][] } {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  return { header: lines[0], rows: lines.slice(1).map((l) => l.split(',')) };
}

function explain(r: Run): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(-3000)}`;
}

/** Everything a clean run promises, checked against its files. */
function checkRun(dir: string, r: Run): Summary {
  assert.equal(r.code, 0, explain(r));
  const s = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
  const m = s.messages;
  assert.ok(m.sent > 0 && m.acked === m.sent, `every send acknowledged: ${JSON.stringify(m)}`);
  assert.ok(m.expectedDeliveries > 0, 'deliveries were expected');
  assert.equal(m.lost, 0, `no loss: ${JSON.stringify(m)}`);
  assert.equal(m.delivered, m.expectedDeliveries, 'every expected delivery made');
  assert.equal(m.duplicates, 0);
  assert.equal(m.outOfOrder, 0);
  assert.equal(s.latencyMs.count, m.received, 'a latency sample per delivery');
  assert.ok(s.latencyMs.p50! > 0 && s.latencyMs.p99! >= s.latencyMs.p50! && s.latencyMs.max! >= s.latencyMs.p99!, JSON.stringify(s.latencyMs));
  assert.ok(s.latencyCdf.length >= 90, 'a CDF of ~100 points');
  assert.deepEqual(s.thresholds.map((t) => t.ok), s.thresholds.map(() => true));
  assert.equal(s.passed, true);
  assert.ok(r.stdout.includes('PASSED'), 'the final table says so');

  const ev = readCsv(path.join(dir, 'events.csv'));
  assert.equal(ev.header, 'message_id,sender_id,client_id,type,timestamp,room,seq,latency_us');
  assert.equal(s.events.sample, 1, 'a small run logs every message');
  const sent = ev.rows.filter((x) => x[3] === 'Sent');
  const received = ev.rows.filter((x) => x[3] === 'Received');
  assert.equal(sent.length, m.sent, 'one Sent row per message');
  assert.equal(received.length, m.received, 'one Received row per delivery');
  assert.equal(sent.length + received.length, ev.rows.length, 'only Sent and Received rows');
  const now = Date.now() * 1000;
  for (const row of ev.rows.slice(0, 500)) {
    assert.equal(row.length, 8, row.join(','));
    const ts = Number(row[4]);
    assert.ok(ts > now - 600e6 && ts <= now, `timestamp in microseconds: ${row[4]}`);
    assert.ok(Number(row[6]) >= 1, 'seq of an acked message');
    if (row[3] === 'Received') assert.ok(Number(row[7]) >= 0, 'latency_us');
    else assert.equal(row[7], '', 'no latency on Sent rows');
  }

  const ts = readCsv(path.join(dir, 'timeseries.csv'));
  assert.equal(ts.header, 't,elapsed_s,connected,sent,acked,received,send_per_s,deliveries_per_s,p50_ms,p90_ms,p99_ms,max_ms,errors,reconnects,gen_cpu_pct,server_cpu_pct');
  assert.ok(ts.rows.length >= 3, 'rows per second');
  ts.rows.forEach((row, i) => {
    assert.equal(row.length, 16);
    assert.equal(Number(row[1]), i + 1, 'elapsed_s counts seconds');
  });
  const last = ts.rows[ts.rows.length - 1];
  assert.equal(Number(last[3]), m.sent, 'cumulative sent ends at the summary count');
  assert.equal(Number(last[4]), m.acked);
  assert.equal(Number(last[5]), m.received, 'cumulative received ends at the summary count');
  const perSecond = ts.rows.reduce((a, row) => a + Number(row[7]), 0);
  assert.equal(perSecond, m.received, 'deliveries_per_s adds up to the deliveries');
  return s;
}

/** Messages the server has accepted so far. */
async function accepted(srv: TestServer): Promise<number> {
  return (await srv.app.metrics.messagesAccepted.get()).values[0]?.value ?? 0;
}

async function withServer<T>(f: (srv: TestServer, dir: string) => Promise<T>): Promise<T> {
  const srv = await startServer(LOAD_LIMITS);
  const dir = tempDir('scale-chat-loadtest-');
  try {
    return await f(srv, dir);
  } finally {
    await srv.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('loadtest against a real server', { concurrency: true }, () => {
  test('200 clients for 10 s: zero loss, every expected delivery, consistent files', async () => {
    await withServer(async (srv, dir) => {
      const r = await loadtest(['--url', srv.url, '--clients', '200', '--rooms', '4', '--dm-ratio', '0.2', '--duration', '10', '--out', dir, '--threshold', 'loss==0', '--seed', '7']);
      const s = checkRun(dir, r);
      assert.equal(s.connections.peak, 200);
      assert.equal(s.connections.failures, 0);
      assert.ok(s.connections.connectMs.p50! > 0);
      // 200 clients at 1 msg/s for 10 s (a random phase, +-10% jitter); rooms of 50, 20% DMs.
      assert.ok(s.messages.sent > 0 && s.messages.sent <= 2200, `at most 11 sends per client: ${s.messages.sent}`);
      assert.ok(s.messages.expectedDeliveries > s.messages.sent * 30, 'fan-out to the rooms');
      assert.ok(s.server.metrics && s.server.metrics.scalechat_messages_accepted_total_delta >= s.messages.acked, 'the server metrics were sampled');
      assert.equal(s.reconnects, 0);

      // The run's report: the page carries the run's own numbers and its charts, inline (offline).
      const rep = await promisify(execFile)(process.execPath, [MAIN, 'report', dir], { timeout: 60_000 });
      const files = rep.stdout.trim().split('\n');
      assert.equal(files[0], path.join(dir, 'report.html'), rep.stdout);
      const html = readFileSync(files[0]!, 'utf8');
      assert.ok(html.includes(s.messages.sent.toLocaleString('en-US')), 'the page shows how many messages were sent');
      assert.ok((html.match(/<img [^>]*src="data:image\/png;base64,/g) ?? []).length >= 6, 'charts embedded in the page');
      assert.doesNotMatch(html, /<script|(src|href)="https?:/i, 'works offline');
      for (const png of ['latency-over-time.png', 'latency-cdf.png', 'throughput.png', 'sent-received.png', 'connections.png', 'cpu.png']) {
        const f = path.join(dir, png);
        assert.ok(files.includes(f) && existsSync(f), `${png} written`);
        assert.deepEqual([...readFileSync(f).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${png} is a PNG`);
      }
    });
  });

  test('--procs 2 spreads clients over child processes and merges exact counts', async () => {
    await withServer(async (srv, dir) => {
      const r = await loadtest(['--url', srv.url, '--clients', '120', '--rooms', '3', '--dm-ratio', '0.3', '--duration', '4', '--procs', '2', '--out', dir]);
      const s = checkRun(dir, r);
      assert.equal(s.generator.procs, 2);
      assert.equal(s.workload.procs, 2);
      assert.equal(s.connections.peak, 120);
    });
  });

  test('a violated threshold makes the exit code non-zero', async () => {
    await withServer(async (srv, dir) => {
      const r = await loadtest(['--url', srv.url, '--clients', '20', '--duration', '2', '--out', dir, '--threshold', 'loss==0,delivered<1']);
      assert.equal(r.code, 1, explain(r));
      const s = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
      assert.deepEqual(
        s.thresholds.filter((t) => t.source === 'threshold').map((t) => [t.expr, t.ok]),
        [
          ['loss==0', true],
          ['delivered<1', false],
        ],
      );
      // The default checks of what the user did not name still ran (and held).
      assert.deepEqual(
        s.thresholds.filter((t) => t.source === 'default').map((t) => [t.expr, t.ok]),
        [
          ['duplicates==0', true],
          ['out_of_order==0', true],
          ['connect_failures==0', true],
        ],
      );
      assert.equal(s.passed, false);
      assert.ok(r.stdout.includes('FAIL delivered<1'), r.stdout);
      assert.match(r.stdout, /^result\s+FAILED: .*\(threshold delivered<1\)$/m);
    });
  });

  test('a ramp connects and disconnects clients by stages, still without loss', async () => {
    await withServer(async (srv, dir) => {
      const r = await loadtest(['--url', srv.url, '--ramp', '3s:40,2s:40,2s:10,1s:10', '--rooms', '2', '--rate', '2', '--dm-ratio', '0.2', '--out', dir, '--threshold', 'loss==0']);
      const s = checkRun(dir, r);
      assert.equal(s.workload.ramp, '3s:40,2s:40,2s:10,1s:10');
      assert.equal(s.workload.clients, 40, 'the pool is the highest stage');
      // Clients connect in index order and the highest leave first. Whatever the machine's speed: of
      // the K clients that ever connected, every one above index 10 left when the target fell to 10
      // (at least K - 10), each client at most once (at most 30).
      const k = s.connections.connectedEver;
      assert.ok(k >= 1 && k <= 40, `connected: ${k}`);
      assert.ok(s.connections.peak >= 1 && s.connections.peak <= k, `peak ${s.connections.peak} of ${k}`);
      assert.ok(s.connections.leftByRamp >= k - 10 && s.connections.leftByRamp <= 30, `left: ${s.connections.leftByRamp} of ${k}`);
      const ts = readCsv(path.join(dir, 'timeseries.csv'));
      assert.ok(ts.rows.every((row) => Number(row[2]) <= 40), 'never above the highest stage');
    });
  });

  test('no server at the URL: the run gives up after 10 s with a clear message and exit code 3', async () => {
    const dir = tempDir('scale-chat-loadtest-');
    try {
      // Port 9 (discard) has no listener on loopback: every connection is refused.
      const r = await loadtest(['--url', 'ws://127.0.0.1:9/ws', '--clients', '5', '--duration', '2', '--out', dir]);
      assert.equal(r.code, 3, explain(r));
      assert.match(r.stderr, /no client could connect in 10 s: is a server listening at ws:\/\/127\.0\.0\.1:9\/ws\?/);
      assert.match(r.stdout, /^result\s+FAILED \(aborted: no client could connect/m, r.stdout);
      assert.doesNotMatch(r.stdout, /PASSED/);
      const s = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary & { aborted?: string };
      assert.equal(s.passed, false);
      assert.match(s.aborted ?? '', /no client could connect/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Without any --threshold, a run whose clients did not connect must not pass (it used to print
  // PASSED and exit 0): the default check connect_failures==0 fails it, saying why.
  test('no thresholds, a ramp against a URL where nothing listens: FAILED, exit 1, the reason printed', async () => {
    const dir = tempDir('scale-chat-loadtest-');
    try {
      const r = await loadtest(['--url', 'ws://127.0.0.1:9/ws', '--ramp', '2s:5', '--drain-timeout', '2s', '--out', dir]);
      assert.equal(r.code, 1, explain(r));
      assert.match(r.stdout, /^result\s+FAILED: 5 of 5 clients could not connect \(default check connect_failures==0; loosen with --max-connect-failures\)$/m, explain(r));
      const s = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
      assert.equal(s.passed, false);
      assert.equal(s.connections.failures, 5);
      assert.deepEqual(s.reasons, ['5 of 5 clients could not connect (default check connect_failures==0; loosen with --max-connect-failures)']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no thresholds, a server that accepts TCP and never answers: every connection times out, FAILED, exit 1', async () => {
    const held = new Set<Socket>();
    const black = createServer((sock) => {
      held.add(sock);
      sock.on('error', () => {});
    });
    await new Promise<void>((resolve) => black.listen(0, '127.0.0.1', resolve));
    try {
      const port = (black.address() as AddressInfo).port;
      const r = await loadtest(['--url', `ws://127.0.0.1:${port}/ws`, '--metrics-url', 'none', '--clients', '4', '--connect-timeout', '2s', '--duration', '1']);
      assert.equal(r.code, 1, explain(r));
      assert.match(r.stdout, /^connections\s+0 peak of 4, 4 failed/m, r.stdout);
      assert.match(r.stdout, /^result\s+FAILED: 4 of 4 clients could not connect/m, r.stdout);
    } finally {
      for (const s of held) s.destroy();
      await new Promise((resolve) => black.close(resolve));
    }
  });

  test('no thresholds, a server that holds only some of the clients: FAILED; --max-connect-failures 50% lets it pass', async () => {
    const srv = await startServer({ ...LOAD_LIMITS, maxConnections: 4 });
    try {
      const args = ['--url', srv.url, '--clients', '8', '--connect-timeout', '3s', '--duration', '1'];
      const strict = await loadtest(args);
      assert.equal(strict.code, 1, explain(strict));
      assert.match(strict.stdout, /^result\s+FAILED: 4 of 8 clients could not connect/m, strict.stdout);
      const loose = await loadtest([...args, '--max-connect-failures', '50%']);
      assert.equal(loose.code, 0, explain(loose));
      assert.match(loose.stdout, /^check\s+ok   connect_failures_pct<=50% \(actual 50, --max-connect-failures\)$/m, loose.stdout);
      assert.match(loose.stdout, /^result\s+PASSED$/m);
    } finally {
      await srv.cleanup();
    }
  });

  test('a server restart in the middle of a run: clients reconnect and resume, no acked message is lost', async () => {
    const dataDir = tempDir();
    const dir = tempDir('scale-chat-loadtest-');
    let srv = await startServer(LOAD_LIMITS, dataDir);
    const port = srv.port;
    try {
      let restarted: Promise<void> = Promise.resolve();
      const r = await loadtest(['--url', srv.url, '--clients', '60', '--rooms', '2', '--dm-ratio', '0.2', '--rate', '2', '--duration', '8', '--out', dir, '--threshold', 'loss==0'], () => {
        restarted = (async () => {
          // Restart once every client is sending: after about one second's worth of messages (bounded wait).
          const until = Date.now() + 30_000;
          while ((await accepted(srv)) < 120) {
            if (Date.now() > until) throw new Error('the load run never started sending');
            await new Promise((res) => setTimeout(res, 50));
          }
          await srv.stop();
          srv = await startServer({ ...LOAD_LIMITS, port }, dataDir);
        })();
      });
      await restarted;
      const s = checkRun(dir, r);
      assert.ok(s.reconnects >= 60, `every client reconnected: ${s.reconnects}`);
      assert.ok(s.resumes >= 60, `and resumed its session: ${s.resumes}`);
    } finally {
      await srv.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('loadtest: bad options are refused with a clear message and exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['--clients', 'many'], /--clients: expected a number/],
    [['--ramp', '30s'], /--ramp: stage "30s" is not <duration>:<clients>/],
    [['--threshold', 'p99<<1'], /--threshold: "p99<<1" is not/],
    [['--threshold', 'speed>1'], /unknown metric "speed"/],
    [['--url', 'http://x'], /must start with ws:\/\/ or wss:\/\//],
    [['--source-ips', '127.0.0.9-127.0.0.1'], /ends before it starts/],
    [['--target', 'smoke-signals'], /--target/],
    [['--scenario', '/nonexistent.yaml'], /cannot read/],
  ];
  for (const [args, re] of cases) {
    const r = await loadtest(['--url', 'ws://127.0.0.1:9/ws', '--duration', '1', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${explain(r)}`);
    assert.match(r.stderr, re, args.join(' '));
  }
});
