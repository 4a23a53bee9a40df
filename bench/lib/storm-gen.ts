/**
 * A reconnect-storm generator process (started by bench/storm.ts with an IPC channel; not a CLI).
 * It runs clients [first, first + count) as bench/lib/storm-client.ts StormClients (the real SDK)
 * and answers the parent's phases (bench/lib/storm-ipc.ts): init (connect at a bounded rate, join
 * the rooms), send (steady acked sends), burst (one more send from each of some clients, then the
 * parent kills the server), progress reports every 200 ms while the clients reconnect by themselves,
 * sends (what became of every send), verify (wait for the streams to catch up, check each client's
 * stream, report its storm times), exit. It exits when the parent goes away, and every wait is bounded.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { StormClient, type Observed } from './storm-client.js';
import type { ClientTimes, FromGen, GenInit, RoomTruth, ToGen } from './storm-ipc.js';
import { emptyCounts, RoomIndex } from './storm-verify.js';

const clients: StormClient[] = [];
const observed: Observed = new Map();
const pending = new Set<Promise<void>>();
const failures: Record<string, number> = {};
let sendTimer: ReturnType<typeof setInterval> | undefined;
let progressTimer: ReturnType<typeof setInterval> | undefined;
let cursor = 0;
const loop = monitorEventLoopDelay({ resolution: 10 });

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function reply(m: FromGen): void {
  process.send?.(m);
}

function countFailure(err: unknown): void {
  const code = (err as { code?: string })?.code ?? String(err).slice(0, 60);
  failures[code] = (failures[code] ?? 0) + 1;
}

async function init(o: GenInit): Promise<void> {
  for (let k = 0; k < o.count; k++) {
    const i = o.first + k;
    clients.push(new StormClient(i, `r${i % o.rooms}`, o.url, `127.0.0.${2 + (i % o.addrs)}`, o.ackTimeoutMs, observed, o.transport));
  }
  // Connect at o.connectRate per second, at most 256 handshakes in flight, within o.setupMs.
  const t0 = performance.now();
  const deadline = t0 + o.setupMs;
  let started = 0;
  let inFlight = 0;
  const done: Promise<void>[] = [];
  while (started < clients.length && performance.now() < deadline) {
    const due = Math.min(clients.length, Math.ceil(((performance.now() - t0) / 1000) * o.connectRate) + 1);
    while (started < due && inFlight < 256) {
      const c = clients[started++];
      inFlight++;
      done.push(
        c
          .setup()
          .catch(countFailure)
          .finally(() => inFlight--),
      );
    }
    await sleep(10);
  }
  await Promise.race([Promise.all(done), sleep(Math.max(0, deadline - performance.now()))]);
  const ready = clients.filter((c) => c.ready);
  if (started < clients.length) failures['not started (setup time over)'] = clients.length - started;
  // A client that is not in its room is not measured: it must not reconnect in the storm either.
  for (const c of clients) if (!c.ready) c.close();
  reply({ t: 'ready', connected: clients.filter((c) => c.client.state === 'open').length, joined: ready.length, failures });
}

function readyClients(): StormClient[] {
  return clients.filter((c) => c.ready);
}

function track(p: Promise<void>): void {
  pending.add(p);
  void p.finally(() => pending.delete(p));
}

/** The next ready client in turn (null when none is). */
function nextClient(ready: StormClient[]): StormClient | null {
  if (!ready.length) return null;
  return ready[cursor++ % ready.length];
}

function startSending(rate: number): void {
  const ready = readyClients();
  const t0 = performance.now();
  let sent = 0;
  sendTimer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; sent < due; sent++) {
      const c = nextClient(ready);
      if (c) track(c.send(false));
    }
  }, 20);
}

function burst(count: number): number {
  clearInterval(sendTimer);
  const ready = readyClients();
  for (const c of clients) c.arm();
  loop.reset();
  loop.enable();
  const n = Math.min(count, ready.length);
  for (let k = 0; k < n; k++) track(nextClient(ready)!.send(true));
  progressTimer = setInterval(() => {
    let lost = 0;
    let welcomed = 0;
    let resumed = 0;
    let closed = 0;
    for (const c of ready) {
      if (!Number.isNaN(c.times.lostAt)) lost++;
      if (!Number.isNaN(c.times.welcomeAt)) welcomed++;
      if (c.resumed) resumed++;
      if (c.times.closed) closed++;
    }
    reply({ t: 'progress', lost, welcomed, resumed, closed });
  }, 200);
  return n;
}

async function reportSends(waitMs: number): Promise<void> {
  const settled = await Promise.race([Promise.all([...pending]).then(() => true), sleep(waitMs).then(() => false)]);
  const sends = clients.flatMap((c) => [...c.sends.values()]);
  const obs: Record<string, [number, string][]> = {};
  for (const [room, ids] of observed) obs[room] = [...ids];
  reply({ t: 'sends', sends, observed: obs, settled });
}

async function verify(rooms: Record<string, RoomTruth>, waitMs: number): Promise<void> {
  clearInterval(progressTimer);
  loop.disable();
  const ready = readyClients();
  const index = new Map(Object.entries(rooms).map(([r, t]) => [r, new RoomIndex(t)]));
  const behind = () => ready.filter((c) => !c.times.closed && c.position < (index.get(c.room)?.finalSeq ?? 0));
  const deadline = performance.now() + waitMs;
  while (behind().length && performance.now() < deadline) await sleep(100);
  const result = emptyCounts();
  for (const c of ready) {
    const room = index.get(c.room);
    if (room) room.checkMember(c.delivered, c.start, c.wireDuplicates, observed.get(c.room), result);
    else result.clients++;
  }
  for (const [r, room] of index) result.idMismatch += room.mismatches(observed.get(r));
  const times: ClientTimes[] = ready.map((c) => c.times);
  reply({ t: 'verify', result, clients: times, caughtUp: behind().length === 0, loop: { p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6 } });
}

async function handle(m: ToGen): Promise<void> {
  switch (m.t) {
    case 'init':
      return init(m);
    case 'send':
      return startSending(m.rate);
    case 'burst':
      return reply({ t: 'burst-sent', sent: burst(m.count) });
    case 'sends':
      return reportSends(m.waitMs);
    case 'verify':
      return verify(m.rooms, m.waitMs);
    case 'exit':
      clearInterval(sendTimer);
      clearInterval(progressTimer);
      for (const c of clients) c.close();
      setTimeout(() => process.exit(0), 200);
  }
}

process.on('message', (m: ToGen) => {
  handle(m).catch((err: unknown) => reply({ t: 'error', message: `${m.t}: ${(err as Error)?.stack ?? err}` }));
});
process.on('disconnect', () => process.exit(1));
