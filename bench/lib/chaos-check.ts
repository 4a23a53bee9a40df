/**
 * The chaos lab's history checker: pure functions over a run's record (./chaos-history.ts), one
 * verdict per property, each with counter-examples that name the message, the client and the fault
 * that preceded it:
 *  1. acked-stored: every acked message is in the store exactly once, with the seq its ack gave;
 *  2. delivered: every member got every stored message of its room after its join point exactly
 *     once, in seq order, with no gap, and with the id the store has at that seq (across reconnects);
 *  3. failed-absent: no message whose send the server rejected is in the store or at any member
 *     (sends the SDK gave up on, `unknown`, may be stored, but at most once: property 1 counts them);
 *     an attempt refused with a retryable error (`unavailable` while PostgreSQL is down) that the SDK
 *     resent until acked is judged by its final outcome: acked, so property 1 holds it to the store;
 *  4. reconnected: after every lost connection the client was connected again within the bound,
 *     counted from the end of the fault that preceded the loss (or the loss itself), and every
 *     client was connected at the end;
 *  5. presence (cluster mode, when the record has presence polls): each client's view of who is
 *     online in one of its rooms equalled the room's members connected at that moment, within the
 *     bound from the start of the polls (counter-example: who is missing or extra in its last view).
 * It also derives each fault's reconnect times (for the report).
 */
import type { ChaosRecord, ClientHistory, FaultRecord, StoredMessage } from './chaos-history.js';

export type PropertyName = 'acked-stored' | 'delivered' | 'failed-absent' | 'reconnected' | 'presence';

export interface Verdict {
  property: PropertyName;
  title: string;
  ok: boolean;
  /** Things checked (acked messages, member deliveries, failed sends, lost connections + clients). */
  checked: number;
  violations: number;
  /** The first few violations, each a sentence naming what, who and after which fault. */
  examples: string[];
}

export interface CheckResult {
  ok: boolean;
  verdicts: Verdict[];
  /** Per fault n: ms from the fault's end to each lost client's next welcome (0 when it was back before the end). */
  reconnectMs: Record<number, number[]>;
}

const MAX_EXAMPLES = 5;

class Tally {
  checked = 0;
  violations = 0;
  readonly examples: string[] = [];
  fail(example: string): void {
    this.violations++;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(example);
  }
  verdict(property: PropertyName, title: string): Verdict {
    return { property, title, ok: this.violations === 0, checked: this.checked, violations: this.violations, examples: this.examples };
  }
}

/** A time as seconds into the run. */
export function rel(rec: ChaosRecord, t: number): string {
  return `+${((t - rec.startAt) / 1000).toFixed(1)} s`;
}

/** The last fault injected at or before `t`, as words for a counter-example. */
export function faultBefore(rec: ChaosRecord, t: number): string {
  const f = blamed(rec.faults, t);
  return f ? `after fault #${f.n} ${f.kind} at ${rel(rec, f.at)} (${f.detail})` : 'before any fault';
}

const key = (room: string, id: string) => `${room}\u0000${id}`;

function storeIndex(store: readonly StoredMessage[]) {
  const byId = new Map<string, StoredMessage[]>();
  const byRoom = new Map<string, StoredMessage[]>();
  for (const m of store) {
    const k = key(m.room, m.id);
    const l = byId.get(k);
    if (l) l.push(m);
    else byId.set(k, [m]);
    const r = byRoom.get(m.room);
    if (r) r.push(m);
    else byRoom.set(m.room, [m]);
  }
  for (const r of byRoom.values()) r.sort((a, b) => a.seq - b.seq);
  return { byId, byRoom };
}

function checkAcked(rec: ChaosRecord, byId: Map<string, StoredMessage[]>): Verdict {
  const t = new Tally();
  for (const c of rec.clients)
    for (const s of c.sends) {
      if (s.outcome !== 'acked' && s.outcome !== 'unknown') continue;
      const rows = byId.get(key(s.room, s.id)) ?? [];
      const who = `message ${s.id} in ${s.room} sent by client ${c.client} (${c.name}) at ${rel(rec, s.at)}, ${faultBefore(rec, s.at)}`;
      if (s.outcome === 'unknown') {
        // Not acked: nothing to hold the store to but idempotency.
        if (rows.length > 1) t.fail(`${who}: unacked (${s.code}) yet stored ${rows.length} times, at seqs ${rows.map((r) => r.seq).join(', ')}`);
        continue;
      }
      t.checked++;
      if (rows.length === 0) t.fail(`LOST: ${who}, acked with seq ${s.seq}, is not in the store`);
      else if (rows.length > 1) t.fail(`${who}, acked with seq ${s.seq}, is stored ${rows.length} times, at seqs ${rows.map((r) => r.seq).join(', ')}`);
      else if (rows[0].seq !== s.seq) t.fail(`${who} was acked with seq ${s.seq} but is stored at seq ${rows[0].seq}`);
    }
  return t.verdict('acked-stored', 'every acked message is in the store exactly once, with its acked seq');
}

