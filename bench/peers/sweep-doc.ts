/**
 * docs/benchmarks.md as written by `npm run bench:peers` (bench/peers.ts): how it was measured, per
 * CPU quota the headline table (best qualifying deliveries/s, what limited the next step, ratios,
 * CPU per delivery, the knee brackets) and charts, the seed's experiment, every point, the method,
 * the machine and the caveats. Regenerated whole on each full run; numbers in it come only from that
 * run's summaries.
 */
import { SEED_READING } from './seed-chart.js';
import {
  bestTable,
  failures,
  fmtInt,
  fmtMs,
  generatorNotes,
  kneeBracket,
  limitNotes,
  P99_LIMIT_MS,
  ratio,
  SERVER_BUSY_PCT,
  sweepTable,
  usPerDelivery,
  type Point,
  type Target,
} from './sweep-report.js';

export interface SweepMeta {
  started: string;
  ended: string;
  loadBefore: string;
  /** scale-chat's coarse counts (every target's in sweeps before --peer-counts). */
  counts: number[];
  /** ws-naive's and socketio's coarse counts. */
  peerCounts?: number[];
  targets: Target[];
  duration: string;
  command: string;
  /** CPU quotas (cores) of the servers; empty or absent: pinned mode, no quota. */
  quotas?: number[];
  /** Generator processes (`loadtest --procs`). */
  genProcs?: number;
  cgroupVersion?: 1 | 2;
  /** Why quota mode was not possible (the sweep fell back to pinned mode). */
  fallback?: string;
  kneeGap?: number;
  kneePoints?: number;
  stopAfter?: number;
  /** Points not run (the time budget). */
  notRun?: string[];
}

export interface SeedExperiment {
  started: string;
  ended: string;
  quota: number | null;
  genProcs: number;
  counts: number[];
  duration: string;
  points: Point[];
  fallback?: string;
}

export interface DocInput {
  meta: SweepMeta;
  points: Point[];
  cpuModel: string;
  cores: number;
  node: string;
  /** Installed socket.io version. */
  socketIoVersion: string;
  images: { file: string; caption: string; quota: number | null }[];
  /** The command that wrote this report, when not the sweep itself (--report-only, --repeats). */
  rendered?: string;
  /** Other sweeps of the same kind, shown beside this one (how much the figures move). */
  repeats?: { dir: string; meta: SweepMeta; points: Point[] }[];
  seed?: SeedExperiment;
  seedImage?: string;
}

const when = (iso: string) => iso.slice(0, 16).replace('T', ' ');
const countsFn = (m: SweepMeta) => (t: Target) => (t === 'scale-chat' ? m.counts : m.peerCounts ?? m.counts);
const groupsOf = (m: SweepMeta): (number | null)[] => (m.quotas?.length ? m.quotas : [null]);
const inGroup = (points: Point[], q: number | null) => points.filter((p) => (p.quota ?? null) === q);
const groupTitle = (q: number | null) => (q === null ? 'No quota: server pinned to core 0, generator pinned to core 1' : `Server limited to ${q} CPU`);

