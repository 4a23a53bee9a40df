/**
 * Comparison peer `ws-naive` for `scale-chat loadtest --target ws-naive` and `npm run bench:peers`:
 * the seeds' design, naive on purpose. A plain `ws` server at /ws speaking the JSON shape of
 * scale-chat's protocol v1 as far as fan-out needs it:
 *  - `hello`  -> `welcome` (any guest name; no auth, no store, no resume, no heartbeat);
 *  - `join`   -> `joined` with the room's last seq (the room is created on first join);
 *  - `send`   -> `ack` {id, room, seq, ts} to the sender (per-room seq), then the `msg` event to
 *                every member of the room, one by one: JSON.stringify per recipient and one
 *                ws.send per recipient (no batching, no shared buffer, no backpressure, no
 *                slow-consumer handling) -- what the seed servers did;
 *  - GET /metrics: process_cpu_seconds_total and process_resident_memory_bytes (Prometheus text),
 *    so the load generator samples this server's CPU the same way as scale-chat's.
 * Bad input gets an `error` frame, never a crash.
 *
 * (bench/peers/naive-ws.ts, the first fan-out bench's peer, has one global room and no `join`: the
 * load generator needs named rooms with their own seqs, hence this server.)
 *
 * Usage: node dist/bench/peers/ws-naive-server.js [--port 0] [--host 127.0.0.1] [--max-lifetime-s 900]
 * Prints `{"msg":"ws-naive listening","port":N}` on stdout. Exits on SIGTERM/SIGINT, when stdin
 * closes (the runner went away), and after --max-lifetime-s whatever happens.
 */
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { argOf, intArg, metricsText, exitWithParent } from './peer-common.js';

interface Member {
  ws: WebSocket;
  uid: string;
  name: string;
}

interface Room {
  seq: number;
  members: Set<Member>;
}

const MAX_TEXT = 64 * 1024;
const rooms = new Map<string, Room>();
let nextUid = 0;

function err(ws: WebSocket, code: string, message: string, re?: unknown): void {
  ws.send(JSON.stringify({ type: 'error', code, message, ...(typeof re === 'string' ? { re } : {}) }));
}

function isName(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(metricsText());
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('ws-naive peer: WebSocket at /ws, metrics at /metrics\n');
});

const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false, maxPayload: 128 * 1024 });

wss.on('connection', (ws) => {
  let me: Member | null = null;
  const joined = new Set<Room>();
  ws.on('message', (data, isBinary) => {
    if (isBinary) return err(ws, 'bad_frame', 'frames are JSON text');
    let f: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(data.toString());
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return err(ws, 'bad_frame', 'a frame is a JSON object');
      f = v as Record<string, unknown>;
    } catch {
      return err(ws, 'bad_frame', 'frame is not valid JSON');
    }
    if (!me) {
      if (f.type !== 'hello') {
        err(ws, 'handshake_required', 'the first frame must be "hello"');
        ws.close(4001, 'handshake_required');
        return;
      }
      const auth = f.auth as { name?: unknown } | undefined;
      const uid = `n${++nextUid}`;
      me = { ws, uid, name: isName(auth?.name, 64) ? auth.name : `guest-${uid}` };
      ws.send(JSON.stringify({ type: 'welcome', v: 1, user: { id: me.uid, name: me.name, account: false }, rooms: [], serverTime: Date.now() }));
      return;
    }
    if (f.type === 'send') {
      if (!isName(f.id, 64) || !isName(f.room, 128) || typeof f.text !== 'string') return err(ws, 'bad_request', 'send needs id, room and text', f.id);
      if (f.text.length > MAX_TEXT) return err(ws, 'too_large', `text over ${MAX_TEXT} characters`, f.id);
      const room = rooms.get(f.room);
      if (!room || !joined.has(room)) return err(ws, 'not_member', `not a member of ${f.room}`, f.id);
      const ts = Date.now();
      const seq = ++room.seq;
      ws.send(JSON.stringify({ type: 'ack', id: f.id, room: f.room, seq, ts }));
      const msg = { type: 'msg', room: f.room, seq, id: f.id, uid: me.uid, user: me.name, text: f.text, ts };
      for (const m of room.members) m.ws.send(JSON.stringify(msg));
      return;
    }
    if (f.type === 'join' || f.type === 'create') {
      if (!isName(f.id, 64) || !isName(f.room, 128)) return err(ws, 'bad_request', `${f.type} needs id and room`, f.id);
      let room = rooms.get(f.room);
      if (!room) rooms.set(f.room, (room = { seq: 0, members: new Set() }));
      room.members.add(me);
      joined.add(room);
      ws.send(JSON.stringify({ type: 'joined', re: f.id, room: { id: f.room, kind: 'public', lastSeq: room.seq, lastRead: 0, members: room.members.size } }));
      return;
    }
    if (f.type === 'pong') return;
    if (f.type === 'ping') {
      ws.send(JSON.stringify({ type: 'pong', re: f.id, ts: Date.now() }));
      return;
    }
    err(ws, 'unknown_type', 'ws-naive peer: only hello, join, create, send, ping', f.id);
  });
  ws.on('close', () => {
    if (me) for (const r of joined) r.members.delete(me);
  });
  ws.on('error', () => {});
});

server.listen(intArg('port', 0, 0, 65535), argOf('host', '127.0.0.1'), () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.stdout.write(JSON.stringify({ msg: 'ws-naive listening', port }) + '\n');
});
server.on('error', (e) => {
  process.stderr.write(`ws-naive: ${e.message}\n`);
  process.exit(1);
});

exitWithParent(intArg('max-lifetime-s', 900, 1, 86_400));
