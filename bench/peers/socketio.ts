/**
 * Comparison peer `socketio` for `scale-chat loadtest --target socketio` and `npm run bench:peers`:
 * Socket.IO 4 with default settings (`new Server(httpServer)`: path /socket.io/, websocket and
 * polling transports, no compression, pingInterval 25 s, the in-memory adapter), written the
 * idiomatic way. Events on the default namespace, each answered through the Socket.IO ack callback
 * (or, when the client sent no callback, an event of the same name with `re`):
 *  - `hello` {name}        -> {user: {id, name}} (the welcome);
 *  - `join`  {room}        -> {room: {id, lastSeq}} (`socket.join(room)`; created on first join);
 *  - `send`  {id, room, text} -> {id, room, seq, ts} (per-room seq), then
 *                              `io.to(room).emit('msg', {room, seq, id, uid, user, text, ts})`:
 *                              Socket.IO's broadcast (one encoding, written to every member);
 *  - a rejected request    -> {error: code, message}.
 * GET /metrics: process_cpu_seconds_total and process_resident_memory_bytes, so the load generator
 * samples this server's CPU the same way as scale-chat's.
 *
 * Usage: node dist/bench/peers/socketio.js [--port 0] [--host 127.0.0.1] [--max-lifetime-s 900]
 * Prints `{"msg":"socketio listening","port":N}` on stdout. Exits on SIGTERM/SIGINT, when its stdin
 * pipe closes (the runner went away), and after --max-lifetime-s whatever happens.
 */
import http from 'node:http';
import { Server, type Socket } from 'socket.io';
import { argOf, intArg, metricsText, exitWithParent } from './peer-common.js';

const MAX_TEXT = 64 * 1024;
const seqs = new Map<string, number>();
let nextUid = 0;

type Reply = (body: Record<string, unknown>) => void;

function isName(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

/** The ack callback when the client asked for one, else an event named after the request. */
function replier(socket: Socket, event: string, cb: unknown, re: unknown): Reply {
  if (typeof cb === 'function') return cb as Reply;
  return (body) => socket.emit(event, typeof re === 'string' ? { re, ...body } : body);
}

const httpServer = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(metricsText());
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('socketio peer: Socket.IO at /socket.io/, metrics at /metrics\n');
});

const io = new Server(httpServer);

io.on('connection', (socket) => {
  let user: { id: string; name: string } | null = null;

  socket.on('hello', (p: { name?: unknown } | undefined, cb?: unknown) => {
    const reply = replier(socket, 'welcome', cb, undefined);
    if (user) return reply({ error: 'already_authenticated', message: 'hello was already sent' });
    const uid = `s${++nextUid}`;
    user = { id: uid, name: isName(p?.name, 64) ? p.name : `guest-${uid}` };
    reply({ user, serverTime: Date.now() });
  });

  socket.on('join', (p: { room?: unknown; id?: unknown } | undefined, cb?: unknown) => {
    const reply = replier(socket, 'joined', cb, p?.id);
    if (!user) return reply({ error: 'handshake_required', message: 'send hello first' });
    const room = p?.room;
    if (!isName(room, 128)) return reply({ error: 'bad_request', message: 'join needs a room (1-128 characters)' });
    void socket.join(room);
    reply({ room: { id: room, lastSeq: seqs.get(room) ?? 0 } });
  });

  socket.on('send', (p: { id?: unknown; room?: unknown; text?: unknown } | undefined, cb?: unknown) => {
    const reply = replier(socket, 'ack', cb, p?.id);
    if (!user) return reply({ error: 'handshake_required', message: 'send hello first' });
    const id = p?.id;
    const room = p?.room;
    const text = p?.text;
    if (!isName(id, 64) || !isName(room, 128) || typeof text !== 'string') return reply({ error: 'bad_request', message: 'send needs id, room and text' });
    if (text.length > MAX_TEXT) return reply({ error: 'too_large', message: `text over ${MAX_TEXT} characters` });
    if (!socket.rooms.has(room)) return reply({ error: 'not_member', message: `not a member of ${room}` });
    const ts = Date.now();
    const seq = (seqs.get(room) ?? 0) + 1;
    seqs.set(room, seq);
    reply({ id, room, seq, ts });
    io.to(room).emit('msg', { room, seq, id, uid: user.id, user: user.name, text, ts });
  });
});

httpServer.listen(intArg('port', 0, 0, 65535), argOf('host', '127.0.0.1'), () => {
  const addr = httpServer.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.stdout.write(JSON.stringify({ msg: 'socketio listening', port }) + '\n');
});
httpServer.on('error', (e) => {
  process.stderr.write(`socketio: ${e.message}\n`);
  process.exit(1);
});

exitWithParent(intArg('max-lifetime-s', 900, 1, 86_400));