/** One line per sweep and quota: each target's best deliveries/s (at clients) and the ratios. */
function repeatsTable(d: DocInput): string {
  const sweeps = [{ label: `${when(d.meta.started)} (this report)`, meta: d.meta, points: d.points }].concat(
    (d.repeats ?? []).map((r) => ({ label: when(r.meta.started), meta: r.meta, points: r.points })),
  );
  const targets = d.meta.targets;
  const peers = targets.filter((t) => t !== 'scale-chat');
  const lines = [
    `| sweep (UTC) | CPU quota | ${targets.map((t) => `${t} best deliveries/s (clients)`).join(' | ')} | ${peers.map((t) => `scale-chat / ${t}`).join(' | ')} |`,
    `|---|---:|${targets.map(() => '---:').join('|')}|${peers.map(() => '---:').join('|')}|`,
  ];
  for (const sw of sweeps) {
    for (const q of groupsOf(sw.meta)) {
      const { bests } = bestTable(inGroup(sw.points, q), countsFn(sw.meta), targets);
      const sc = bests.find((b) => b.target === 'scale-chat');
      const cells = bests.map((b) => (b.point ? `${fmtInt(b.point.summary!.throughput.deliveriesPerSec)} (${fmtInt(b.point.clients)})${b.atTop || b.generatorLimited ? ' lower bound' : ''}` : 'none'));
      const ratios = peers.map((t) => (sc ? ratio(sc, bests.find((b) => b.target === t)!) : '-'));
      lines.push(`| ${sw.label} | ${q ?? 'none (pinned)'} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

function groupSection(d: DocInput, q: number | null): string {
  const pts = inGroup(d.points, q);
  const targets = d.meta.targets;
  const { md: best, bests } = bestTable(pts, countsFn(d.meta), targets);
  const sc = bests.find((b) => b.target === 'scale-chat');
  const ratios = sc
    ? bests.filter((b) => b.target !== 'scale-chat').map((b) => `- scale-chat / ${b.target}: **${ratio(sc, b)}**`)
    : ['- scale-chat was not in this sweep: no ratios.'];
  const limits = limitNotes(pts, bests);
  const knees = targets.map((t) => {
    const br = kneeBracket(pts, t, countsFn(d.meta)(t));
    const extra = pts.filter((p) => p.target === t && p.knee).map((p) => fmtInt(p.clients));
    if (!br) return `- ${t}: ${bests.find((b) => b.target === t)?.point ? 'no failure above the best point: its knee is above the highest count run' : 'no point qualified'}${extra.length ? ` (knee points run: ${extra.join(', ')})` : ''}.`;
    return `- ${t}: between ${fmtInt(br.pass)} (qualifies) and ${fmtInt(br.fail)} clients (does not), ${Math.round(br.gap * 100)}% apart in clients, i.e. ${fmtInt(br.pass * br.pass)} to ${fmtInt(br.fail * br.fail)} offered deliveries/s${extra.length ? `; knee points run: ${extra.join(', ')}` : ''}${br.gap > (d.meta.kneeGap ?? 0.1) + 1e-9 ? ' (the bisection stopped before the gap was closed: its point budget or the time budget)' : ''}.`;
  });
  // Throughput without the latency bound: the most each server delivered with zero loss, whatever its p99.
  const lossless = targets.flatMap((t) => {
    const ok = pts.filter((p) => p.target === t && p.summary && !p.summary.generator.bottleneck && failures(p).every((f) => /^p99 /.test(f)));
    const top = ok.sort((a, b) => b.summary!.throughput.deliveriesPerSec - a.summary!.throughput.deliveriesPerSec)[0];
    return top ? [`${t} ${fmtInt(top.summary!.throughput.deliveriesPerSec)} (${fmtInt(top.clients)} clients, p50 ${fmtMs(top.summary!.latencyMs.p50)} / p99 ${fmtMs(top.summary!.latencyMs.p99)} ms)`] : [];
  });
  const us = bests.filter((b) => b.point).map((b) => `${b.target} ${usPerDelivery(b.point!.summary)?.toFixed(1) ?? '?'} us (at ${fmtInt(b.point!.clients)} clients)`);
  const imgs = d.images.filter((i) => i.quota === q);
  return `### ${groupTitle(q)}

${best}

${ratios.join('\n')}

**What limited the next step** (the first count above each target's best):

${limits.join('\n') || '- (no failing point above any best point)'}

**Where the knee is** (the bisection brackets it to within ${Math.round((d.meta.kneeGap ?? 0.1) * 100)}% in clients, so a ratio is not decided by the step size):

${knees.join('\n')}

**Without the latency bound** (the highest deliveries/s with zero loss, every send acknowledged and the generator not the bottleneck, whatever the p99): ${lossless.join('; ') || '-'}.

**Server CPU per delivery** at each target's best point (server CPU time divided by deliveries; it does not depend on the generator): ${us.join(', ') || '-'}.

${imgs.map((i) => `![${i.caption}](${i.file})\n\n*${i.caption}.*`).join('\n\n')}
`;
}

function seedSection(d: DocInput): string {
  const s = d.seed!;
  const rows = [...s.points].sort((a, b) => a.target.localeCompare(b.target) || a.clients - b.clients);
  const table = [
    '| target | clients | offered deliveries/s | deliveries/s | p50 ms | p99 ms | lost | server CPU | generator CPU per process | verdict |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((p) => {
      const m = p.summary;
      const f = failures(p);
      return m
        ? `| ${p.target} | ${fmtInt(p.clients)} | ${fmtInt(p.clients * p.clients)} | ${fmtInt(m.throughput.deliveriesPerSec)} | ${fmtMs(m.latencyMs.p50)} | ${fmtMs(m.latencyMs.p99)} | ${fmtInt(m.messages.lost)} | ${m.server.cpuPct !== undefined ? `${m.server.cpuPct}%` : '-'} | ${(m.generator.perProcessCpuPct ?? [m.generator.cpuPct]).map((v) => `${v}%`).join(' + ')} | ${f.length ? `fails: ${f.join(', ')}` : 'qualifies'} |`
        : `| ${p.target} | ${fmtInt(p.clients)} | ${fmtInt(p.clients * p.clients)} | - | - | - | - | - | - | ${f.join(', ').replace(/\|/g, '/')} |`;
    }),
  ].join('\n');
  const at80 = (t: Target) => s.points.find((p) => p.target === t && p.clients === SEED_READING.clients)?.summary;
  const n80 = at80('ws-naive');
  const c80 = at80('scale-chat');
  // The same target, quota and count in the sweep: where the two runs disagree, say so (noise at a knee).
  const disagree = s.points.flatMap((p) => {
    const twin = d.points.find((x) => x.target === p.target && x.clients === p.clients && (x.quota ?? null) === s.quota);
    if (!twin || !p.summary || !twin.summary) return [];
    const a = failures(p).length === 0;
    const b = failures(twin).length === 0;
    return a === b ? [] : [`${p.target} at ${fmtInt(p.clients)} clients ${a ? 'qualifies' : 'fails'} here (p99 ${fmtMs(p.summary.latencyMs.p99)} ms) but ${b ? 'qualified' : 'failed'} in the sweep (p99 ${fmtMs(twin.summary.latencyMs.p99)} ms)`];
  });
  return `### The seed's experiment, side by side

The seed that started this project limited its server's container to 0.25 CPU so that limits showed
early, and saw a p50 of ${SEED_READING.p50Ms} ms with ${SEED_READING.clients} clients in one room. The same experiment here:
ws-naive (the seeds' design) and scale-chat, each server under ${s.quota === null ? 'no quota (pinned to core 0)' : `a ${s.quota} CPU quota pinned to core 0`}, the generator
(\`scale-chat loadtest --procs ${s.genProcs}\`, unpinned) on the rest of the machine, one room, 1 msg/s per client,
${s.duration} per point, client counts ${s.counts.map(fmtInt).join(', ')} (a target stops after a point with p50 over 5 s).
Command: \`npm run bench:peers -- --seed-experiment\` (${when(s.started)} UTC).${s.fallback ? ` Quota mode was not available: ${s.fallback}.` : ''}
${n80 && c80 ? `\nAt ${SEED_READING.clients} clients: ws-naive p50 ${fmtMs(n80.latencyMs.p50)} ms / p99 ${fmtMs(n80.latencyMs.p99)} ms, scale-chat p50 ${fmtMs(c80.latencyMs.p50)} ms / p99 ${fmtMs(c80.latencyMs.p99)} ms.\n` : ''}
${d.seedImage ? `![p50 and p99 delivery latency against clients in one room, ws-naive and scale-chat at ${s.quota ?? 'no'} CPU](${d.seedImage})\n` : ''}
${table}
${disagree.length ? `\n**Run to run.** ${disagree.join('; ')}: near a knee, and at these small quotas, a point's p99 is decided by a few stalls, so one point can pass in one run and fail in the next. The p50 curves are the stable part of this experiment.\n` : ''}`;
}

export function renderDoc(d: DocInput): string {
  const { meta } = d;
  const groups = groupsOf(meta);
  const quotaMode = groups[0] !== null;
  const targets = meta.targets;
  const gen = generatorNotes(d.points);
  const maxOthers = Math.max(0, ...d.points.map((p) => p.othersPct));
  const minutes = Math.round((new Date(meta.ended).getTime() - new Date(meta.started).getTime()) / 60000);
  const procs = meta.genProcs ?? 1;
  const genMax = Math.max(0, ...d.points.flatMap((p) => p.summary?.generator.perProcessCpuPct ?? (p.summary ? [p.summary.generator.cpuPct] : [])));
  const countsLine = `${meta.peerCounts ? `scale-chat at ${meta.counts.map(fmtInt).join(', ')} clients, the peers at ${meta.peerCounts.map(fmtInt).join(', ')}` : `${meta.counts.map(fmtInt).join(', ')} clients`}`;
  const how = quotaMode
    ? `**How it was measured.** Every target's server runs under the same **CPU quota** (${groups.join(' and ')} of a core: a cgroup v${meta.cgroupVersion ?? '?'} quota, ${meta.cgroupVersion === 2 ? '`cpu.max`' : '`cpu.cfs_quota_us` / `cpu.cfs_period_us`'}, period 100 ms, one cgroup per bench run that each server is started in) and is **pinned to core 0** (\`taskset -c 0\`). The load generator, \`scale-chat loadtest --procs ${procs}\`, is **not pinned**: its ${procs} processes use the rest of the machine (the most any one of them used while sending, over the whole sweep: ${genMax}% of a core). A point **qualifies** only when p99 delivery latency <= ${P99_LIMIT_MS} ms, zero loss, every send acknowledged, every client connected **and the generator did not flag itself as the bottleneck** (summary.json \`generator.bottleneck\`): a figure the generator limited is not the server's.`
    : `**How it was measured.** ${meta.fallback ? `Quota mode was not available on this machine (${meta.fallback}), so this sweep ran in the old pinned mode: ` : ''}each server pinned to **core 0** (\`taskset -c 0\`), no CPU quota, and the load generator (\`scale-chat loadtest\`, one process) pinned to **core 1**. A point qualifies when p99 <= ${P99_LIMIT_MS} ms, zero loss, every send acknowledged, every client connected and the generator did not flag itself as the bottleneck. In this mode one generator core saturates before scale-chat does (see the caveats).`;
  const superseded = quotaMode
    ? `**The earlier pinned results are superseded.** The previous version of this document (server on core 0, one generator process on core 1, no quota) reported "at least 4.0x ws-naive and Socket.IO"; in that setup the one generator core saturated before scale-chat did, so the figure measured the load generator rather than the server. With a CPU quota on the server and the generator on the rest of the machine, the server is what runs out first.`
    : '';
  const notRun = meta.notRun ?? [];
  const skippedAfterFailures = groups.flatMap((q) =>
    targets.flatMap((t) => {
      const ran = new Set(inGroup(d.points, q).filter((p) => p.target === t).map((p) => p.clients));
      const not = countsFn(meta)(t).filter((n) => !ran.has(n) && !notRun.some((x) => x.startsWith(`${t} at ${n} clients`)));
      return not.length ? [`${t}${q !== null ? ` at ${q} CPU` : ''} was not run at ${not.map(fmtInt).join(', ')} clients: it had failed at ${meta.stopAfter ?? 2} lower count${(meta.stopAfter ?? 2) > 1 ? 's' : ''} in a row.`] : [];
    }),
  );
  const firstQuota = groups[0];
  return `## Fan-out at equal CPU quota: scale-chat beside two peers

Generated by \`${meta.command}\` (bench/peers.ts) on ${when(meta.started)} UTC (${minutes} min).
${d.rendered ? `Report written by \`${d.rendered}\`.
` : ''}Do not edit by hand: run it again.

**The figure**: the highest deliveries per second each server sustains with **p99 delivery latency
<= ${P99_LIMIT_MS} ms and zero loss** (every message acknowledged and received by every member of the room),
over one fan-out sweep: one room, every client in it, **1 message/s per client**, rising client counts
(${countsLine}, then bisected near each knee), ${meta.duration} of sending per point. N clients offer N x N deliveries/s.

${how}

${superseded}

${groups.map((q) => groupSection(d, q)).join('\n')}
${d.repeats?.length ? `The same sweep run ${d.repeats.length === 1 ? 'another time' : `${d.repeats.length} other times`} on this machine (\`--repeats\`), to show how much the figures move:

${repeatsTable(d)}
` : ''}
"A lower bound" means the limit found was not the server's: either the best point is the highest
count tested, or the next count failed while the load generator flagged itself as the bottleneck and
the server used under ${SERVER_BUSY_PCT}% of its CPU share (its quota, or its core without one), so that server's real
ceiling is higher. A ratio is then "at least" (scale-chat's figure is a lower bound), "at most" (the
peer's is) or unknown in direction (both are).

${d.seed ? seedSection(d) : ''}
### The peers

| target | server | what it does per message |
|---|---|---|
| scale-chat | \`scale-chat serve\` (this repository), SQLite store in a temp dir, \`--rate-per-sec 1000 --rate-burst 2000\` | validates the frame, rate-limits, assigns the room seq and appends the message to SQLite (group commit), acks, then serializes the event **once** and queues the same bytes on every member's outbox, flushed per connection in batches |
| ws-naive | bench/peers/ws-naive-server.ts on \`ws\` | the seeds' design: acks, then for every member \`JSON.stringify\` + \`ws.send\` one by one (no store, no batching, no backpressure) |
| socketio | bench/peers/socketio.ts: Socket.IO ${d.socketIoVersion} with default settings | acks through the Socket.IO ack callback, then \`io.to(room).emit('msg', ...)\`: the in-memory adapter encodes the packet once and writes it to every member (no store) |

The load generator is the same for all three (\`scale-chat loadtest\`, docs/loadtest.md), with one
client adapter per target (src/loadtest/targets/): the scale-chat SDK for scale-chat; for the peers a
raw \`ws\` socket speaking their framing directly (scale-chat's JSON frames for ws-naive; Engine.IO v4 /
Socket.IO v5 packets \`0\`, \`40\`, \`42[...]\`, \`43n[...]\`, pings answered, for socketio), so no client
library's cost skews the comparison. All three read a received message the same cheap way: room and
seq by position, the rest only when needed (the latency stamp at the head of the text).

### Every point

${groups.map((q) => `#### ${groupTitle(q)}\n\n${sweepTable(inGroup(d.points, q))}`).join('\n\n')}

"(knee)" marks a count the bisection added. "throttled periods": the share of the cgroup's 100 ms
periods in which the server used up its quota and was held back (cgroup \`cpu.stat\`, over the whole
point: connect, send, drain). "others' CPU" is what other processes on the machine used during the
point (% of one core, from /proc): a point is run again (twice at most) when it is over 15%, and the
least disturbed attempt is kept. Server CPU is the mean of the per-second samples of the server's
/metrics over the sending window, in % of one core (and of the quota); a sample that arrives late
covers more than a second, so a saturated server can show a little over its share.
${skippedAfterFailures.length || notRun.length ? '\n' + [...skippedAfterFailures, ...notRun.map((x) => `not run: ${x}`)].map((s) => `- ${s}`).join('\n') + '\n' : ''}
#### Where the generator was the bottleneck

${gen.length ? gen.join('\n') : '- Nowhere: the generator never flagged itself in this sweep.'}

The generator flags itself (summary.json \`generator.bottleneck\`) when one of its processes used >= 90%
of a core while sending, fell more than 1 s behind its send schedule, or its event loop stalled. Such a
point does not qualify: its latencies include the generator's own delay.

### Method

- For each ${quotaMode ? 'quota, each ' : ''}target and each client count, ascending: a fresh server started ${quotaMode ? `in the run's cgroup (\`/bin/sh\` writes its own pid into \`cgroup.procs\`, then execs \`taskset -c 0 node ...\`, so the server runs under the quota from its first instruction; the runner checks the pid is in the group) with the quota set for the point` : 'pinned to **core 0** (`taskset -c 0`)'}, then
  \`loadtest --target <t> --url <server> --clients N --rooms 1 --rate 1 --duration ${meta.duration} --procs ${procs} --ack-timeout 10s
  --drain-timeout 10s --events-sample 0.01 --threshold "p99<=100ms,loss==0" --out <dir>\`${quotaMode ? ' (unpinned)' : ' pinned to **core 1**'}
  (1% of messages logged in events.csv: logging every delivery costs generator CPU). The server is
  stopped after each point.
- A target that failed at ${meta.stopAfter ?? 2} count${(meta.stopAfter ?? 2) > 1 ? 's' : ''} in a row is not run at higher ones. Then the **knee bisection**: between
  the best qualifying point and the first failing count above it, the middle count is run, until the
  two are at most ${Math.round((meta.kneeGap ?? 0.1) * 100)}% apart in clients (${meta.kneePoints ?? 4} extra points at most per target${quotaMode ? ' and quota' : ''}).
- Connect all N clients (1,000/s), join the one room, start together, each sends 1 message/s (random
  phase, +-10% jitter, open loop), stop, wait for the acks and the deliveries (bounded), report.
- deliveries/s: messages delivered (every member, sender included) over the sending window. Latency:
  send time stamped in the text to receipt by each member (HDR histogram of every delivery). Loss:
  exact, per room seq (docs/loadtest.md). Server CPU: the server's /metrics sampled each second (the
  peers expose \`process_cpu_seconds_total\` the same way).
- Before each point the runner waits (at most 120 s) until other processes use under 10% of a core.
${quotaMode ? `- The cgroup (\`scale-chat-bench-<pid>\`) is removed when the run ends, fails or is interrupted; one left by a run killed with SIGKILL is removed by the next run. Without a writable cgroup (v2 \`cpu.max\` or v1 \`cpu.cfs_quota_us\`) the runner says why and falls back to the pinned mode.\n` : ''}
### Machine

${d.cores} cores (${d.cpuModel}), Node ${d.node}, loopback only. Load average before the sweep: ${meta.loadBefore}.
Other processes took at most ${maxOthers}% of a core during any point.

### Caveats

${quotaMode ? `- **A quota is not a small core.** The server may run on core 0 for ${firstQuota !== null ? firstQuota * 100 : '?'} ms of each 100 ms period (at ${firstQuota}); once it has used its share it waits for the next period. A burst of work therefore waits up to the rest of a period, which adds latency that a slower dedicated core would not: a quota is harsher on p99 than on throughput, and equally so for the three servers.
- **The kernel's share.** Loopback TCP work (softirq) is partly accounted to whoever is running when it happens; the generator's processes run on both cores, so part of the servers' network cost may land outside their quota, and the generator's on core 0. It is the same setup for all three servers.
- **p99 at a small quota is noisy.** A few stalls of tens of milliseconds (a throttled period, a garbage collection) decide a point's p99, so near a knee the same count can pass in one run and fail in the next, and a target can fail at a count below one it passed (see the tables). Read the best figures as "about here", to within the knee's bracket and a step or two more at 0.25 CPU; the ratios between servers that differ by several times are robust, their last digit is not.
- **Nothing here says how any of the three scales on more cores**; the quotas are a way to make the server, not the generator, the limited side on a 2-core machine.` : `- **Two cores, shared.** The server has one core and the generator the other; the kernel's loopback work (softirq) lands on both. Nothing here says how any of the three scales on more cores.
- **The generator's limit.** One generator core takes on the order of 1 M deliveries/s when they come batched (scale-chat) and far fewer when every delivery is its own frame (the peers); past that the generator, not the server, is measured, and such points do not qualify.`}
- **Not the same work.** scale-chat stores every message durably in SQLite, validates every frame,
  rate-limits and keeps per-connection outboxes with slow-consumer protection; the peers keep nothing
  and check little. The comparison is of what a user of each gets for a chat fan-out, not of
  equal code paths.
- **Noise near a limit.** Close to a server's limit its p99 swings by tens of milliseconds from run to
  run, so a point just over 100 ms can sit below a higher count that passed; the figure is the best
  point that qualified, and a rerun may move it by about the knee's bracket.
- **Short points.** ${meta.duration} of sending per point; one run per point (up to three when disturbed). Runs vary
  by several percent between sweeps; the ratios are the robust part, not the last digit.
- **Reading the failures.** When a server falls behind, sends queue in its socket buffers: latency
  grows for the rest of the point, and sends not acknowledged within 10 s count as failed (shown as
  "sends acked").

### Reproduce

\`\`\`sh
npx tsc -p .
npm run bench:peers -- --cpu-quota 0.25,0.5          # this document (~25 min); --quick for a short smoke run
npm run bench:peers -- --seed-experiment --runs-dir /tmp/seed   # the seed's experiment (~6 min)
node dist/bench/peers.js --report-only <runs dir> --seed-from /tmp/seed   # this document again from both runs
node dist/src/cli/main.js report --compare <runs dir>/cpu0.25-scale-chat-00300 <runs dir>/cpu0.25-ws-naive-00060   # any points, side by side
\`\`\`
`;
}
