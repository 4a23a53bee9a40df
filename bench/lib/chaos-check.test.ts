/**
 * The chaos checker (./chaos-check.ts) on synthetic histories: a clean one passes every property,
 * and each planted violation (a lost acked message, a duplicate delivery, a reordering, a gap, a
 * failed send that was stored, a client that never reconnected) is caught by the right property
 * with a counter-example naming the message, the client and the fault before it; so are presence
 * views that miss a connected member, show an extra one, converge only past the bound or never get
 * a reply. A send refused with `unavailable` that the SDK resent until acked passes as acked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, type PropertyName } from './chaos-check.js';
import type { ChaosRecord, ClientHistory } from './chaos-history.js';

const T0 = 1_000_000;

/** Two clients in room `r` (joined at seq 0), each sending two acked messages; one kill9 fault in between. */
function clean(): ChaosRecord {
  const ids = ['a1', 'b1', 'a2', 'b2'];
  const store = ids.map((id, i) => ({ room: 'r', seq: i + 1, id, uid: id[0] === 'a' ? 'ua' : 'ub', ts: T0 + 1000 * (i + 1) }));
  const received: [number, string][] = store.map((m) => [m.seq, m.id]);
  const client = (n: number, name: string): ClientHistory => ({
    client: n,
    name,
    joins: { r: 0 },
    sends: store
      .filter((m) => m.id[0] === name)
      .map((m) => ({ id: m.id, room: 'r', at: m.ts - 10, outcome: 'acked' as const, seq: m.seq, ackAt: m.ts + 5 })),
    received: { r: received.map((x) => [...x] as [number, string]) },
    conn: [
      [T0, 'up'],
      [T0 + 2100, 'down'],
      [T0 + 3500, 'up'],
    ],
    connectedAtEnd: true,
  });
  return {
    clients: [client(0, 'a'), client(1, 'b')],
    faults: [{ n: 1, kind: 'kill9', at: T0 + 2100, end: T0 + 3000, recoveredAt: T0 + 3500, clients: [0, 1], detail: 'kill -9 of pid 1' }],
    store,
    startAt: T0,
    endAt: T0 + 10_000,
    reconnectBoundMs: 30_000,
  };
}

/** Asserts exactly `property` failed, and its first counter-example matches every pattern. */
function caught(rec: ChaosRecord, property: PropertyName, ...patterns: RegExp[]): void {
  const res = check(rec);
  assert.equal(res.ok, false);
  const failed = res.verdicts.filter((v) => !v.ok).map((v) => v.property);
  assert.deepEqual(failed, [property]);
  const v = res.verdicts.find((x) => x.property === property)!;
  assert.ok(v.violations >= 1);
  for (const p of patterns) assert.match(v.examples[0], p);
}

test('a clean history passes every property', () => {
  const res = check(clean());
  assert.equal(res.ok, true, JSON.stringify(res.verdicts, null, 1));
  assert.deepEqual(
    res.verdicts.map((v) => [v.property, v.ok, v.checked]),
    [
      ['acked-stored', true, 4],
      ['delivered', true, 8],
      ['failed-absent', true, 0],
      ['reconnected', true, 4],
    ],
  );
  assert.deepEqual(res.reconnectMs, { 1: [500, 500] });
});

