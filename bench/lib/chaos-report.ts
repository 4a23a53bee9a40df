/**
 * The chaos run's summary (pure, from the record and the checker's result): messages acked,
 * deliveries checked, faults by kind, reconnect times after the faults (p50/p99/max, from each
 * fault's end to each lost client's welcome), ack latency of sends made during a fault (from its
 * injection until every client was back) and outside, and the verdicts; and its text form.
 */
import type { CheckResult, Verdict } from './chaos-check.js';
import { FAULT_KINDS, SINGLE_FAULT_KINDS, type ChaosRecord, type FaultKind, type FaultRecord } from './chaos-history.js';
import { pct } from './lab.js';

export interface Spread {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ChaosSummary {
  sends: number;
  acked: number;
  failed: number;
  unknown: number;
  pending: number;
  /** Sends the server refused at least once with a retryable error (`unavailable`: PostgreSQL down) before their final outcome, and how many of them ended acked. */
  refused: number;
  refusedAcked: number;
  stored: number;
  deliveriesChecked: number;
  faults: Record<FaultKind, number>;
  /** Lost connections by the SDK's reason, close codes only ("1006", "4500", "watchdog"...). */
  lostBy: Record<string, number>;
  /** Connection attempts that never got a welcome, by why (all clients). */
  failedAttempts: Record<string, number>;
  reconnectMs: Spread;
  reconnectMsByKind: Record<FaultKind, Spread>;
  /** Per fault n: ms from its end to each lost client's welcome (the checker's). */
  reconnectMsByFault: Record<number, number[]>;
  ackMsDuringFaults: Spread;
  ackMsOutsideFaults: Spread;
  verdicts: Verdict[];
  ok: boolean;
}

function spread(xs: number[]): Spread {
  return { n: xs.length, p50: pct(xs, 50), p99: pct(xs, 99), max: xs.length ? Math.max(...xs) : NaN };
}

export function summarize(rec: ChaosRecord, res: CheckResult): ChaosSummary {
  const sends = rec.clients.flatMap((c) => c.sends);
  const count = (o: string) => sends.filter((s) => s.outcome === o).length;
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, rec.faults.filter((f) => f.kind === k).length])) as Record<FaultKind, number>;
  const byKind = Object.fromEntries(FAULT_KINDS.map((k) => [k, spread(rec.faults.filter((f) => f.kind === k).flatMap((f) => res.reconnectMs[f.n] ?? []))])) as Record<FaultKind, Spread>;
  const windows = rec.faults.map((f) => [f.at, f.recoveredAt ?? f.end + rec.reconnectBoundMs] as const);
  const during: number[] = [];
  const outside: number[] = [];
  for (const s of sends) {
    if (s.outcome !== 'acked' || s.ackAt === undefined) continue;
    (windows.some(([a, b]) => s.at >= a && s.at <= b) ? during : outside).push(s.ackAt - s.at);
  }
  const lostBy: Record<string, number> = {};
  for (const c of rec.clients)
    for (const [, kind, why] of c.conn) {
      if (kind !== 'down') continue;
      const k = /\((\d+)\)$/.exec(why ?? '')?.[1] ?? why ?? '?';
      lostBy[k] = (lostBy[k] ?? 0) + 1;
    }
  const failedAttempts: Record<string, number> = {};
  for (const c of rec.clients) for (const [k, v] of Object.entries(c.failedAttempts ?? {})) failedAttempts[k] = (failedAttempts[k] ?? 0) + v;
  return {
    failedAttempts,
    sends: sends.length,
    acked: count('acked'),
    failed: count('failed'),
    unknown: count('unknown'),
    pending: count('pending'),
    refused: sends.filter((x) => x.refused?.length).length,
    refusedAcked: sends.filter((x) => x.refused?.length && x.outcome === 'acked').length,
    stored: rec.store.length,
    deliveriesChecked: res.verdicts.find((v) => v.property === 'delivered')?.checked ?? 0,
    faults,
    lostBy,
    reconnectMs: spread(Object.values(res.reconnectMs).flat()),
    reconnectMsByKind: byKind,
    reconnectMsByFault: res.reconnectMs,
    ackMsDuringFaults: spread(during),
    ackMsOutsideFaults: spread(outside),
    verdicts: res.verdicts,
    ok: res.ok,
  };
}

/**
 * How a fault ended for the clients: when the lab saw them all open again, and the slowest reconnect
 * the checker found after it (a slow consumer may still look open to its SDK while it reads its
 * backlog, and only then see the server's close: the checker's figure is the one that counts).
 */
function recovery(f: FaultRecord, reconnects: number[]): string {
  const seen = f.recoveredAt === null ? 'the lab did NOT see every client open within the bound' : `the lab saw every client open ${f.recoveredAt - f.end} ms after its end`;
  return `${seen}; ${reconnects.length} connections lost, slowest back ${reconnects.length ? Math.max(...reconnects) : 0} ms after its end`;
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)}` : '-');
const sp = (s: Spread) => `p50 ${ms(s.p50)} / p99 ${ms(s.p99)} / max ${ms(s.max)} ms (n ${s.n})`;

export function summaryText(s: ChaosSummary, rec: ChaosRecord): string {
  // The single node's kinds always, the cluster's when a run had them.
  const shown = FAULT_KINDS.filter((k) => (SINGLE_FAULT_KINDS as readonly string[]).includes(k) || s.faults[k] || rec.presence);
  const lines = [
    `sends ${s.sends}: acked ${s.acked}, failed ${s.failed}, unknown (the SDK gave up) ${s.unknown}, pending ${s.pending}; store rows ${s.stored}`,
    ...(s.refused ? [`refused with a retryable error and resent by the SDK: ${s.refused} sends, ${s.refusedAcked} of them finally acked`] : []),
    `deliveries checked ${s.deliveriesChecked} (member x stored message after its join point)`,
    `faults: ${shown.map((k) => `${k} ${s.faults[k]}`).join(', ')}`,
    ...rec.faults.map((f) => `  #${f.n} ${f.kind} at +${((f.at - rec.startAt) / 1000).toFixed(1)} s: ${f.detail}; ${recovery(f, s.reconnectMsByFault[f.n] ?? [])}`),
    `connections lost, by close code: ${Object.entries(s.lostBy).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    `connection attempts that got no welcome, by why: ${Object.entries(s.failedAttempts).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`,
    `reconnect after a fault (fault end to welcome): ${sp(s.reconnectMs)}`,
    ...FAULT_KINDS.filter((k) => s.faults[k]).map((k) => `  ${k}: ${sp(s.reconnectMsByKind[k])}`),
    `ack latency during faults: ${sp(s.ackMsDuringFaults)}`,
    `ack latency outside faults: ${sp(s.ackMsOutsideFaults)}`,
    'verdicts:',
  ];
  for (const v of s.verdicts) {
    lines.push(`  ${v.ok ? 'PASS' : 'FAIL'} ${v.property}: ${v.title} (${v.checked} checked, ${v.violations} violations)`);
    for (const e of v.examples) lines.push(`      ${e}`);
  }
  lines.push(s.ok ? 'chaos: zero loss, every property held' : 'chaos: VIOLATIONS (see above)');
  return lines.join('\n');
}
