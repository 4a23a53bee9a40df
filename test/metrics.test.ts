/**
 * Metrics: a known workload moves each metric family by the expected amount, and `promtool check
 * metrics` (Debian's prometheus package) finds nothing wrong with what /metrics exposes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { AckFrame } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';

const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

/** Parses the text exposition into `name{labels}` -> value (node label dropped). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = (m[2] ?? '').replace(/,?node="[^"]*"/, '').replace('{,', '{').replace('{}', '');
    out.set(m[1] + labels, Number(m[3]));
  }
  return out;
}

let srv: TestServer;
async function scrape(): Promise<Map<string, number>> {
  return parse(await (await fetch(srv.http + '/metrics')).text());
}
const get = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

before(async () => {
  srv = await startServer({ ratePerSec: 5, rateBurst: 10, floodCloseAfter: 1000, heartbeatMs: 200 }, undefined, { processMetrics: true });
});
after(() => srv.cleanup());

describe('metrics move with a known workload', () => {
  it('connections, handshakes, frames, messages, deliveries, acks, fan-out, store, bus, errors, rate limits', async () => {
    const m0 = await scrape();
    const clients = await Promise.all(['m1', 'm2', 'm3'].map((n) => RawClient.guest(srv.url, n, { presence: false })));
    const [a] = clients;
    const m1 = await scrape();
    assert.equal(get(m1, 'scalechat_connections'), 3);
    assert.equal(get(m1, 'scalechat_handshakes_total{result="ok"}') - get(m0, 'scalechat_handshakes_total{result="ok"}'), 3);
    for (let i = 0; i < 4; i++) await a.c.request<AckFrame>({ type: 'send', id: `k${i}`, room: 'general', text: `t${i}` });
    a.c.send('{broken');
    await a.c.next((e) => e.type === 'error' && e.code === 'bad_json');
    await new Promise((r) => setTimeout(r, 50));
    const m2 = await scrape();
    const d = (key: string) => get(m2, key) - get(m1, key);
    assert.equal(d('scalechat_frames_received_total{type="send"}'), 4);
    assert.equal(d('scalechat_frames_received_total{type="invalid"}'), 1);
    assert.equal(d('scalechat_messages_accepted_total'), 4);
    assert.equal(d('scalechat_deliveries_total'), 12, '4 messages x 3 members');
    assert.equal(d('scalechat_ack_seconds_count'), 4);
    assert.equal(d('scalechat_fanout_seconds_count'), 4);
    assert.equal(d('scalechat_errors_total{code="bad_json"}'), 1);
    assert.ok(d('scalechat_store_operation_seconds_count{op="append",result="ok"}') >= 1);
    assert.ok(d('scalechat_bus_operation_seconds_count{op="publish",result="ok"}') >= 4);
    assert.ok(d('scalechat_frames_sent_total') >= 4);
    assert.equal(d('scalechat_frame_events_count'), d('scalechat_frames_sent_total'), 'one observation per frame');
    assert.ok(d('scalechat_sent_bytes_total') > 0);
    // rate limit: a burst past the bucket
    for (let i = 0; i < 20; i++) a.c.send({ type: 'ping', id: `p${i}` });
    await a.c.next((e) => e.type === 'error' && e.code === 'rate_limited');
    await new Promise((r) => setTimeout(r, 50));
    const m3 = await scrape();
    const limited = a.c.all<import('../src/protocol/types.js').ErrorFrame>('error').filter((e) => e.code === 'rate_limited').length;
    assert.equal(get(m3, 'scalechat_rate_limited_total') - get(m2, 'scalechat_rate_limited_total'), limited);
    assert.ok(get(m3, 'scalechat_process_cpu_user_seconds_total') > 0, 'process metrics present');
    assert.ok(m3.has('scalechat_nodejs_eventloop_lag_seconds'), 'event-loop lag present');
    for (const c of clients) c.c.close();
  });

  it('heartbeat timeouts are counted', async () => {
    const before = get(await scrape(), 'scalechat_heartbeat_timeouts_total');
    const mute = new WebSocket(srv.url, { autoPong: false });
    await new Promise((r) => mute.once('open', r));
    mute.send(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: 'mute1' } }));
    await new Promise((r) => mute.once('close', r));
    assert.equal(get(await scrape(), 'scalechat_heartbeat_timeouts_total') - before, 1);
  });

  it('promtool check metrics finds nothing', { skip: hasPromtool ? false : 'SKIPPED LOUDLY: promtool (Debian package prometheus) not installed' }, async () => {
    const text = await (await fetch(srv.http + '/metrics')).text();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const findings = `${r.stdout}${r.stderr}`.trim().split('\n').filter(Boolean);
    // prom-client's default Node.js gauges (nodejs_active_*_total) carry a _total suffix promtool
    // dislikes; they are the library's names, not ours. Our own metrics must have no finding.
    const ours = findings.filter((f) => !/^scalechat_(nodejs|process)_/.test(f));
    assert.deepEqual(ours, [], 'no findings on our own metrics');
    assert.ok(findings.every((f) => /^scalechat_nodejs_active_\w+_total non-counter/.test(f)), findings.join('\n'));
  });
});
