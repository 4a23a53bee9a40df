/**
 * The verdict of a run without thresholds: the default checks (no loss, no duplicates, no reordering,
 * every client connected) fail the runs that used to print PASSED and exit 0 (no client connected;
 * 8,546 of 15,000 connections timed out; 3,428 deliveries lost), with the reason in words; the
 * user's thresholds and --max-loss / --max-connect-failures loosen them explicitly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkerResult } from './ipc.js';
import { encode, newHistogram } from './histograms.js';
import { resolveOptions, type LoadOptions } from './options.js';
import { summaryTable } from './progress.js';
import { MetricsScraper } from './scrape.js';
import { buildSummary, type Summary } from './summary.js';
import { checksOf, parseBound, parseThresholds } from './thresholds.js';
import { TickMerger } from './tick-merger.js';
import { OptionError } from './units.js';

const ROOM = 'lt-x-0';

/** One worker's result: `clients` clients, `failures` of them never connected; the connected ones
 *  each received the room's first `received` of `acked` acknowledged messages. */
function result(o: { clients: number; failures: number; acked: number; received: number; duplicates?: number }): WorkerResult {
  const lat = newHistogram();
  const connected = o.clients - o.failures;
  for (let i = 0; i < connected * o.received; i++) lat.recordValue(1000 + (i % 500));
  const seqs = Array.from({ length: o.acked }, (_, i) => i + 1);
  return {
    type: 'result',
    worker: 0,
    sent: o.acked,
    acked: o.acked,
    sendFailed: 0,
    skipped: {},
    received: connected * o.received,
    foreign: 0,
    reconnects: 0,
    resumes: 0,
    connectFailures: o.failures,
    connectedEver: connected,
    leaves: 0,
    peakConnected: connected,
    errors: o.failures ? { connect_timeout: o.failures } : {},
    latency: encode(lat),
    connect: encode(newHistogram()),
    acked_seqs: o.acked ? { [ROOM]: seqs } : {},
    tracks: Array.from({ length: connected }, () => ({ room: ROOM, start: 0, last: o.received, count: o.received, closed: false, holes: null, duplicates: o.duplicates ?? 0, outOfOrder: 0 })),
    eventRows: { sent: 0, received: 0 },
    cpuUs: 0,
    wallMs: 1000,
  };
}

function summarize(flags: Record<string, unknown>, r: WorkerResult, aborted?: string): Summary {
  const o: LoadOptions = resolveOptions({ url: ['ws://127.0.0.1:1/ws'], seed: '1', metricsUrl: ['none'], ...flags }, {});
  const now = Date.now();
  return buildSummary({
    options: o,
    tag: 'x',
    startedAt: new Date(now - 10_000),
    endedAt: new Date(now),
    sendStart: now - 9000,
    sendEnd: now - 1000,
    results: [r],
    ticks: new TickMerger(1, now - 10_000, () => undefined, () => {}),
    scraper: new MetricsScraper([]),
    eventsSample: 0,
    aborted,
  }).summary;
}

test('no thresholds: a clean run passes the default checks', () => {
  const s = summarize({ clients: '10' }, result({ clients: 10, failures: 0, acked: 50, received: 50 }));
  assert.equal(s.passed, true, JSON.stringify(s.thresholds));
  assert.deepEqual(
    s.thresholds.map((t) => [t.expr, t.ok, t.source]),
    [
      ['loss==0', true, 'default'],
      ['duplicates==0', true, 'default'],
      ['out_of_order==0', true, 'default'],
      ['connect_failures==0', true, 'default'],
    ],
  );
  assert.equal(s.reasons, undefined);
  assert.match(summaryTable(s), /^result\s+PASSED$/m);
});

test('no thresholds: 0 of N clients connected fails, saying so', () => {
  const s = summarize({ clients: '200' }, result({ clients: 200, failures: 200, acked: 0, received: 0 }));
  assert.equal(s.passed, false);
  assert.deepEqual(s.reasons, ['200 of 200 clients could not connect (default check connect_failures==0; loosen with --max-connect-failures)']);
  const table = summaryTable(s);
  assert.match(table, /^result\s+FAILED: 200 of 200 clients could not connect/m);
  assert.doesNotMatch(table, /PASSED/);
});

test('no thresholds: 8,546 of 15,000 connections timed out fails; --max-connect-failures loosens it', () => {
  const r = result({ clients: 15_000, failures: 8546, acked: 3, received: 3 });
  const s = summarize({ clients: '15000' }, r);
  assert.equal(s.passed, false);
  assert.deepEqual(s.reasons, ['8546 of 15000 clients could not connect (default check connect_failures==0; loosen with --max-connect-failures)']);
  // A bound the run is within passes; one it exceeds fails (as a count or a percentage of the clients).
  assert.equal(summarize({ clients: '15000', maxConnectFailures: '60%' }, r).passed, true);
  assert.equal(summarize({ clients: '15000', maxConnectFailures: '9000' }, r).passed, true);
  const tight = summarize({ clients: '15000', maxConnectFailures: '1%' }, r);
  assert.equal(tight.passed, false);
  assert.deepEqual(
    tight.thresholds.filter((t) => !t.ok).map((t) => [t.expr, t.source, Math.round(t.actual!)]),
    [['connect_failures_pct<=1%', '--max-connect-failures', 57]],
  );
  assert.match(tight.reasons![0], /^56\.973% of 15000 clients could not connect \(--max-connect-failures check connect_failures_pct<=1%\)$/);
});