test('a lost acked message: acked but not in the store', () => {
  const rec = clean();
  rec.store = rec.store.filter((m) => m.id !== 'b2');
  for (const c of rec.clients) c.received.r = c.received.r.filter(([, id]) => id !== 'b2');
  caught(rec, 'acked-stored', /LOST: message b2 in r sent by client 1 \(b\)/, /acked with seq 4/, /after fault #1 kill9/);
});

test('an acked message stored at another seq, or twice', () => {
  const rec = clean();
  rec.clients[0].sends[1].seq = 7;
  caught(rec, 'acked-stored', /a2 .* acked with seq 7 but is stored at seq 3/);
  const twice = clean();
  twice.store.push({ room: 'r', seq: 5, id: 'a1', uid: 'ua', ts: T0 + 6000 });
  for (const c of twice.clients) c.received.r.push([5, 'a1']);
  caught(twice, 'acked-stored', /a1 .* stored 2 times, at seqs 1, 5/);
});

test('a duplicate delivery', () => {
  const rec = clean();
  rec.clients[1].received.r.splice(3, 0, [3, 'a2']);
  caught(rec, 'delivered', /DUPLICATE: client 1 \(b\) in r .* got seq 3 \(a2\) more than once, after fault #1 kill9/);
});

test('a reordering', () => {
  const rec = clean();
  const got = rec.clients[0].received.r;
  [got[1], got[2]] = [got[2], got[1]];
  caught(rec, 'delivered', /OUT OF ORDER: client 0 \(a\) in r .* got seq 2 \(b1\) after seq 3/);
});

test('a gap: a member never got a stored message', () => {
  const rec = clean();
  rec.clients[1].received.r = rec.clients[1].received.r.filter(([seq]) => seq !== 3);
  caught(rec, 'delivered', /GAP: client 1 \(b\) in r \(joined at seq 0\) never got seq 3 \(a2/, /after fault #1 kill9 at \+2\.1 s/);
});

test('a join point: messages before it are not expected, after it they are', () => {
  const rec = clean();
  rec.clients[1].joins.r = 2;
  rec.clients[1].received.r = rec.clients[1].received.r.slice(2);
  assert.equal(check(rec).ok, true);
  rec.clients[1].received.r.pop();
  caught(rec, 'delivered', /GAP: client 1 \(b\) in r \(joined at seq 2\) never got seq 4/);
});

test('a failed send that is stored and delivered', () => {
  const rec = clean();
  const s = rec.clients[0].sends[1];
  s.outcome = 'failed';
  s.code = 'rate_limited';
  delete s.seq;
  caught(rec, 'failed-absent', /message a2 in r from client 0 failed \(rate_limited\) yet is stored at seq 3/);
  assert.equal(check(rec).verdicts.find((v) => v.property === 'failed-absent')!.violations, 3); // stored, and at both members
});

test('a failed send that is nowhere passes; an unknown one may be stored once, not twice', () => {
  const rec = clean();
  rec.clients[0].sends.push({ id: 'a3', room: 'r', at: T0 + 5000, outcome: 'failed', code: 'forbidden' });
  rec.clients[0].sends.push({ id: 'a4', room: 'r', at: T0 + 5000, outcome: 'unknown', code: 'closed' });
  rec.store.push({ room: 'r', seq: 5, id: 'a4', uid: 'ua', ts: T0 + 5001 });
  for (const c of rec.clients) c.received.r.push([5, 'a4']);
  assert.equal(check(rec).ok, true);
  rec.store.push({ room: 'r', seq: 6, id: 'a4', uid: 'ua', ts: T0 + 5002 });
  for (const c of rec.clients) c.received.r.push([6, 'a4']);
  caught(rec, 'acked-stored', /a4 .* unacked \(closed\) yet stored 2 times/);
});

test('a client that never reconnected', () => {
  const rec = clean();
  rec.clients[1].conn.pop();
  rec.clients[1].connectedAtEnd = false;
  rec.endAt = T0 + 60_000; // past the bound after the fault's end
  const res = check(rec);
  const v = res.verdicts.find((x) => x.property === 'reconnected')!;
  assert.equal(v.ok, false);
  assert.equal(v.violations, 2); // never reconnected after the fault, and not connected at the end
  assert.match(v.examples[0], /client 1 \(b\) lost its connection at \+2\.1 s, after fault #1 kill9 \(kill -9 of pid 1\), and never reconnected/);
  assert.match(v.examples[1], /client 1 \(b\) was not connected at the end/);
});

test('a reconnect slower than the bound, counted from the fault end', () => {
  const rec = clean();
  rec.reconnectBoundMs = 400; // end at +3.0 s, welcome at +3.5 s
  caught(rec, 'reconnected', /client 0 \(a\) lost its connection at \+2\.1 s, after fault #1 kill9 .* reconnected 500 ms later \(bound 400 ms\)/);
});

test('a send refused with unavailable, resent by the SDK and acked, counts as acked', () => {
  const rec = clean();
  rec.faults.push({ n: 2, kind: 'pg', at: T0 + 4000, end: T0 + 6000, recoveredAt: T0 + 6000, clients: [0, 1], detail: 'PostgreSQL stopped' });
  rec.clients[0].sends[1].refused = [
    [T0 + 4100, 'unavailable'],
    [T0 + 5100, 'unavailable'],
  ];
  const res = check(rec);
  assert.equal(res.ok, true, JSON.stringify(res.verdicts, null, 1));
  assert.equal(res.verdicts.find((v) => v.property === 'failed-absent')!.checked, 1);
  // Refused and then rejected for good: a failed send, which must be nowhere.
  const s = rec.clients[0].sends[1];
  s.outcome = 'failed';
  s.code = 'unavailable';
  delete s.seq;
  caught(rec, 'failed-absent', /message a2 in r from client 0 failed \(unavailable\) yet is stored at seq 3/);
});

/** clean() plus presence polls: each client's view of `r` (both connected, so both online). */
function withPresence(): ChaosRecord {
  const rec = clean();
  rec.presence = {
    from: T0 + 8000,
    boundMs: 2000,
    views: [
      { client: 0, room: 'r', polls: [[T0 + 8100, ['b', 'a']]] },
      { client: 1, room: 'r', polls: [[T0 + 8100, ['a']], [T0 + 9100, ['a', 'b']]] },
    ],
  };
  return rec;
}

test('presence: views that converge within the bound pass (a later poll may fix an earlier one)', () => {
  const res = check(withPresence());
  assert.equal(res.ok, true, JSON.stringify(res.verdicts, null, 1));
  assert.deepEqual(res.verdicts.at(-1), { property: 'presence', title: res.verdicts.at(-1)!.title, ok: true, checked: 2, violations: 0, examples: [] });
  assert.equal(check(clean()).verdicts.length, 4, 'no presence record (single mode): no presence verdict');
});

test('presence: a connected member missing from a view past the bound', () => {
  const rec = withPresence();
  rec.presence!.views[1].polls = [
    [T0 + 8100, ['a']],
    [T0 + 10_500, ['a']],
  ];
  caught(rec, 'presence', /PRESENCE: client 1 \(b\) in r still saw 1 online at \+10\.5 s, 2\.5 s after the last catch-up \(bound 2000 ms\), where 2 members are connected: missing b; extra none; after fault #1 kill9/);
});

test('presence: an extra user (shown online but not connected), and a converged view only after the bound', () => {
  const rec = withPresence();
  rec.clients[1].conn.push([T0 + 7000, 'down']); // b lost its connection for good before the polls
  rec.clients[1].connectedAtEnd = false;
  rec.presence!.views = [{ client: 0, room: 'r', polls: [[T0 + 8100, ['a', 'b']]] }];
  let res = check(rec);
  let v = res.verdicts.find((x) => x.property === 'presence')!;
  assert.equal(v.ok, false);
  assert.match(v.examples[0], /client 0 \(a\) in r still saw 2 online .* where 1 members are connected: missing none; extra b/);
  const late = withPresence();
  late.presence!.views[1].polls = [
    [T0 + 8100, ['a']],
    [T0 + 10_100, ['a', 'b']], // right, but 2.1 s after the start of the polls
  ];
  res = check(late);
  v = res.verdicts.find((x) => x.property === 'presence')!;
  assert.equal(v.violations, 1);
  assert.match(v.examples[0], /LATE PRESENCE: client 1 \(b\) in r: its view was first right at \+10\.1 s, 2100 ms after the last catch-up \(bound 2000 ms\)/);
});

test('presence: a client whose members request never succeeded', () => {
  const rec = withPresence();
  rec.presence!.views[0].polls = [[T0 + 9000, null, 'members: not done within 5000 ms']];
  caught(rec, 'presence', /client 0 \(a\) in r: no members reply within 2000 ms .* members: not done within 5000 ms/);
});