/** One member's stream of one room against the store's messages after its join point. */
function checkStream(rec: ChaosRecord, c: ClientHistory, room: string, joinSeq: number, stored: readonly StoredMessage[], t: Tally): void {
  const expected = stored.filter((m) => m.seq > joinSeq);
  const bySeq = new Map(expected.map((m) => [m.seq, m]));
  const got = c.received[room] ?? [];
  const who = `client ${c.client} (${c.name}) in ${room} (joined at seq ${joinSeq})`;
  const seen = new Set<number>();
  let last = joinSeq;
  for (const [seq, id] of got) {
    const m = bySeq.get(seq);
    const when = m ? faultBefore(rec, m.ts) : 'not in the store';
    if (seen.has(seq)) t.fail(`DUPLICATE: ${who} got seq ${seq} (${id}) more than once, ${when}`);
    else if (seq <= joinSeq) t.fail(`${who} got seq ${seq} (${id}), at or before its join point`);
    else if (!m) t.fail(`${who} got seq ${seq} (${id}), which the store does not have`);
    else if (m.id !== id) t.fail(`${who} got seq ${seq} as ${id}, but the store has ${m.id} there, ${when}`);
    else if (seq < last) t.fail(`OUT OF ORDER: ${who} got seq ${seq} (${id}) after seq ${last}, ${when}`);
    seen.add(seq);
    if (seq > last) last = seq;
  }
  for (const m of expected) {
    t.checked++;
    if (!seen.has(m.seq)) t.fail(`GAP: ${who} never got seq ${m.seq} (${m.id}, stored at ${rel(rec, m.ts)}), ${faultBefore(rec, m.ts)}`);
  }
}

function checkDelivered(rec: ChaosRecord, byRoom: Map<string, StoredMessage[]>): Verdict {
  const t = new Tally();
  for (const c of rec.clients) {
    for (const [room, joinSeq] of Object.entries(c.joins)) checkStream(rec, c, room, joinSeq, byRoom.get(room) ?? [], t);
    for (const room of Object.keys(c.received))
      if (!(room in c.joins)) t.fail(`client ${c.client} (${c.name}) got ${c.received[room].length} messages of ${room}, a room it never entered`);
  }
  return t.verdict('delivered', 'every member got every message of its room after its join point exactly once, in seq order, no gap');
}

function checkFailed(rec: ChaosRecord, byId: Map<string, StoredMessage[]>): Verdict {
  const t = new Tally();
  const failed = new Map<string, { c: ClientHistory; at: number; code?: string }>();
  for (const c of rec.clients)
    for (const s of c.sends) {
      if (s.outcome === 'failed') failed.set(key(s.room, s.id), { c, at: s.at, code: s.code });
      // Refused, resent and acked: one acked message (property 1 checks it), not a failed one.
      else if (s.outcome === 'acked' && s.refused?.length) t.checked++;
    }
  for (const [k, f] of failed) {
    t.checked++;
    const rows = byId.get(k);
    const [room, id] = k.split('\u0000');
    if (rows?.length) t.fail(`message ${id} in ${room} from client ${f.c.client} failed (${f.code}) yet is stored at seq ${rows.map((r) => r.seq).join(', ')}, ${faultBefore(rec, f.at)}`);
  }
  for (const c of rec.clients)
    for (const [room, got] of Object.entries(c.received))
      for (const [seq, id] of got) {
        const f = failed.get(key(room, id));
        if (f) t.fail(`client ${c.client} (${c.name}) got message ${id} (seq ${seq} in ${room}) whose send by client ${f.c.client} failed (${f.code}), ${faultBefore(rec, f.at)}`);
      }
  return t.verdict('failed-absent', 'no message whose send failed is in the store or at any member (refused attempts resent until acked count as acked)');
}

/** The fault a connection lost at `t` is blamed on: the last one injected at or before it. */
function blamed(faults: readonly FaultRecord[], t: number): FaultRecord | undefined {
  let f: FaultRecord | undefined;
  for (const x of faults) if (x.at <= t && (!f || x.at > f.at)) f = x;
  return f;
}

