/**
 * The feeder of the receive benchmark (./bench-receive.ts --ws): a minimal WebSocket server that
 * speaks just enough of the protocol for a load client (welcome, joined) and then streams
 * server-shaped batch frames to every connected client as fast as they read them: each round is one
 * frame of `batch` msgs with the next seqs, written once as a Buffer to every socket whose unsent
 * backlog is under 1 MiB. It stands in for a server that can push more than one generator core can
 * take, so the benchmark measures the generator, not the server. Runs in its own process (pin it to
 * another core); reports its port over IPC.
 */
import { WebSocketServer, type WebSocket } from 'ws';

const BACKLOG = 1 << 20;

export function runFeeder(batch: number, room: string): void {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  const ready = new Set<WebSocket>();
  let expected = Infinity;
  let seq = 0;
  let running = false;

  const frame = (): Buffer => {
    const stamp = Math.round((performance.timeOrigin + performance.now()) * 1000).toString(36);
    const ts = Date.now();
    let s = '{"type":"batch","events":[';
    for (let k = 0; k < batch; k++) {
      seq++;
      if (k > 0) s += ',';
      s += `{"type":"msg","room":"${room}","seq":${seq},"id":"lfeed-${seq.toString(36)}","uid":"u_0123456789abcdef","user":"lfeed","text":"${stamp} - xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","ts":${ts}}`;
    }
    return Buffer.from(s + ']}');
  };

  /** One round whenever every client has room for it; yields to I/O between rounds. */
  const pump = (): void => {
    if (!running) return;
    for (const ws of ready) if (ws.bufferedAmount > BACKLOG) return void setTimeout(pump, 1);
    const f = frame();
    for (const ws of ready) ws.send(f, { binary: false });
    setImmediate(pump);
  };

  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('close', () => ready.delete(ws));
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { type: string; id?: string; auth?: { name?: string } };
      if (f.type === 'hello') {
        const limits = { maxFrameBytes: 65536, maxTextLength: 4000, historyPageMax: 200, replayMax: 1000, ratePerSec: 20, rateBurst: 40 };
        ws.send(JSON.stringify({ type: 'welcome', v: 1, user: { id: `u_${f.auth?.name}`, name: f.auth?.name, account: false }, token: 't', tokenExpiresAt: 0, rooms: [], heartbeatMs: 30_000, limits, serverTime: Date.now() }));
      } else if (f.type === 'join') {
        ws.send(JSON.stringify({ type: 'joined', re: f.id, room: { id: room, kind: 'public', lastSeq: seq, lastRead: 0, members: 1 } }));
        ready.add(ws);
        if (ready.size >= expected && !running) {
          running = true;
          pump();
        }
      }
    });
  });

  wss.on('listening', () => {
    const addr = wss.address();
    process.send?.({ port: addr && typeof addr === 'object' ? addr.port : 0 });
  });
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', (m: { clients?: number; measure?: boolean; stop?: boolean }) => {
    if (m.clients !== undefined) expected = m.clients;
    if (m.measure) {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    }
    if (m.stop) {
      running = false;
      const c = process.cpuUsage(cpu0);
      process.send?.({ cpuPct: Math.round(((c.user + c.system) / 1000 / (performance.now() - t0)) * 100) }, () => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
}
