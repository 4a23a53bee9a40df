/**
 * The reconnect storm's figures from the clients' own records (bench/lib/storm-ipc.ts ClientTimes)
 * and the parent's clock marks: per client the time from the restarted server's "listening" to its
 * welcome and to its resume being complete (p50/p99/max), how many attempts it made after the
 * server listened (2 or more: "needed several"), why failed attempts failed, and the resumed count
 * second by second. And what became of the sends (bench/lib/storm-ipc.ts SendRecord): acked before
 * the kill, or unacked at the kill and then acked with the original ack (stored before the kill:
 * the resend was deduplicated), acked fresh (stored after the restart), or failed; plus ids stored
 * under two seqs (which idempotency must prevent).
 */
import { pct } from './lab.js';
import type { ClientTimes, RoomTruth, SendRecord } from './storm-ipc.js';

export interface Spread {
  p50: number;
  p99: number;
  max: number;
}

export interface StormStats {
  clients: number;
  resumed: number;
  /** Clients that got a replay of missed messages (a `resume` event) after the restart. */
  replayed: number;
  /** Clients the SDK closed for good (terminal close code): not resumed. */
  closed: number;
  closedWhy: Record<string, number>;
  /** ms after the restarted server listened. */
  welcomeMs: Spread;
  resumeMs: Spread;
  /** All resumed, ms after listening (NaN when some never did). */
  allResumedMs: number;
  /** Attempts once the server listened: the successful one plus the failed ones started after listening: {1: n, 2: n, ...}. */
  attemptsAfterListen: Record<string, number>;
  /** Clients with a failed attempt started after listening (they needed several attempts once the server was up). */
  severalAttempts: number;
  /** Attempts from the loss to the welcome (mean, max). */
  attemptsSinceKill: { mean: number; max: number };
  /** Failed attempts after listening, by reason. */
  failuresAfterListen: Record<string, number>;
  failuresBeforeListen: number;
  /** Clients resumed by the end of each second after listening. */
  timeline: number[];
  /** Longest time from the kill to a client noticing the loss, ms. */
  detectMaxMs: number;
}

function spread(xs: number[]): Spread {
  return { p50: pct(xs, 50), p99: pct(xs, 99), max: xs.length ? Math.max(...xs) : NaN };
}

function bump(m: Record<string, number>, k: string, by = 1): void {
  m[k] = (m[k] ?? 0) + by;
}

export function stormStats(all: readonly ClientTimes[], tKill: number, tListen: number): StormStats {
  const welcome: number[] = [];
  const resume: number[] = [];
  const attemptsAfterListen: Record<string, number> = {};
  const failuresAfterListen: Record<string, number> = {};
  const closedWhy: Record<string, number> = {};
  let failuresBeforeListen = 0;
  let several = 0;
  let attemptSum = 0;
  let attemptMax = 0;
  let detectMax = 0;
  let replayed = 0;
  for (const c of all) {
    if (c.replays > 0) replayed++;
    if (Number.isFinite(c.lostAt)) detectMax = Math.max(detectMax, c.lostAt - tKill);
    if (Number.isFinite(c.welcomeAt)) welcome.push(c.welcomeAt - tListen);
    if (c.closed) bump(closedWhy, c.closed);
    let failedAfter = 0;
    for (const [at, why] of c.failures) {
      if (at >= tListen) {
        bump(failuresAfterListen, why);
        failedAfter++;
      } else failuresBeforeListen++;
    }
    if (!Number.isFinite(c.resumedAt)) continue;
    resume.push(c.resumedAt - tListen);
    bump(attemptsAfterListen, failedAfter >= 3 ? '4+' : String(failedAfter + 1));
    if (failedAfter > 0) several++;
    attemptSum += c.attempts.length;
    attemptMax = Math.max(attemptMax, c.attempts.length);
  }
  const last = resume.length ? Math.max(...resume) : 0;
  const timeline = Array.from({ length: Math.max(1, Math.ceil(last / 1000)) }, (_, s) => resume.filter((ms) => ms <= (s + 1) * 1000).length);
  return {
    clients: all.length,
    resumed: resume.length,
    replayed,
    closed: Object.values(closedWhy).reduce((a, b) => a + b, 0),
    closedWhy,
    welcomeMs: spread(welcome),
    resumeMs: spread(resume),
    allResumedMs: resume.length === all.length && all.length > 0 ? last : NaN,
    attemptsAfterListen,
    severalAttempts: several,
    attemptsSinceKill: { mean: resume.length ? attemptSum / resume.length : NaN, max: attemptMax },
    failuresAfterListen,
    failuresBeforeListen,
    timeline,
    detectMaxMs: detectMax,
  };
}

export interface SendStats {
  sent: number;
  ackedBeforeKill: number;
  unackedAtKill: number;
  /** Of those: acked with the original ack (stored before the kill; the resend was deduplicated). */
  storedBeforeKill: number;
  /** Acked fresh after the restart (stored by the resend). */
  storedAfterRestart: number;
  failed: Record<string, number>;
  /** Ids that came under two different seqs (a message stored twice). */
  storedTwice: number;
}

/** What the parent learned per room (for the members' check) and the sends' outcome. */
export function roomTruth(sends: readonly SendRecord[], observed: readonly Record<string, [number, string][]>[], tKill: number): { rooms: Record<string, RoomTruth>; stats: SendStats } {
  const rooms: Record<string, RoomTruth> = {};
  const room = (r: string) => (rooms[r] ??= { acked: [], unackedIds: [], finalSeq: 0 });
  const stats: SendStats = { sent: sends.length, ackedBeforeKill: 0, unackedAtKill: 0, storedBeforeKill: 0, storedAfterRestart: 0, failed: {}, storedTwice: 0 };
  const idSeqs = new Map<string, Set<number>>();
  const note = (r: string, seq: number, id: string) => {
    const key = `${r}\n${id}`;
    let s = idSeqs.get(key);
    if (!s) idSeqs.set(key, (s = new Set()));
    s.add(seq);
    room(r).finalSeq = Math.max(room(r).finalSeq, seq);
  };
  for (const s of sends) {
    const t = room(s.room);
    if (s.preKill) stats.ackedBeforeKill++;
    else {
      stats.unackedAtKill++;
      t.unackedIds.push(s.id);
      if (s.seq === null) bump(stats.failed, s.error ?? 'unknown');
      else if ((s.ts ?? Infinity) <= tKill) stats.storedBeforeKill++;
      else stats.storedAfterRestart++;
    }
    if (s.seq === null) continue;
    t.acked.push([s.seq, s.id, s.preKill ? 1 : 0]);
    note(s.room, s.seq, s.id);
  }
  for (const o of observed) for (const [r, pairs] of Object.entries(o)) for (const [seq, id] of pairs) note(r, seq, id);
  for (const seqs of idSeqs.values()) if (seqs.size > 1) stats.storedTwice++;
  return { rooms, stats };
}