function checkReconnected(rec: ChaosRecord, reconnectMs: Record<number, number[]>): Verdict {
  const t = new Tally();
  for (const f of rec.faults) reconnectMs[f.n] = [];
  for (const c of rec.clients) {
    const who = `client ${c.client} (${c.name})`;
    for (let i = 0; i < c.conn.length; i++) {
      const [down, kind] = c.conn[i];
      if (kind !== 'down') continue;
      t.checked++;
      const up = c.conn.slice(i + 1).find((x) => x[1] === 'up')?.[0];
      const f = blamed(rec.faults, down);
      const from = Math.max(down, f?.end ?? down);
      const deadline = from + rec.reconnectBoundMs;
      const cause = f ? `fault #${f.n} ${f.kind} (${f.detail})` : 'no fault';
      if (up === undefined) {
        if (rec.endAt > deadline) t.fail(`${who} lost its connection at ${rel(rec, down)}, after ${cause}, and never reconnected (bound ${rec.reconnectBoundMs} ms)`);
        continue;
      }
      if (f) reconnectMs[f.n].push(Math.max(0, up - f.end));
      if (up > deadline) t.fail(`${who} lost its connection at ${rel(rec, down)}, after ${cause}, and reconnected ${up - from} ms later (bound ${rec.reconnectBoundMs} ms)`);
    }
    t.checked++;
    if (!c.connectedAtEnd) t.fail(`${who} was not connected at the end (last transition: ${c.conn.at(-1)?.[1] ?? 'none'} at ${c.conn.length ? rel(rec, c.conn.at(-1)![0]) : '-'}, ${faultBefore(rec, c.conn.at(-1)?.[0] ?? 0)})`);
  }
  return t.verdict('reconnected', `every client connected again within the bound after each fault, and all connected at the end`);
}

/** Whether a client was connected at `t`: its last transition at or before `t` was a welcome. */
function connectedAt(c: ClientHistory, t: number): boolean {
  let up = false;
  for (const [at, kind] of c.conn) {
    if (at > t) break;
    up = kind === 'up';
  }
  return up;
}

/** The names a correct `members` reply at `t` says are online in `room`: its members connected then (sorted). */
export function expectedOnline(clients: readonly ClientHistory[], room: string, t: number): string[] {
  return clients
    .filter((c) => room in c.joins && connectedAt(c, t))
    .map((c) => c.name)
    .sort();
}

function checkPresence(rec: ChaosRecord, p: NonNullable<ChaosRecord['presence']>): Verdict {
  const t = new Tally();
  const byIndex = new Map(rec.clients.map((c) => [c.client, c]));
  for (const v of p.views) {
    t.checked++;
    const c = byIndex.get(v.client);
    const who = `client ${v.client} (${c?.name ?? '?'}) in ${v.room}`;
    const inBound = v.polls.filter(([at]) => at <= p.from + p.boundMs);
    const same = (at: number, names: string[] | null) => names !== null && expectedOnline(rec.clients, v.room, at).join('\u0000') === [...names].sort().join('\u0000');
    if (inBound.some(([at, names]) => same(at, names))) continue;
    const right = v.polls.find(([at, names]) => same(at, names));
    if (right) {
      t.fail(`LATE PRESENCE: ${who}: its view was first right at ${rel(rec, right[0])}, ${right[0] - p.from} ms after the last catch-up (bound ${p.boundMs} ms), ${faultBefore(rec, right[0])}`);
      continue;
    }
    const last = v.polls.at(-1);
    if (!last) {
      t.fail(`${who}: never got a members reply`);
      continue;
    }
    const [at, names, why] = last;
    if (names === null) {
      t.fail(`${who}: no members reply within ${p.boundMs} ms of the last catch-up (last try at ${rel(rec, at)}: ${why ?? 'failed'}), ${faultBefore(rec, at)}`);
      continue;
    }
    const want = new Set(expectedOnline(rec.clients, v.room, at));
    const got = new Set(names);
    const missing = [...want].filter((n) => !got.has(n));
    const extra = [...got].filter((n) => !want.has(n));
    t.fail(
      `PRESENCE: ${who} still saw ${got.size} online at ${rel(rec, at)}, ${((at - p.from) / 1000).toFixed(1)} s after the last catch-up (bound ${p.boundMs} ms), where ${want.size} members are connected: ` +
        `missing ${missing.join(', ') || 'none'}; extra ${extra.join(', ') || 'none'}; ${faultBefore(rec, at)}`,
    );
  }
  return t.verdict('presence', `each client's view of who is online in its room converged to the connected members within ${p.boundMs} ms`);
}

export function check(rec: ChaosRecord): CheckResult {
  const { byId, byRoom } = storeIndex(rec.store);
  const reconnectMs: Record<number, number[]> = {};
  const verdicts = [checkAcked(rec, byId), checkDelivered(rec, byRoom), checkFailed(rec, byId), checkReconnected(rec, reconnectMs)];
  if (rec.presence) verdicts.push(checkPresence(rec, rec.presence));
  return { ok: verdicts.every((v) => v.ok), verdicts, reconnectMs };
}
