/**
 * Bad input from the network: each case gets its documented error or close code, the server keeps
 * serving everyone else, and nothing acknowledged is lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AckFrame, ErrorFrame, HistoryFrame } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
let bystander: RawClient;
const acked: AckFrame[] = [];
before(async () => {
  srv = await startServer({ maxFrameBytes: 4096, maxTextLength: 100, handshakeTimeoutMs: 300, ratePerSec: 50, rateBurst: 50 });
  bystander = (await RawClient.guest(srv.url, 'bystander')).c;
  acked.push(await bystander.request<AckFrame>({ type: 'send', id: 'before', room: 'general', text: 'acked before the abuse' }));
});
after(async () => {
  // The server still serves, and the acknowledged message is still there.
  acked.push(await bystander.request<AckFrame>({ type: 'send', id: 'afterwards', room: 'general', text: 'still here' }));
  const h = await bystander.request<HistoryFrame>({ type: 'history', id: 'h', room: 'general', limit: 200 });
  for (const a of acked) assert.ok(h.messages.some((m) => m.seq === a.seq && m.id === a.id), `acked ${a.id} kept`);
  bystander.close();
  await srv.cleanup();
});

async function beforeHandshake(frame: string | Buffer, expectCode: string | null, expectClose: number): Promise<void> {
  const c = await RawClient.open(srv.url);
  c.send(frame);
  if (expectCode) assert.equal((await c.next<ErrorFrame>((e) => e.type === 'error')).code, expectCode);
  assert.equal((await c.waitClose()).code, expectClose);
}

describe('before the handshake', () => {
  it('malformed JSON closes 4000 with bad_json', () => beforeHandshake('{nope', 'bad_json', 4000));
  it('a non-hello frame closes 4001 with handshake_required', () => beforeHandshake(JSON.stringify({ type: 'send', id: '1', room: 'general', text: 'x' }), 'handshake_required', 4001));
  it('an unknown type closes 4000 with unknown_type', () => beforeHandshake(JSON.stringify({ type: 'hax' }), 'unknown_type', 4000));
  it('a hello with wrong field types closes 4000 with bad_frame', () => beforeHandshake(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: 42 } }), 'bad_frame', 4000));
  it('a wrong protocol version closes 4002', () => beforeHandshake(JSON.stringify({ type: 'hello', v: 99, auth: { kind: 'guest', name: 'vv' } }), 'unsupported_version', 4002));
  it('a binary frame closes 4000 with binary_unsupported', () => beforeHandshake(Buffer.from([1, 2, 3]), 'binary_unsupported', 4000));
  it('a JSON array or scalar is bad_frame', () => beforeHandshake('[1,2]', 'bad_frame', 4000));
  it('silence past the handshake timeout closes 4503 (reconnectable)', async () => {
    const c = await RawClient.open(srv.url);
    assert.equal((await c.next<ErrorFrame>((e) => e.type === 'error')).code, 'handshake_timeout');
    assert.equal((await c.waitClose()).code, 4503);
  });
  it('an expired token closes 4005', async () => {
    const expired = await startServer({ tokenTtlMs: 1 });
    try {
      const a = await RawClient.guest(expired.url, 'shortlived');
      a.c.close();
      await new Promise((r) => setTimeout(r, 20));
      const c = await RawClient.open(expired.url);
      c.send({ type: 'hello', v: 1, auth: { kind: 'token', token: a.welcome.token } });
      assert.equal((await c.next<ErrorFrame>((e) => e.type === 'error')).code, 'token_expired');
      assert.equal((await c.waitClose()).code, 4005);
    } finally {
      await expired.cleanup();
    }
  });
});

describe('after the handshake', () => {
  it('answers bad frames with errors (carrying the request id) and keeps the connection', async () => {
    const { c } = await RawClient.guest(srv.url, 'messy');
    const cases: [string, string, string | undefined][] = [
      ['{oops', 'bad_json', undefined],
      ['"just a string"', 'bad_frame', undefined],
      [JSON.stringify({ type: 'teleport', id: 't1' }), 'unknown_type', 't1'],
      [JSON.stringify({ type: 'send', id: 's1', room: 'general', text: 5 }), 'bad_frame', 's1'],
      [JSON.stringify({ type: 'send', id: 's2', room: 'general', text: '   ' }), 'text_invalid', 's2'],
      [JSON.stringify({ type: 'send', id: 's3', room: 'general', text: 'x'.repeat(101) }), 'text_invalid', 's3'],
      [JSON.stringify({ type: 'send', id: 's4', room: 'nowhere', text: 'hi' }), 'not_member', 's4'],
      [JSON.stringify({ type: 'join', id: 'j1', room: 'nowhere' }), 'no_such_room', 'j1'],
      [JSON.stringify({ type: 'create', id: 'c1', room: 'Bad Name!', visibility: 'public' }), 'room_invalid', 'c1'],
      [JSON.stringify({ type: 'create', id: 'c2', room: 'ok-room', visibility: 'secret' }), 'bad_frame', 'c2'],
      [JSON.stringify({ type: 'history', id: 'h1', room: 'general', limit: -3 }), 'bad_frame', 'h1'],
      [JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: 'again' } }), 'already_authenticated', undefined],
      [JSON.stringify({ type: 'invite', id: 'i1', room: 'general', user: 'bystander' }), 'forbidden', 'i1'],
      [JSON.stringify({ type: '__proto__', id: 'p1' }), 'unknown_type', 'p1'],
    ];
    for (const [frame, code, re] of cases) {
      c.send(frame);
      const e = await c.next<ErrorFrame>((x) => x.type === 'error');
      assert.equal(e.code, code, frame);
      assert.equal(e.re, re, frame);
      assert.ok(e.message.length > 0);
    }
    c.send(Buffer.from([0xde, 0xad]));
    assert.equal((await c.next<ErrorFrame>((x) => x.type === 'error')).code, 'binary_unsupported');
    acked.push(await c.request<AckFrame>({ type: 'send', id: 'fine', room: 'general', text: 'still connected' }));
    c.close();
  });

  it('an oversized frame closes 1009', async () => {
    const { c } = await RawClient.guest(srv.url, 'bigmouth');
    c.send(JSON.stringify({ type: 'send', id: 'big', room: 'general', text: 'x'.repeat(10_000) }));
    assert.equal((await c.waitClose()).code, 1009);
  });

  it('invalid UTF-8 in a text frame closes 1007', async () => {
    const { c } = await RawClient.guest(srv.url, 'badutf');
    // ws would refuse to send invalid UTF-8 as text; write the frame by hand on the raw socket.
    const payload = Buffer.from([0x22, 0xff, 0xfe, 0x22]);
    const mask = Buffer.from([1, 2, 3, 4]);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
    const sock = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
    sock.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
    assert.equal((await c.waitClose()).code, 1007);
  });

  it('floods get rate_limited with retryAfterMs, then a 4010 close; others are unaffected', async () => {
    const { c } = await RawClient.guest(srv.url, 'flooder');
    for (let i = 0; i < 400; i++) c.send({ type: 'ping', id: `f${i}` });
    const limited = await c.next<ErrorFrame>((e) => e.type === 'error' && e.code === 'rate_limited');
    assert.ok((limited.retryAfterMs ?? 0) > 0);
    assert.match(limited.re ?? '', /^f\d+$/, 'the refused request is named');
    assert.equal((await c.waitClose()).code, 4010);
    acked.push(await bystander.request<AckFrame>({ type: 'send', id: 'during', room: 'general', text: 'unaffected' }));
  });

  it('a disallowed Origin is refused at the upgrade', async () => {
    const strict = await startServer({ origins: ['https://chat.example'] });
    try {
      await assert.rejects(RawClient.open(strict.url, { origin: 'https://evil.example' }), /403/);
      const ok = await RawClient.open(strict.url, { origin: 'https://chat.example' });
      ok.close();
    } finally {
      await strict.cleanup();
    }
  });

  it('a wrong path is 404 and the HTTP routes answer', async () => {
    await assert.rejects(RawClient.open(srv.url.replace('/ws', '/nope')), /404/);
    assert.equal((await fetch(srv.http + '/healthz')).status, 200);
    assert.equal((await fetch(srv.http + '/readyz')).status, 200);
    const metrics = await (await fetch(srv.http + '/metrics')).text();
    assert.match(metrics, /^scalechat_connections\{node="[0-9a-f]+"\} \d+$/m, 'labelled by node');
    assert.match(metrics, /^scalechat_errors_total\{code="bad_json",node="[0-9a-f]+"\} \d+$/m);
    // the messages acked so far were timed from receipt to ack and to their last local delivery
    const count = (name: string) => Number(new RegExp(`^${name}_count\\{[^}]*\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
    assert.ok(count('scalechat_ack_seconds') >= acked.length);
    assert.ok(count('scalechat_fanout_seconds') >= acked.length);
    assert.ok(count('scalechat_frame_events') > 0);
  });
});
