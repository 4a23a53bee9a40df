/**
 * `scale-chat report`: synthetic run directories (valid per the loadtest output contract, plus
 * corrupt ones) rendered by the real CLI binary and the library API. Checks what a user would
 * look at: the page, its numbers, the PNG files, escaping, exit codes and error messages.
 * SCALE_CHAT_REPORT_KEEP=1 keeps the temp directories (their paths are printed) to look at the charts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderCompare } from '../src/loadtest/report/index.js';
import { tempDir } from './helpers/server.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const fmt = (n: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(n);
const root = tempDir('scale-chat-report-test-');
after(() => {
  if (process.env.SCALE_CHAT_REPORT_KEEP) console.log(`kept report test directories in ${root}`);
  else rmSync(root, { recursive: true, force: true });
});

function fontsInstalled(): boolean {
  for (const d of ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/truetype/liberation']) if (existsSync(d)) return true;
  return false;
}
const noFonts = fontsInstalled() ? false : 'SKIPPED: no fonts-dejavu-core / fonts-liberation in /usr/share/fonts (chart text cannot render)';

/** A small deterministic PRNG so runs are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface RunOptions {
  name?: string;
  clients?: number;
  kind?: 'scale-chat' | 'ws-naive' | 'socketio';
  seconds?: number;
  /** Fraction of Received rows written to events.csv (1 = all). */
  eventsSample?: number;
  bottleneck?: boolean;
  note?: string;
  errorCode?: string;
  thresholdExpr?: string;
  seed?: number;
}

