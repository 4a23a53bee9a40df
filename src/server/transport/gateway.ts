/**
 * The WebSocket gateway: accepts `/ws` upgrades, runs the handshake, replays what a resuming client
 * missed, decodes and rate-limits every frame, dispatches to the handlers, runs the heartbeat and the drain.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CloseCode, ErrorCode, handshakeCloseCode } from '../../protocol/codes.js';
import { decodeClientFrame } from '../../protocol/codec.js';
import type { ClientFrame, HelloFrame } from '../../protocol/schema.js';
import { encodeEvent } from '../../protocol/encode.js';
import type { PingEvent, WelcomeFrame } from '../../protocol/types.js';
import { PROTOCOL_VERSION, WS_PATH } from '../../protocol/version.js';
import type { Authenticator } from '../auth/handshake.js';
import type { ClusterNames } from '../cluster/state.js';
import type { TokenSigner } from '../auth/tokens.js';
import type { Config } from '../config.js';
import { Refusal, type HandlerMap } from '../hub/handlers.js';
import type { ConnUser } from '../hub/conn.js';
import type { EnteredRoom, Hub } from '../hub/hub.js';
import type { Metrics } from '../metrics.js';
import { Conn } from './connection.js';
import { addressMatcher, clientIpResolver, type ClientIp } from '../common/client-ip.js';
import type { FlushScheduler } from './outbox.js';
import { parseRequestTarget, STATUS_TEXT } from '../common/request-target.js';

type Phase = 'new' | 'auth' | 'ready';
interface ConnState {
  phase: Phase;
  handshakeTimer?: NodeJS.Timeout;
  /** Frames received while the handshake or an async handler runs: processed in order afterwards. */
  queue: string[];
  busy: boolean;
  /** Reading paused: the connection has too much unsent (see `backlogged`). */
  blocked: boolean;
  blockTimer?: NodeJS.Timeout;
  /** Which of the HEARTBEAT_SLICES ticks of a heartbeat period checks and pings this connection. */
  beatSlot: number;
}

/**
 * A heartbeat period is cut into this many ticks and each connection is checked and pinged at one of
 * them: pinging every connection at once wrote 2 frames per connection in one event-loop turn (~24 ms
 * for 1,000 connections here, ~0.5 s for 20,000), a stall every period for everyone.
 */
export const HEARTBEAT_SLICES = 10;

/**
 * The request id of a refused frame: its top-level string `id` of at most 64 characters (the rule of
 * decodeClientFrame), or undefined. Refused frames are few per connection (a flood closes it), so a full parse is cheap.
 */
function requestId(text: string): string | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.hasOwn(raw, 'id')) return undefined;
  const id = (raw as { id: unknown }).id;
  return typeof id === 'string' && id.length >= 1 && id.length <= 64 ? id : undefined;
}

/** Frames one connection may queue behind a slow request before it counts as abuse. */
const MAX_QUEUED_FRAMES = 256;
/** How often a connection whose reading is paused checks whether its backlog drained. */
const UNBLOCK_CHECK_MS = 20;
/**
 * Time a closing socket has to complete the close handshake before it is destroyed (ws' default is 30 s):
 * a slow consumer that does not read keeps its unsent bytes in memory until then.
 */
const CLOSE_TIMEOUT_MS = 3000;
/** While the whole process holds more than maxBufferedBytes unsent, a connection is paused past this much. */
const PRESSURE_BACKLOG_BYTES = 64 * 1024;
/** How often the unsent bytes of all connections are summed. */
const PRESSURE_SAMPLE_MS = 250;

/**
 * The upgrading socket's error listener, for the connection's whole life: a module function, not a
 * closure, so it does not keep the upgrade request (its headers) alive with it.
 */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