test('no thresholds: 3,428 lost deliveries fail; --max-loss and a user threshold on loss loosen it', () => {
  // 1 client, 5,000 messages acked in its room, 1,572 received: 3,428 lost.
  const r = result({ clients: 1, failures: 0, acked: 5000, received: 1572 });
  const s = summarize({ clients: '1' }, r);
  assert.equal(s.messages.lost, 3428);
  assert.equal(s.passed, false);
  assert.deepEqual(s.reasons, ['3428 of 5000 expected deliveries lost (default check loss==0; loosen with --max-loss)']);
  assert.match(summaryTable(s), /^check\s+FAIL loss==0 \(actual 3428, default check\)$/m);
  assert.equal(summarize({ clients: '1', maxLoss: '3428' }, r).passed, true);
  assert.equal(summarize({ clients: '1', maxLoss: '3427' }, r).passed, false);
  assert.equal(summarize({ clients: '1', maxLoss: '70%' }, r).passed, true);
  // A threshold of the user's on the same metric replaces the default check: the user said so.
  const own = summarize({ clients: '1', threshold: ['loss<5000'] }, r);
  assert.equal(own.passed, true, JSON.stringify(own.thresholds));
  assert.deepEqual(own.thresholds.map((t) => t.expr), ['loss<5000', 'duplicates==0', 'out_of_order==0', 'connect_failures==0']);
});

test('duplicates fail by default; a failed user threshold and an abort are reasons too', () => {
  const s = summarize({ clients: '2', threshold: ['p99<0.5ms'] }, result({ clients: 2, failures: 0, acked: 10, received: 10, duplicates: 1 }));
  assert.equal(s.passed, false);
  assert.equal(s.reasons?.length, 2, JSON.stringify(s.reasons));
  assert.match(s.reasons[0], /^delivery latency p99 \(ms\): 1\.\d+ \(threshold p99<0\.5ms\)$/);
  assert.equal(s.reasons[1], '2 duplicate deliveries (default check duplicates==0; loosen with --threshold)');
  const table = summaryTable(s);
  assert.match(table, /^result\s+FAILED: delivery latency p99/m);
  assert.match(table, /^\s+FAILED: 2 duplicate deliveries/m, 'every reason on its own line');

  const aborted = summarize({ clients: '2' }, result({ clients: 2, failures: 0, acked: 10, received: 10 }), 'the connect phase overran its bound');
  assert.equal(aborted.passed, false);
  assert.deepEqual(aborted.reasons, ['the run was aborted: the connect phase overran its bound']);
  assert.match(summaryTable(aborted), /^result\s+FAILED \(aborted: the connect phase overran its bound\)$/m);
});

test('checksOf: defaults, replaced per metric family, bounds always applied; parseBound', () => {
  const none = { thresholds: [], maxLoss: null, maxConnectFailures: null };
  assert.deepEqual(checksOf(none).map((t) => t.expr), ['loss==0', 'duplicates==0', 'out_of_order==0', 'connect_failures==0']);
  const own = { thresholds: parseThresholds('loss_pct<1%,connect_failures<=3,p99<100ms'), maxLoss: null, maxConnectFailures: null };
  assert.deepEqual(checksOf(own).map((t) => [t.expr, t.source]), [
    ['loss_pct<1%', 'threshold'],
    ['connect_failures<=3', 'threshold'],
    ['p99<100ms', 'threshold'],
    ['duplicates==0', 'default'],
    ['out_of_order==0', 'default'],
  ]);
  const bounds = { thresholds: parseThresholds('loss==0'), maxLoss: parseBound('5', '--max-loss'), maxConnectFailures: parseBound('0.5%', '--max-connect-failures') };
  assert.deepEqual(checksOf(bounds).map((t) => [t.expr, t.source]), [
    ['loss==0', 'threshold'],
    ['loss<=5', '--max-loss'],
    ['duplicates==0', 'default'],
    ['out_of_order==0', 'default'],
    ['connect_failures_pct<=0.5%', '--max-connect-failures'],
  ]);
  assert.deepEqual(parseBound('12', 'x'), { count: 12 });
  assert.deepEqual(parseBound(' 1.5% ', 'x'), { pct: 1.5 });
  for (const bad of ['-1', '1.5', 'lots', '101%', '']) assert.throws(() => parseBound(bad, '--max-loss'), (e: Error) => e instanceof OptionError && /--max-loss/.test(e.message), bad);
  assert.throws(() => resolveOptions({ maxLoss: 'some' }, {}), /--max-loss: expected a count/);
  assert.deepEqual(resolveOptions({}, { SCALE_CHAT_LOADTEST_MAX_CONNECT_FAILURES: '2%' }).maxConnectFailures, { pct: 2 }, 'from the environment too');
});