/** Writes a consistent run directory: summary.json totals match timeseries.csv and events.csv. */
function makeRun(dir: string, o: RunOptions = {}) {
  mkdirSync(dir, { recursive: true });
  const rand = rng(o.seed ?? 7);
  const clients = o.clients ?? 200;
  const roomSize = 10;
  const rate = 1;
  const seconds = o.seconds ?? 20;
  const base = 1_900_000_000_000_000; // us since the epoch
  const latScale = 1 + clients / 200;
  const ts = ['t,elapsed_s,connected,sent,acked,received,send_per_s,deliveries_per_s,p50_ms,p90_ms,p99_ms,max_ms,errors,reconnects,gen_cpu_pct,server_cpu_pct'];
  const events = ['message_id,sender_id,client_id,type,timestamp,room,seq,latency_us'];
  const latencies: number[] = [];
  let sent = 0;
  let received = 0;
  let errors = 0;
  let eventRows = 0;
  let peak = 0;
  const deliveriesPerSecond: number[] = [];
  for (let s = 1; s <= seconds; s++) {
    const connected = Math.min(clients, Math.round((clients * s) / 3));
    peak = Math.max(peak, connected);
    const sendNow = Math.round(connected * rate);
    const second: number[] = [];
    for (let i = 0; i < sendNow; i++) {
      const id = `m${sent + i}`;
      const room = `room-${i % 20}`;
      events.push(`${id},c${i},c${i},Sent,${base + s * 1e6 + i},${room},${sent + i + 1},`);
      for (let k = 0; k < roomSize; k++) {
        const ms = latScale * (1 + 3 * -Math.log(1 - rand()) + (s === Math.floor(seconds / 2) ? 40 * rand() : 0));
        second.push(ms);
        latencies.push(ms);
        if (rand() < (o.eventsSample ?? 1)) {
          events.push(`${id},c${i},c${(i + k + 1) % clients},Received,${base + s * 1e6 + i + Math.round(ms * 1000)},${room},${sent + i + 1},${Math.round(ms * 1000)}`);
          eventRows++;
        }
      }
    }
    sent += sendNow;
    received += second.length;
    if (s === 5) errors += 1;
    deliveriesPerSecond.push(second.length);
    second.sort((a, b) => a - b);
    const q = (p: number) => (second.length ? second[Math.min(second.length - 1, Math.floor((p / 100) * second.length))]!.toFixed(3) : '');
    ts.push([base / 1e6 + s, s, connected, sent, sent, received, sendNow, second.length, q(50), q(90), q(99), second.length ? second[second.length - 1]!.toFixed(3) : '', errors, 0, (40 + 20 * rand()).toFixed(1), (60 + 30 * rand()).toFixed(1)].join(','));
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(3));
  const cdfPoints = [...Array.from({ length: 90 }, (_, i) => i), 90, 95, 99, 99.5, 99.9, 99.99, 100];
  const summary = {
    version: 1,
    ...(o.name === undefined ? {} : { name: o.name }),
    startedAt: new Date(base / 1000).toISOString(),
    endedAt: new Date(base / 1000 + seconds * 1000).toISOString(),
    target: { urls: ['ws://127.0.0.1:8080/ws'], kind: o.kind ?? 'scale-chat' },
    workload: { clients, rooms: 20, roomSize, rate, msgSize: 100, dmRatio: 0, duration_s: seconds, connectRate: 100, seed: 1, procs: 2, sourceIps: 1 },
    connections: { target: clients, peak, failures: 0, connectMs: { p50: 1.25, p99: 7.5, max: 12 } },
    messages: { sent, acked: sent, expectedDeliveries: received, delivered: received, lost: 0, duplicates: 0, outOfOrder: 0 },
    latencyMs: { count: latencies.length, mean: Number((latencies.reduce((a, b) => a + b, 0) / latencies.length).toFixed(3)), p50: pct(50), p90: pct(90), p99: pct(99), p999: pct(99.9), max: pct(100) },
    latencyCdf: cdfPoints.map((p) => ({ percentile: p, ms: pct(p) })),
    throughput: { deliveriesPerSec: Number((received / seconds).toFixed(1)), sendPerSec: Number((sent / seconds).toFixed(1)), peakDeliveriesPerSec: Math.max(...deliveriesPerSecond) },
    reconnects: 0,
    resumes: 0,
    errors: { [o.errorCode ?? 'rate_limited']: errors },
    generator: { procs: 2, cpuPct: o.bottleneck ? 97.5 : 48.2, bottleneck: o.bottleneck ?? false, ...(o.note ? { note: o.note } : {}) },
    server: { cpuPct: 71.3, metrics: { scale_chat_connections: clients } },
    thresholds: [
      { expr: o.thresholdExpr ?? 'p99_ms < 50', ok: true, actual: pct(99) },
      { expr: 'lost == 0', ok: true, actual: 0 },
      { expr: 'deliveries_per_s > 1000000', ok: false, actual: Number((received / seconds).toFixed(1)) },
    ],
    passed: false,
  };
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
  writeFileSync(path.join(dir, 'timeseries.csv'), ts.join('\n') + '\n');
  writeFileSync(path.join(dir, 'events.csv'), events.join('\n') + '\n');
  return { dir, summary, eventRows };
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd = root): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'report', ...args], { cwd, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Width and height from a PNG's IHDR chunk, after checking the 8 signature bytes. */
function pngSize(file: string): { width: number; height: number; bytes: number } {
  const buf = readFileSync(file);
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is not a PNG`);
  assert.equal(buf.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bytes: buf.length };
}

function assertGoodPngs(files: string[]): void {
  for (const f of files) {
    const { width, height, bytes } = pngSize(f);
    assert.ok(width >= 800 && width <= 4000, `${f}: width ${width}`);
    assert.ok(height >= 150 && height <= 3000, `${f}: height ${height}`);
    assert.ok(bytes > 10_000 && bytes < 3_000_000, `${f}: ${bytes} bytes`);
  }
}

function assertOffline(html: string): void {
  assert.doesNotMatch(html, /<script/i, 'no scripts');
  assert.doesNotMatch(html, /<link/i, 'no linked resources');
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external URLs');
  assert.doesNotMatch(html, /url\(\s*["']?(https?:)?\/\//i, 'no external CSS URLs');
}

describe('scale-chat report DIR', { skip: noFonts }, () => {
  it('writes a self-contained report.html with the summary numbers and valid PNG charts', async () => {
    const { dir, summary } = makeRun(path.join(root, 'single'), { name: 'baseline 200' });
    const r = await cli([dir]);
    assert.equal(r.code, 0, r.stderr);
    const written = r.stdout.trim().split('\n');
    const htmlFile = path.join(dir, 'report.html');
    assert.equal(written[0], htmlFile);
    const pngs = written.slice(1);
    assert.deepEqual(pngs.map((p) => path.basename(p)).sort(), ['connections.png', 'cpu.png', 'latency-cdf.png', 'latency-histogram.png', 'latency-over-time.png', 'sent-received.png', 'throughput.png']);
    assertGoodPngs(pngs);

    const html = readFileSync(htmlFile, 'utf8');
    assertOffline(html);
    assert.equal(html.match(/src="data:image\/png;base64,/g)?.length, pngs.length, 'every chart is embedded');
    assert.match(html, /baseline 200/);
    for (const n of [summary.messages.sent, summary.messages.delivered, summary.latencyMs.p50, summary.latencyMs.p90, summary.latencyMs.p99, summary.latencyMs.p999, summary.latencyMs.max, summary.throughput.deliveriesPerSec, summary.throughput.peakDeliveriesPerSec, summary.connections.peak]) {
      assert.ok(html.includes(`>${fmt(n)}<`) || html.includes(`>${fmt(n)} (`), `the page shows ${fmt(n)}`);
    }
    assert.match(html, /p99_ms &lt; 50/, 'threshold expressions are listed');
    assert.match(html, /deliveries_per_s &gt; 1000000<\/td><td>[^<]+<\/td><td><span class="badge bad">FAIL/, 'a failed threshold says FAIL');
    assert.match(html, /rate_limited<\/td><td>1</, 'errors by code');
    assert.doesNotMatch(html, /Load generator bottleneck/, 'no bottleneck warning when the generator kept up');
  });

  it('--out writes elsewhere; a bottlenecked generator and sampled events are called out', async () => {
    const { dir } = makeRun(path.join(root, 'sampled'), { eventsSample: 0.1, bottleneck: true, note: 'one process at 100% CPU' });
    const out = path.join(root, 'sampled-out');
    const r = await cli([dir, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(path.join(out, 'report.html')) && !existsSync(path.join(dir, 'report.html')));
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.match(html, /Load generator bottleneck:<\/strong>[^<]*one process at 100% CPU/);
    assert.match(html, /events\.csv holds [\d,]+ Received rows for [\d,]+ deliveries/);
    assert.match(r.stderr, /warning: events\.csv holds/);
  });

  it('shows text from the run files as text, never as markup', async () => {
    const evil = '<script>alert("x")</script>';
    const { dir } = makeRun(path.join(root, 'evil'), { name: evil, errorCode: '<img src=x onerror=alert(1)>', thresholdExpr: 'p99 < 50 && "x"', bottleneck: true, note: '</div><b>bold</b>' });
    const r = await cli([dir]);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    assertOffline(html);
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'), 'the run name is escaped');
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'), 'the error code is escaped');
    assert.ok(html.includes('p99 &lt; 50 &amp;&amp; &quot;x&quot;'), 'the threshold expression is escaped');
    assert.ok(html.includes('&lt;/div&gt;&lt;b&gt;bold&lt;/b&gt;'), 'the generator note is escaped');
    assert.doesNotMatch(html, /<img src=x|<b>bold/);
  });

  it('without events.csv: the report is written without the histogram and says why', async () => {
    const { dir } = makeRun(path.join(root, 'no-events'));
    unlinkSync(path.join(dir, 'events.csv'));
    const r = await cli([dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /latency-histogram\.png/);
    assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /events\.csv not found/);
  });
  it('a run where nothing was delivered (target down) still renders, with dashes instead of numbers', async () => {
    const { dir } = makeRun(path.join(root, 'dead'), { seconds: 3, clients: 10 });
    const s = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    s.connections = { target: 10, peak: 0, failures: 10, connectMs: { p50: null, p99: null, max: null } };
    s.messages = { sent: 0, acked: 0, expectedDeliveries: 0, delivered: 0, lost: 0, duplicates: 0, outOfOrder: 0 };
    s.latencyMs = { count: 0, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };
    s.latencyCdf = [];
    s.throughput = { deliveriesPerSec: 0, sendPerSec: 0, peakDeliveriesPerSec: 0 };
    s.errors = { connect_refused: 10 };
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(s));
    writeFileSync(path.join(dir, 'timeseries.csv'), 't,elapsed_s,connected,sent,acked,received,send_per_s,deliveries_per_s,p50_ms,p90_ms,p99_ms,max_ms,errors,reconnects,gen_cpu_pct,server_cpu_pct\n1,1,0,0,0,0,0,0,,,,,10,0,1.5,\n');
    writeFileSync(path.join(dir, 'events.csv'), 'message_id,sender_id,client_id,type,timestamp,room,seq,latency_us\n');
    const r = await cli([dir]);
    assert.equal(r.code, 0, r.stderr);
    assertGoodPngs(r.stdout.trim().split('\n').slice(1));
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    assert.match(html, /<th>p99<\/th><td>\u2013<\/td>/);
    assert.match(html, /connect_refused<\/td><td>10</);
  });
});

describe('scale-chat report: bad input exits 2 with a clear message', () => {
  const cases: { name: string; breakIt: (dir: string) => void; message: RegExp }[] = [
    { name: 'missing summary.json', breakIt: (d) => unlinkSync(path.join(d, 'summary.json')), message: /summary\.json: cannot read .*summary\.json: no such file/ },
    { name: 'missing timeseries.csv', breakIt: (d) => unlinkSync(path.join(d, 'timeseries.csv')), message: /timeseries\.csv: cannot read .*timeseries\.csv: no such file/ },
    { name: 'summary.json that is not JSON', breakIt: (d) => writeFileSync(path.join(d, 'summary.json'), '{"version": 1, "name": '), message: /summary\.json: .* is not valid JSON/ },
    {
      name: 'summary.json with a wrong field',
      breakIt: (d) => {
        const s = JSON.parse(readFileSync(path.join(d, 'summary.json'), 'utf8'));
        s.messages.sent = 'many';
        delete s.latencyMs;
        writeFileSync(path.join(d, 'summary.json'), JSON.stringify(s));
      },
      message: /does not match the run summary format[\s\S]*messages\.sent[\s\S]*latencyMs/,
    },
    {
      name: 'timeseries.csv with a bad number',
      breakIt: (d) => {
        const lines = readFileSync(path.join(d, 'timeseries.csv'), 'utf8').split('\n');
        lines[2] = lines[2]!.replace(/^([^,]*,[^,]*,)[^,]*/, '$1lots');
        writeFileSync(path.join(d, 'timeseries.csv'), lines.join('\n'));
      },
      message: /timeseries\.csv: .* line 3: column connected: expected a number, found "lots"/,
    },
    { name: 'timeseries.csv with a wrong header', breakIt: (d) => writeFileSync(path.join(d, 'timeseries.csv'), 'time,value\n1,2\n'), message: /line 1: expected the header "t,elapsed_s,/ },
    {
      name: 'events.csv with an unknown event type',
      breakIt: (d) => writeFileSync(path.join(d, 'events.csv'), 'message_id,sender_id,client_id,type,timestamp,room,seq,latency_us\nm1,c1,c1,Sent,1,r,1,\nm1,c1,c2,Teleported,2,r,1,5\n'),
      message: /events\.csv: .* line 3: column type: expected Sent or Received, found "Teleported"/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { dir } = makeRun(path.join(root, `bad-${c.name.replace(/\W+/g, '-')}`), { seconds: 4, clients: 20 });
      c.breakIt(dir);
      const r = await cli([dir]);
      assert.equal(r.code, 2, `exit code 2, got ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, /^scale-chat report: /);
      assert.match(r.stderr, c.message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(path.join(dir, 'report.html')));
    });
  }

  it('a directory that does not exist, no directory, or --compare with one directory', async () => {
    const missing = await cli([path.join(root, 'nope')]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /run directory .*nope: no such file/);
    const none = await cli([]);
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /missing required argument/);
    const one = await cli(['--compare', path.join(root, 'nope')]);
    assert.equal(one.code, 2, one.stderr);
    assert.match(one.stderr, /--compare needs at least two run directories/);
  });
});

