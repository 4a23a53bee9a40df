/**
 * Comparison peer for the fan-out bench: the seeds' design, on purpose naive.
 *
 * A plain `ws` server at /ws speaking just enough of protocol v1 for bench/fanout-gen.ts:
 *  - `hello` -> a minimal `welcome` (any guest name; no store, no validation beyond JSON.parse);
 *  - `send`  -> an `ack` to the sender, then the `msg` event to every connected client, one by one:
 *    JSON.stringify per recipient and one ws.send per recipient (no batching, no shared buffer,
 *    no backpressure), with one global seq.
 *
 * Usage: node dist/bench/peers/naive-ws.js [--port 0] [--host 127.0.0.1]
 * Prints `{"msg":"naive-ws listening","port":N}` on stdout. Exits on SIGTERM/SIGINT or when stdin
 * closes (the bench runner went away), and after --max-lifetime-s (default 900) whatever happens.
 */
import { WebSocketServer, type WebSocket } from 'ws';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

interface Client {
  ws: WebSocket;
  uid: string;
  name: string;
}

const clients = new Set<Client>();
let seq = 0;
let nextUid = 0;

const wss = new WebSocketServer({
  host: arg('host', '127.0.0.1'),
  port: Number(arg('port', '0')),
  path: '/ws',
  perMessageDeflate: false,
  maxPayload: 64 * 1024,
});

wss.on('connection', (ws) => {
  let me: Client | null = null;
  ws.on('message', (data) => {
    let f: { type?: string; id?: string; room?: string; text?: string; auth?: { name?: string } };
    try {
      f = JSON.parse(data.toString());
    } catch {
      ws.send(JSON.stringify({ type: 'error', code: 'bad_json', message: 'frame is not valid JSON' }));
      return;
    }
    if (!me) {
      if (f.type !== 'hello') {
        ws.send(JSON.stringify({ type: 'error', code: 'handshake_required', message: 'the first frame must be "hello"' }));
        ws.close(4001, 'handshake_required');
        return;
      }
      me = { ws, uid: `n${++nextUid}`, name: String(f.auth?.name ?? `guest${nextUid}`) };
      clients.add(me);
      ws.send(
        JSON.stringify({
          type: 'welcome',
          v: 1,
          user: { id: me.uid, name: me.name, account: false },
          rooms: [{ id: 'general', kind: 'global', lastSeq: seq, lastRead: 0, members: clients.size }],
          serverTime: Date.now(),
        }),
      );
      return;
    }
    if (f.type === 'send') {
      const ts = Date.now();
      const s = ++seq;
      ws.send(JSON.stringify({ type: 'ack', id: f.id, room: f.room, seq: s, ts }));
      const msg = { type: 'msg', room: 'general', seq: s, id: f.id, uid: me.uid, user: me.name, text: f.text, ts };
      for (const c of clients) c.ws.send(JSON.stringify(msg));
      return;
    }
    ws.send(JSON.stringify({ type: 'error', code: 'unknown_type', message: 'naive peer: only hello and send', re: f.id }));
  });
  ws.on('close', () => {
    if (me) clients.delete(me);
  });
  ws.on('error', () => {});
});

wss.on('listening', () => {
  const addr = wss.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.stdout.write(JSON.stringify({ msg: 'naive-ws listening', port }) + '\n');
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
setTimeout(stop, Number(arg('max-lifetime-s', '900')) * 1000).unref();