export class Gateway {
  readonly wss: WebSocketServer;
  private readonly conns = new Map<Conn, ConnState>();
  /** Open connections per client address and per signed-in user (caps: maxConnectionsPerAddress/PerUser). */
  private readonly perAddress = new Map<string, number>();
  private readonly perUser = new Map<string, number>();
  private readonly clientIp: ClientIp;
  private readonly exempt: (addr: string) => boolean;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly pressureSampler: NodeJS.Timeout;
  /** All connections together hold more than maxBufferedBytes unsent: every backlog bound is tightened. */
  private pressure = false;
  private seq = 0;
  private beatTick = 0;
  draining = false;
  /** Cut off from the store and the bus (cluster/isolation.ts): new connections are refused with 503 until it ends. */
  isolated = false;

  constructor(
    private readonly config: Config,
    private readonly nodeId: string,
    private readonly hub: Hub,
    private readonly handlers: HandlerMap,
    private readonly auth: Authenticator,
    private readonly names: ClusterNames,
    private readonly tokens: TokenSigner,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly scheduler: FlushScheduler,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      // ws >= 8.18 option, not yet in @types/ws
      ...({ closeTimeout: CLOSE_TIMEOUT_MS } as object),
    });
    this.clientIp = clientIpResolver(config.trustProxy);
    this.exempt = addressMatcher(config.addressLimitsExempt);
    this.heartbeat = setInterval(() => this.beat(), config.heartbeatMs / HEARTBEAT_SLICES);
    this.heartbeat.unref();
    this.pressureSampler = setInterval(() => (this.pressure = this.bufferedBytes() > config.maxBufferedBytes), PRESSURE_SAMPLE_MS);
    this.pressureSampler.unref();
  }

  /** Bytes handed to sockets but not yet sent, over all connections. */
  bufferedBytes(): number {
    let n = 0;
    for (const conn of this.conns.keys()) n += conn.pendingBytes();
    return n;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** HTTP upgrade handler. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node detaches its own error listener from an upgrading socket: without one, a peer resetting the
    // connection while it is refused would be an uncaught 'error' (process exit).
    socket.on('error', destroyOnError);
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
    };
    const target = parseRequestTarget(req.url);
    if (!target.ok) return reject(target.status, STATUS_TEXT.get(target.status) ?? 'Bad Request');
    if (target.target.path !== WS_PATH) return reject(404, 'Not Found');
    if (this.draining || this.isolated) return reject(503, 'Service Unavailable');
    const origin = req.headers.origin;
    if (origin && this.config.origins.length && !this.config.origins.includes(origin)) {
      this.log.warn({ origin }, 'upgrade refused: origin not allowed');
      return reject(403, 'Forbidden');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const ip = this.clientIp(req);
    const conn = new Conn(`${this.nodeId}:${++this.seq}`, ws, ip, this.scheduler, this.metrics, this.config.ratePerSec, this.config.rateBurst, (c) => {
      this.metrics.slowConsumers.inc();
      this.closeWith(c, CloseCode.slowConsumer, 'slow consumer');
    }, this.backlogLimit);
    const state: ConnState = { phase: 'new', queue: [], busy: false, blocked: false, beatSlot: this.seq % HEARTBEAT_SLICES };
    this.conns.set(conn, state);
    this.metrics.connections.inc();
    const fromAddress = count(this.perAddress, ip, +1);
    if (this.conns.size > this.config.maxConnections) {
      this.closeWith(conn, CloseCode.overloaded, 'too many connections');
    } else if (this.config.maxConnectionsPerAddress > 0 && fromAddress > this.config.maxConnectionsPerAddress && !this.exempt(ip)) {
      this.metrics.handshakes.inc({ result: ErrorCode.too_many_connections });
      conn.error(ErrorCode.too_many_connections, `too many connections from your address (at most ${this.config.maxConnectionsPerAddress})`);
      this.closeWith(conn, CloseCode.tooManyConnections, ErrorCode.too_many_connections);
    } else {
      state.handshakeTimer = setTimeout(() => {
        conn.error(ErrorCode.handshake_timeout, 'no hello in time');
        this.closeWith(conn, CloseCode.handshakeTimeout, ErrorCode.handshake_timeout);
      }, this.config.handshakeTimeoutMs);
    }
    ws.on('message', (data, isBinary) => this.onFrame(conn, state, data, isBinary));
    ws.on('pong', () => (conn.alive = true));
    ws.on('error', (err) => {
      // ws reports protocol violations (too large: 1009, invalid UTF-8: 1007) here and closes the socket itself.
      this.log.debug({ conn: conn.id, err: err.message, code: (err as { code?: string }).code }, 'socket error');
    });
    ws.on('close', (code) => this.onClose(conn, state, code));
  }

  private closeWith(conn: Conn, code: number, reason: string): void {
    this.log.debug({ conn: conn.id, code, reason }, 'closing connection');
    conn.close(code, reason);
  }

  private onClose(conn: Conn, state: ConnState, code: number): void {
    if (!this.conns.delete(conn)) return;
    clearTimeout(state.handshakeTimer);
    clearTimeout(state.blockTimer);
    conn.outbox.close();
    this.metrics.connections.dec();
    count(this.perAddress, conn.ip, -1);
    if (conn.user) {
      count(this.perUser, conn.user.id, -1);
      this.hub.detach(conn);
      this.names.release(conn.user.nameKey, conn.user.id);
    }
    this.log.debug({ conn: conn.id, code }, 'connection closed');
  }

  private onFrame(conn: Conn, state: ConnState, data: RawData, isBinary: boolean): void {
    conn.alive = true;
    if (conn.closing) return;
    if (isBinary) {
      this.metrics.messagesIn.inc({ type: 'binary' });
      conn.error(ErrorCode.binary_unsupported, 'binary frames are not supported: send JSON text frames');
      if (state.phase !== 'ready') this.closeWith(conn, CloseCode.protocolError, ErrorCode.binary_unsupported);
      return;
    }
    const text = data.toString();
    const wait = conn.bucket.take();
    if (wait > 0) return this.limited(conn, wait, requestId(text));
    if (state.phase === 'new') return this.onHello(conn, state, text);
    if (state.phase === 'auth' || state.busy || state.blocked || conn.backlogged()) {
      if (state.queue.length >= MAX_QUEUED_FRAMES) return this.closeWith(conn, CloseCode.flood, 'too many pipelined requests');
      state.queue.push(text);
      if (state.phase === 'ready' && !state.busy) this.block(conn, state);
      return;
    }
    this.process(conn, state, text);
  }

  /**
   * Replies are produced only while the connection has little unsent: more than half of maxOutboxBytes
   * waiting (live events, earlier replies, a replay) and its frames are not read any more (TCP backpressure)
   * until it drains. So a client that pipelines requests and never reads costs at most maxOutboxBytes plus
   * one reply, never one reply per request. When all connections together hold more than maxBufferedBytes,
   * the bound drops to 64 KiB for every connection until the total is back under it.
   */
  private readonly backlogLimit = (): number => (this.pressure ? PRESSURE_BACKLOG_BYTES : this.config.maxOutboxBytes / 2);

  private block(conn: Conn, state: ConnState): void {
    if (state.blocked) return;
    state.blocked = true;
    this.metrics.readPauses.inc();
    conn.ws.pause();
    const check = (): void => {
      state.blockTimer = undefined;
      if (conn.closing || !this.conns.has(conn)) return;
      if (conn.backlogged()) {
        state.blockTimer = setTimeout(check, UNBLOCK_CHECK_MS);
        return;
      }
      state.blocked = false;
      conn.ws.resume();
      this.drainQueue(conn, state);
    };
    state.blockTimer = setTimeout(check, UNBLOCK_CHECK_MS);
  }

  private limited(conn: Conn, wait: number, re: string | undefined): void {
    this.metrics.rateLimited.inc();
    const now = Date.now();
    conn.limitedAt.push(now);
    while (conn.limitedAt.length && conn.limitedAt[0] <= now - this.config.floodWindowMs) conn.limitedAt.shift();
    if (conn.limitedAt.length > this.config.floodCloseAfter) {
      conn.error(ErrorCode.rate_limited, 'sustained flooding: closing', re, wait);
      return this.closeWith(conn, CloseCode.flood, 'flood');
    }
    conn.error(ErrorCode.rate_limited, `too many frames: slow down (limit ${this.config.ratePerSec}/s, burst ${this.config.rateBurst})`, re, wait);
  }

  /** Decodes and runs one frame of an authenticated connection; async handlers hold the queue. */
  private process(conn: Conn, state: ConnState, text: string): void {
    const d = decodeClientFrame(text);
    if (!d.ok) {
      this.metrics.messagesIn.inc({ type: 'invalid' });
      conn.error(d.code, d.message, d.re);
      return;
    }
    const frame = d.frame;
    this.metrics.messagesIn.inc({ type: frame.type });
    if (frame.type === 'hello') {
      // `hello` has no id field, but a client that gave it one gets it back as `re` (like any request).
      conn.error(ErrorCode.already_authenticated, 'already authenticated', requestId(text));
      return;
    }
    const re = 'id' in frame ? frame.id : undefined;
    let result: void | Promise<void>;
    try {
      result = (this.handlers[frame.type] as (c: Conn, f: ClientFrame) => void | Promise<void>)(conn, frame);
    } catch (err) {
      return this.failed(conn, err, re);
    }
    if (result instanceof Promise) {
      state.busy = true;
      result.catch((err) => this.failed(conn, err, re)).finally(() => this.drainQueue(conn, state));
    }
  }

  private drainQueue(conn: Conn, state: ConnState): void {
    state.busy = false;
    while (state.queue.length && !state.busy && !state.blocked && !conn.closing) {
      if (conn.backlogged()) return this.block(conn, state);
      this.process(conn, state, state.queue.shift()!);
    }
  }

  private failed(conn: Conn, err: unknown, re?: string): void {
    if (err instanceof Refusal) return conn.error(err.code, err.message, re, err.retryAfterMs);
    const ref = Math.random().toString(36).slice(2, 10);
    this.log.error({ err, conn: conn.id, re, ref }, 'request failed');
    conn.error(ErrorCode.internal, `request failed (ref ${ref}): not carried out`, re);
  }

  private onHello(conn: Conn, state: ConnState, text: string): void {
    const d = decodeClientFrame(text);
    const refuse = (code: ErrorCode, message: string, retryAfterMs?: number) => {
      this.metrics.handshakes.inc({ result: code });
      conn.error(code, message, undefined, retryAfterMs);
      this.closeWith(conn, handshakeCloseCode[code] ?? CloseCode.protocolError, code);
    };
    if (!d.ok) return refuse(d.code, d.message);
    if (d.frame.type !== 'hello') return refuse(ErrorCode.handshake_required, 'the first frame must be "hello"');
    const hello = d.frame;
    if (hello.v !== PROTOCOL_VERSION) return refuse(ErrorCode.unsupported_version, `this server speaks protocol v${PROTOCOL_VERSION}`);
    state.phase = 'auth';
    this.handshake(conn, state, hello).catch((err) => {
      this.log.error({ err, conn: conn.id }, 'handshake failed');
      if (conn.user) {
        this.hub.detach(conn);
        this.names.release(conn.user.nameKey, conn.user.id);
        count(this.perUser, conn.user.id, -1);
        conn.user = null;
      }
      refuse(ErrorCode.unavailable, 'server cannot complete the handshake now: retry');
    });
  }

  private async handshake(conn: Conn, state: ConnState, hello: HelloFrame): Promise<void> {
    const r = await this.auth.authenticate(hello.auth, conn.ip);
    if (!r.ok) {
      this.metrics.handshakes.inc({ result: r.code });
      conn.error(r.code, r.message, undefined, r.retryAfterMs);
      return this.closeWith(conn, handshakeCloseCode[r.code] ?? CloseCode.protocolError, r.code);
    }
    const u = r.user;
    if (conn.closing || !this.conns.has(conn)) {
      this.names.release(u.nameKey, u.id); // closed while authenticating
      return;
    }
    const perUser = this.config.maxConnectionsPerUser;
    if (perUser > 0 && (this.perUser.get(u.id) ?? 0) >= perUser) {
      this.names.release(u.nameKey, u.id);
      this.metrics.handshakes.inc({ result: ErrorCode.too_many_connections });
      conn.error(ErrorCode.too_many_connections, `too many connections for this user (at most ${perUser}): close another one`);
      return this.closeWith(conn, CloseCode.tooManyConnections, ErrorCode.too_many_connections);
    }
    clearTimeout(state.handshakeTimer);
    state.handshakeTimer = undefined; // the Timeout object is freed, not kept for the connection's life
    count(this.perUser, u.id, +1);
    conn.user = { id: u.id, name: u.name, nameKey: u.nameKey, account: u.account };
    if (u.bot) conn.user.bot = true;
    conn.presence = hello.presence ?? true;
    // Enter every room of the user (hub.enter): live events held, registered, the rooms read, `welcome`,
    // then what was missed after the positions in `resume` (room ids from the client: a Map, never a
    // plain-object lookup), then live events: nothing missed, nothing twice, nothing before `welcome`.
    const resume = new Map(Object.entries(hello.resume ?? {}));
    await this.hub.enter(conn, 'all', {
      resume,
      resumeEvents: 'always',
      keepOnFailure: false,
      announce: (rooms) => {
        conn.send(this.welcome(conn.user!, rooms, u.tokenGen ?? 0));
        this.metrics.handshakes.inc({ result: 'ok' });
      },
    });
    state.phase = 'ready';
    this.log.debug({ conn: conn.id, user: u.name, ip: conn.ip }, 'handshake ok');
    this.drainQueue(conn, state);
  }

  /** `tokenGen`: the user's token generation as read at sign-in (docs/protocol.md 4.5). */
  private welcome(u: ConnUser, rooms: EnteredRoom[], tokenGen: number): WelcomeFrame {
    const { token, expiresAt } = this.tokens.issue(u.id, tokenGen);
    const c = this.config;
    return {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      user: u.bot ? { id: u.id, name: u.name, account: u.account, bot: true } : { id: u.id, name: u.name, account: u.account },
      token,
      tokenExpiresAt: expiresAt,
      rooms: rooms.map((r) => this.hub.roomInfo(r)),
      heartbeatMs: c.heartbeatMs,
      limits: {
        maxFrameBytes: c.maxFrameBytes,
        maxTextLength: c.maxTextLength,
        historyPageMax: c.historyPageMax,
        replayMax: c.replayMax,
        ratePerSec: c.ratePerSec,
        rateBurst: c.rateBurst,
      },
      serverTime: Date.now(),
    };
  }

  /**
   * One heartbeat tick: the connections of this tick's slot (a tenth of them) that stayed silent since
   * their last ping, one period ago, are terminated; the others are pinged (WebSocket ping + app ping).
   */
  private beat(): void {
    const slot = this.beatTick++ % HEARTBEAT_SLICES;
    let data: Buffer | undefined;
    for (const [conn, state] of this.conns) {
      if (state.beatSlot !== slot || conn.closing) continue;
      if (!conn.alive) {
        this.metrics.heartbeatTimeouts.inc();
        this.log.debug({ conn: conn.id }, 'heartbeat timeout: terminating');
        conn.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
      data ??= Buffer.from(encodeEvent({ type: 'ping', ts: Date.now() } satisfies PingEvent));
      if (conn.user) conn.push(data);
    }
  }

  /** Drain: refuse new connections and close every open one with 1012 so clients reconnect elsewhere. */
  closeAll(code: number, reason: string): void {
    this.draining = true;
    this.closeConnections(code, reason);
  }

  /** Closes every open connection with `code` (new ones are still taken unless draining or isolated). */
  closeConnections(code: number, reason: string): void {
    for (const conn of this.conns.keys()) conn.close(code, reason);
  }

  /** Resolves once every connection is closed or `timeoutMs` passed (then the rest is terminated). */
  async waitClosed(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.conns.size && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    for (const conn of this.conns.keys()) conn.terminate();
  }

  stop(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.pressureSampler);
    this.wss.close();
  }
}

/** Adds `delta` to a key's count (deleted at 0); returns the new count. */
function count(map: Map<string, number>, key: string, delta: number): number {
  const n = (map.get(key) ?? 0) + delta;
  if (n > 0) map.set(key, n);
  else map.delete(key);
  return n;
}