describe('scale-chat report --compare', { skip: noFonts }, () => {
  const sweep = [100, 200, 400].map((clients, i) =>
    makeRun(path.join(root, `sweep-${clients}`), { name: `sweep ${clients}`, clients, seconds: 12, seed: i + 1, eventsSample: 0.2 }),
  );
  const peer = makeRun(path.join(root, 'peer-200'), { name: 'socket.io 200', clients: 200, kind: 'socketio', seconds: 12, seed: 9 });

  it('overlays three runs into ./report-compare: table, charts, markdown', async () => {
    const cwd = path.join(root, 'cwd');
    mkdirSync(cwd, { recursive: true });
    const r = await cli(['--compare', ...sweep.map((s) => s.dir)], cwd);
    assert.equal(r.code, 0, r.stderr);
    const out = path.join(cwd, 'report-compare');
    const written = r.stdout.trim().split('\n').map((p) => path.resolve(cwd, p));
    assert.deepEqual(written.slice(0, 2), [path.join(out, 'compare.html'), path.join(out, 'compare.md')]);
    const pngs = written.slice(2);
    assert.deepEqual(pngs.map((p) => path.basename(p)), ['compare-scaling.png', 'compare-latency-cdf.png', 'compare-p99-over-time.png', 'compare-deliveries.png']);
    assertGoodPngs(pngs);

    const html = readFileSync(path.join(out, 'compare.html'), 'utf8');
    assertOffline(html);
    assert.equal(html.match(/src="data:image\/png;base64,/g)?.length, 4);
    const summaryTable = html.slice(html.indexOf('<h2>Summary</h2>'), html.indexOf('<h2>Runs</h2>'));
    const rows = summaryTable.match(/<tr><td>sweep \d+<\/td>.*?<\/tr>/g) ?? [];
    assert.deepEqual(rows.map((row) => row.match(/sweep \d+/)![0]), ['sweep 100', 'sweep 200', 'sweep 400']);
    for (const [i, s] of sweep.entries()) {
      assert.ok(rows[i]!.includes(`<td>${fmt(s.summary.latencyMs.p99)}</td>`), `p99 of ${s.summary.name}`);
      assert.ok(rows[i]!.includes(`<td>${fmt(s.summary.throughput.deliveriesPerSec)}</td>`), `deliveries/s of ${s.summary.name}`);
    }
    const md = readFileSync(path.join(out, 'compare.md'), 'utf8');
    assert.equal(md.split('\n').filter((l) => l.startsWith('| sweep ')).length, 3);
    assert.match(md, /!\[[^\]]+\]\(compare-scaling\.png\)/);
  });

  it('renderCompare() (library API) writes the same files where asked, mixing target kinds', async () => {
    const out = path.join(root, 'lib-compare', 'nested');
    const res = await renderCompare([...sweep.map((s) => s.dir), peer.dir], out);
    assert.equal(res.html, path.join(out, 'compare.html'));
    assert.equal(res.markdown, path.join(out, 'compare.md'));
    assertGoodPngs(res.pngs);
    const html = readFileSync(res.html, 'utf8');
    assert.match(html, /<td>socket\.io 200<\/td><td>socketio<\/td>/);
    assert.ok(statSync(res.html).size < 5_000_000);
  });
});
