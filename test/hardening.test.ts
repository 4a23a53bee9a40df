/**
 * Findings of the adversarial review, each as the attack that found it: connection caps, a room named
 * like an Object.prototype member, texts that cannot round-trip, and the places where the server and
 * docs/protocol.md disagreed (close reasons, `re` on refusals).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AckFrame, ErrorFrame, HistoryFrame, MsgEvent, RoomsFrame, WelcomeFrame } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
before(async () => {
  srv = await startServer({ maxConnectionsPerUser: 3, maxConnectionsPerAddress: 8, addressLimitsExempt: [], handshakeTimeoutMs: 300 });
});
after(async () => {
  await srv.cleanup();
});

async function refusedHello(hello: unknown): Promise<{ error: ErrorFrame; close: { code: number; reason: string } }> {
  const c = await RawClient.open(srv.url);
  c.send(hello);
  const error = await c.next<ErrorFrame>((e) => e.type === 'error');
  return { error, close: await c.waitClose() };
}

describe('connection caps', () => {
  it('a user past maxConnectionsPerUser gets too_many_connections and 4504; others still connect', async () => {
    const { c: first, welcome } = await RawClient.guest(srv.url, 'tabby');
    const more = [];
    for (let i = 0; i < 2; i++) {
      const c = await RawClient.open(srv.url);
      c.send({ type: 'hello', v: 1, auth: { kind: 'token', token: welcome.token } });
      await c.next((e) => e.type === 'welcome');
      more.push(c);
    }
    const { error, close } = await refusedHello({ type: 'hello', v: 1, auth: { kind: 'token', token: welcome.token } });
    assert.equal(error.code, 'too_many_connections');
    assert.equal(close.code, 4504);
    assert.equal(close.reason, 'too_many_connections');
    // a slot freed is a slot usable again
    more.pop()!.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await RawClient.open(srv.url);
    again.send({ type: 'hello', v: 1, auth: { kind: 'token', token: welcome.token } });
    assert.equal((await again.next((e) => e.type === 'welcome' || e.type === 'error')).type, 'welcome');
    for (const c of [first, again, ...more]) c.close();
    await new Promise((r) => setTimeout(r, 100));
  });

  it('an address past maxConnectionsPerAddress is refused at once with 4504, before any hello', async () => {
    const open: RawClient[] = [];
    for (let i = 0; i < 8; i++) open.push(await RawClient.open(srv.url));
    const extra = await RawClient.open(srv.url);
    assert.equal((await extra.next<ErrorFrame>((e) => e.type === 'error')).code, 'too_many_connections');
    assert.equal((await extra.waitClose()).code, 4504);
    for (const c of open) c.close();
    await new Promise((r) => setTimeout(r, 100));
    const { c } = await RawClient.guest(srv.url, 'afterwards');
    c.close();
  });
});

describe('per-address caps exempt loopback by default (addressLimitsExempt)', () => {
  it('a load generator on the server host is not refused', async () => {
    const local = await startServer({ maxConnectionsPerAddress: 2 });
    try {
      const cs = [];
      for (let i = 0; i < 4; i++) cs.push((await RawClient.guest(local.url, `local${i}`)).c);
      for (const c of cs) assert.equal(c.closed, null);
      for (const c of cs) c.close();
    } finally {
      await local.cleanup();
    }
  });
});

describe('a room named after an Object.prototype member', () => {
  it('does not lock its members out: login and token sign-ins with resume still work', async () => {
    const { c: owner } = await RawClient.guest(srv.url, 'owner');
    const victim = await RawClient.open(srv.url);
    victim.send({ type: 'hello', v: 1, auth: { kind: 'register', name: 'victim', password: 'correct horse' } });
    const w = await victim.next<WelcomeFrame>((e) => e.type === 'welcome');
    for (const room of ['constructor', 'tostring', 'valueof', 'hasownproperty']) {
      assert.equal((await owner.request({ type: 'create', id: `c-${room}`, room, visibility: 'private' })).type, 'joined', room);
      assert.equal((await owner.request({ type: 'invite', id: `i-${room}`, room, user: 'victim' })).type, 'invited', room);
      await owner.request<AckFrame>({ type: 'send', id: `m-${room}`, room, text: `hello in ${room}` });
    }
    victim.close();
    await victim.waitClose();
    // Resume maps without the room (where a plain-object lookup finds Object.prototype.constructor), with it.
    const resumes: (Record<string, number> | undefined)[] = [undefined, { general: 0 }, { general: 0, constructor: 0, tostring: 0 }];
    let n = 0;
    for (const auth of [{ kind: 'login', name: 'victim', password: 'correct horse' }, { kind: 'token', token: w.token }]) {
      for (const resume of resumes) {
        const c = await RawClient.open(srv.url);
        c.send({ type: 'hello', v: 1, auth, ...(resume ? { resume } : {}) });
        const welcome = await c.next((e) => e.type === 'welcome' || e.type === 'error');
        assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
        if (resume && Object.hasOwn(resume, 'constructor')) {
          const replayed = await c.next<MsgEvent>((e) => e.type === 'msg' && e.room === 'constructor');
          assert.equal(replayed.text, 'hello in constructor');
        }
        assert.equal((await c.request<AckFrame>({ type: 'send', id: `v-${n++}`, room: 'constructor', text: 'still in' })).type, 'ack');
        // not closed behind the welcome (the old failure: welcome, then unavailable + 4501)
        assert.equal(c.closed, null);
        assert.ok(!c.all<ErrorFrame>('error').length, JSON.stringify(c.all('error')));
        c.close();
        await c.waitClose();
      }
    }
    owner.close();
  });
});

describe('texts that cannot round-trip are refused at input', () => {
  it('lone surrogates, U+0000 and invisible-only texts get text_invalid; what is acked is what is stored', async () => {
    const { c } = await RawClient.guest(srv.url, 'texter');
    for (const [i, text] of ['x\ud800y', '\udc00', 'a\u0000b', '\u200b', '\u2800\u2800', '\u0000', '\u2060\ufeff \u3164'].entries()) {
      const e = await c.request<ErrorFrame>({ type: 'send', id: `bad-${i}`, room: 'general', text });
      assert.equal(e.type, 'error', JSON.stringify(text));
      assert.equal(e.code, 'text_invalid', JSON.stringify(text));
      assert.equal(e.re, `bad-${i}`);
    }
    const text = 'emoji 😀 and é, zero\u200bwidth inside';
    const ack = await c.request<AckFrame>({ type: 'send', id: 'good', room: 'general', text });
    const again = await c.request<AckFrame>({ type: 'send', id: 'good', room: 'general', text });
    assert.equal(again.seq, ack.seq, 'a resend gets the original ack');
    const h = await c.request<HistoryFrame>({ type: 'history', id: 'h', room: 'general', limit: 200 });
    assert.equal(h.messages.find((m) => m.id === 'good')?.text, text);
    assert.ok(!h.messages.some((m) => m.id.startsWith('bad-')));
    c.close();
  });
});

describe('history pages are cut to historyPageBytes', () => {
  it('keeping the messages nearest the cursor in both directions, hasMore set, and paging gets everything', async () => {
    const small = await startServer({ historyPageBytes: 65_536, ratePerSec: 1000, rateBurst: 1000 });
    try {
      const { c } = await RawClient.guest(small.url, 'pager');
      const acks: AckFrame[] = [];
      for (let i = 0; i < 60; i++) acks.push(await c.request<AckFrame>({ type: 'send', id: `p${i}`, room: 'general', text: `${i}:` + 'x'.repeat(3990) }));
      const seqs = acks.map((a) => a.seq);
      const newest = await c.request<HistoryFrame>({ type: 'history', id: 'h-new', room: 'general', limit: 200 });
      const n = newest.messages.length;
      assert.ok(n > 1 && n < 60, `a page of ${n}`);
      assert.ok(Buffer.byteLength(JSON.stringify(newest)) <= 65_536 + 256);
      assert.deepEqual(newest.messages.map((m) => m.seq), seqs.slice(60 - n), 'the newest, in order');
      assert.equal(newest.hasMore, true);
      // forward from the start, page by page: every message exactly once, in order
      const got: number[] = [];
      let after = seqs[0] - 1;
      for (let page = 0, more = true; more; page++) {
        const h = await c.request<HistoryFrame>({ type: 'history', id: `h-f${page}`, room: 'general', after, limit: 200 });
        assert.ok(h.messages.length > 0 && h.messages.length <= n + 1);
        assert.equal(h.messages[0].seq, after + 1, 'the oldest after the cursor first');
        got.push(...h.messages.map((m) => m.seq));
        after = h.messages[h.messages.length - 1].seq;
        more = h.hasMore;
      }
      assert.deepEqual(got, seqs);
      c.close();
    } finally {
      await small.cleanup();
    }
  });
});

describe('server and docs/protocol.md agree', () => {
  it('a binary first frame closes with reason binary_unsupported, silence with reason handshake_timeout', async () => {
    const a = await RawClient.open(srv.url);
    a.send(Buffer.from([1, 2, 3]));
    assert.deepEqual(await a.waitClose(), { code: 4000, reason: 'binary_unsupported' });
    const b = await RawClient.open(srv.url);
    assert.deepEqual(await b.waitClose(), { code: 4503, reason: 'handshake_timeout' });
  });

  it('a second hello with an id gets already_authenticated with re', async () => {
    const { c } = await RawClient.guest(srv.url, 'twice');
    c.send({ type: 'hello', v: 1, id: 'h2', auth: { kind: 'guest', name: 'twice' } });
    const e = await c.next<ErrorFrame>((x) => x.type === 'error');
    assert.equal(e.code, 'already_authenticated');
    assert.equal(e.re, 'h2');
    c.close();
  });

  it('the frame that triggers the flood close gets rate_limited with re and retryAfterMs', async () => {
    const strict = await startServer({ ratePerSec: 5, rateBurst: 5, floodCloseAfter: 10 });
    try {
      const { c } = await RawClient.guest(strict.url, 'flooder');
      for (let i = 0; i < 40; i++) c.send({ type: 'ping', id: `f${i}` });
      await c.waitClose();
      const limited = c.all<ErrorFrame>('error').filter((e) => e.code === 'rate_limited');
      assert.ok(limited.length > 10);
      for (const e of limited) {
        assert.match(e.re ?? '', /^f\d+$/, JSON.stringify(e));
        assert.ok((e.retryAfterMs ?? 0) > 0, JSON.stringify(e));
      }
      assert.equal(c.closed?.code, 4010);
    } finally {
      await strict.cleanup();
    }
  });

  it('rooms.public[].members is the stored member count', async () => {
    const { c: a } = await RawClient.guest(srv.url, 'pubowner');
    const { c: b } = await RawClient.guest(srv.url, 'pubjoiner');
    await a.request({ type: 'create', id: 'c', room: 'counted', visibility: 'public' });
    await b.request({ type: 'join', id: 'j', room: 'counted' });
    const { c: outsider } = await RawClient.guest(srv.url, 'outsider');
    const r = await outsider.request<RoomsFrame>({ type: 'rooms', id: 'r' });
    assert.equal(r.public.find((x) => x.id === 'counted')?.members, 2);
    for (const c of [a, b, outsider]) c.close();
  });
});
