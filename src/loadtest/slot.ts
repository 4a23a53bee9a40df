/**
 * One load client inside a worker: its connection (a LoadClient of the target), its rooms and their
 * receive tracks, its DM partner, its sends. The worker (./worker.ts) decides when a slot connects,
 * sends and leaves; the slot does the work and reports into the worker's shared counters.
 */
import { RecvTrack } from './accounting.js';
import { sampled } from './events.js';
import type { Histogram, LatencyRecorder } from './histograms.js';
import type { EventLog } from './events.js';
import type { LoadOptions } from './options.js';
import { codeOf, type ClientState, type IncomingMsg, type LoadClient, type MessageStateReport, type TargetAdapter } from './targets/types.js';

/** Microseconds since the epoch (same clock in every process of this machine). */
/** The reactions a load run toggles. */
const REACTIONS = ['👍', '🎉', '❤️', '👀'];

export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** What slots share: options, counters, the histograms of the current second, the event log. */
export interface SlotHost {
  readonly options: LoadOptions;
  readonly adapter: TargetAdapter;
  readonly eventsSample: number;
  readonly events: EventLog | null;
  /** Delivery latencies of the current second (flushed into a histogram by the worker's tick). */
  readonly latency: LatencyRecorder;
  readonly connectLatency: Histogram;
  readonly counters: {
    sent: number;
    acked: number;
    sendFailed: number;
    received: number;
    foreign: number;
    errorsTotal: number;
    reconnects: number;
    resumes: number;
    connectFailures: number;
    connectedEver: number;
    leaves: number;
  };
  /** Receive time of the frame being dispatched (us), stamped once per frame. */
  frameUs: number;
  ackedSeqs(room: string): number[];
  error(code: string): void;
  /** A slot opened or lost its connection (for the connected gauge). */
  connectedDelta(d: number): void;
  /** A slot joined its group rooms: it may send. */
  slotJoined(slot: Slot): void;
  /** A slot finished (or failed) its setup: rooms joined, DM opened (the start barrier waits for this). */
  setupSettled(slot: Slot): void;
  slotAt(index: number): Slot | undefined;
  pad: string;
  /** A WebSocket implementation overriding the target's (the receive-path benchmark only). */
  readonly webSocket?: unknown;
  /** Plain JSON.parse frame decoding (the receive-path benchmark's comparison only). */
  readonly jsonDecoder?: boolean;
}

export type SlotState = 'idle' | 'connecting' | ClientState;

export class Slot {
  client: LoadClient | null = null;
  state: SlotState = 'idle';
  /** The ramp wants this client connected. */
  wanted = false;
  /** Group rooms joined: may send (DMs once the DM room is known). */
  joined = false;
  /** Rooms joined and the DM opened (or the partner failed): setup complete. */
  ready = false;
  setupFailed = false;
  /** Setup reported to the host (once per connection life). */
  settled = false;
  readonly tracks = new Map<string, RecvTrack>();
  dmRoom: string | null = null;
  private dmOpening = false;
  /** Sends waiting for their ack. */
  pending = 0;
  /** Messages sent so far (the message id counter). */
  n = 0;
  /** Bumped to invalidate scheduled sends. */
  epoch = 0;
  private session: unknown;
  /** Leaving (ramp-down) once its sends are acknowledged. */
  leaving = false;
  private leaveTimer: ReturnType<typeof setTimeout> | undefined;
  everOpen = false;
  /** Counted in `connectFailures` (at most once per client). */
  failureCounted = false;
  private connectStart = 0;
  private readonly groupRooms: string[];
  /** Per room, the seqs of this client's last few acked messages (what its edits and reactions change). */
  private readonly mine = new Map<string, number[]>();

  constructor(
    private readonly host: SlotHost,
    readonly index: number,
    readonly id: number,
    readonly name: string,
    groupRooms: string[],
    readonly partner: number,
    private readonly url: string,
    private readonly sourceIp: string | undefined,
  ) {
    this.groupRooms = groupRooms;
  }

  get open(): boolean {
    return this.state === 'open';
  }

  /** Creates the client (resuming the previous one's session, if any) and connects. */
  start(): void {
    const h = this.host;
    if (this.leaving) {
      // Wanted again before it finished leaving: keep the connection.
      clearTimeout(this.leaveTimer);
      this.leaving = false;
      if (this.joined) h.slotJoined(this);
      return;
    }
    this.state = 'connecting';
    this.settled = false;
    this.joined = false;
    this.ready = false;
    this.setupFailed = false;
    this.connectStart = performance.now();
    for (const t of this.tracks.values()) t.closed = false;
    const client = h.adapter.create(
      {
        index: this.index,
        name: this.name,
        url: this.url,
        sourceIp: this.sourceIp,
        insecure: h.options.insecure,
        ackTimeoutMs: h.options.ackTimeoutMs,
        session: this.session,
        webSocket: h.webSocket,
        jsonDecoder: h.jsonDecoder,
        keepStates: h.options.editRatio + h.options.reactRatio > 0,
      },
      {
        frame: () => {
          h.frameUs = nowUs();
        },
        message: (m) => this.onMessage(m),
        roomAdded: (room, start, dm) => {
          if (!this.tracks.has(room) && (dm || this.groupRooms.includes(room))) this.tracks.set(room, new RecvTrack(start));
          if (dm && this.partner >= 0) this.dmRoom = room;
          if (dm && this.ready === false && this.settled === false) this.maybeReady();
        },
        state: (s, info) => this.onState(client, s, info),
        error: (code) => h.error(code),
      },
    );
    this.client = client;
    client.connect().catch(() => {}); // failures arrive through the state hook
  }

  private onState(client: LoadClient, s: ClientState, info: { resumed: boolean; reason: string; error?: string }): void {
    if (client !== this.client) return;
    const h = this.host;
    const was = this.state;
    this.state = s;
    if (s === 'open') {
      h.connectedDelta(1);
      if (!info.resumed) {
        // A new client of a name that left (ramp down, then up) resumes its session by token.
        if (this.session !== undefined) h.counters.resumes++;
        else h.counters.connectedEver++;
        this.everOpen = true;
        h.connectLatency.recordValue(Math.max(1, Math.round((performance.now() - this.connectStart) * 1000)));
        void this.setup(client);
      } else {
        h.counters.resumes++;
      }
      return;
    }
    if (was === 'open') h.connectedDelta(-1);
    if (s === 'reconnecting') {
      if (was === 'open') h.counters.reconnects++;
      const code = /\((\d+)\)$/.exec(info.reason)?.[1];
      h.error(code ? `close_${code}` : 'connection_lost');
      return;
    }
    // closed for good (not by us): no more sends from this client
    this.joined = false;
    this.epoch++;
    if (info.error) {
      h.error(info.error);
      if (!this.everOpen && !this.failureCounted) {
        this.failureCounted = true;
        h.counters.connectFailures++;
      }
    }
    if (!this.settled) {
      this.setupFailed = true;
      this.settle();
    }
  }

  /** Joins the group rooms, then opens the DM (the even client of a pair opens it). */
  private async setup(client: LoadClient): Promise<void> {
    try {
      for (const room of this.groupRooms) await client.joinRoom(room);
    } catch (err) {
      if (client !== this.client) return;
      this.host.error(`join_${codeOf(err)}`);
      this.setupFailed = true;
      this.settle();
      return;
    }
    if (client !== this.client) return;
    this.joined = true;
    this.host.slotJoined(this);
    this.maybeReady();
    const peer = this.partner >= 0 ? this.host.slotAt(this.partner) : undefined;
    peer?.maybeOpenDm();
    this.maybeOpenDm();
  }

  /** Ready when the rooms are joined and the DM (if any) is known or will not come. */
  maybeReady(): void {
    if (this.settled || this.state !== 'open' || !this.joined) return;
    if (this.partner >= 0 && this.dmRoom === null && !this.peerFailed()) return;
    this.ready = true;
    this.settle();
  }

  private peerFailed(): boolean {
    const peer = this.host.slotAt(this.partner);
    return !peer || (peer.settled && peer.setupFailed);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.host.setupSettled(this);
    // A failed client releases its partner from waiting for the DM.
    if (this.setupFailed && this.partner >= 0) this.host.slotAt(this.partner)?.maybeReady();
  }

  /** The even client of a pair opens the DM once both have joined their rooms. */
  maybeOpenDm(): void {
    if (this.partner < 0 || this.index % 2 !== 0 || this.dmRoom !== null || this.dmOpening || !this.client || this.state !== 'open') return;
    const peer = this.host.slotAt(this.partner);
    if (!peer || peer.state !== 'open' || !peer.joined || !this.joined) return;
    const client = this.client;
    this.dmOpening = true;
    client.openDm(peer.name).then(
      (room) => {
        this.dmOpening = false;
        if (client !== this.client) return;
        this.dmRoom = room;
        this.maybeReady();
      },
      (err) => {
        this.dmOpening = false;
        if (client === this.client) this.host.error(`dm_${codeOf(err)}`);
      },
    );
  }

  private onMessage(m: IncomingMsg): void {
    const h = this.host;
    const track = this.tracks.get(m.room);
    if (track === undefined) {
      h.counters.foreign++;
      return;
    }
    track.add(m.seq);
    h.counters.received++;
    // Text: "<send time, us, base 36> <s|-> ...": s = in the events sample.
    const head = m.textHead(16);
    const sp = head.indexOf(' ');
    if (sp <= 0) return;
    const sentUs = parseInt(head.slice(0, sp), 36);
    if (!(sentUs > 0)) return;
    const recvUs = h.frameUs;
    const lat = recvUs > sentUs ? recvUs - sentUs : 1;
    h.latency.record(lat);
    if (h.events !== null && head.charCodeAt(sp + 1) === 115) h.events.received(m.id, m.user, this.name, recvUs, m.room, m.seq, lat);
  }

  /** Sends one message now (to the DM with probability dmRatio, else a random group room); false: nowhere to send yet. */
  send(random: () => number): boolean {
    const h = this.host;
    const o = h.options;
    const client = this.client!;
    let room: string | null = null;
    if (this.dmRoom !== null && (this.groupRooms.length === 0 || random() < o.dmRatio)) room = this.dmRoom;
    else if (this.groupRooms.length > 0) room = this.groupRooms[this.groupRooms.length === 1 ? 0 : Math.floor(random() * this.groupRooms.length)];
    if (room === null) return false;
    const n = ++this.n;
    const id = `${this.name}-${n.toString(36)}`;
    const us = nowUs();
    const inSample = h.events !== null && sampled(this.index, n, h.eventsSample);
    const stamp = `${us.toString(36)} ${inSample ? 's' : '-'} `;
    const text = stamp + h.pad.slice(0, Math.max(0, o.msgSize - stamp.length));
    // A change instead of a message, when asked for and there is a recent message of ours to change.
    const recent = this.mine.get(room);
    const pick = o.editRatio + o.reactRatio > 0 ? random() : 1;
    const target = recent?.length ? recent[Math.floor(random() * recent.length)] : 0;
    let op: Promise<number>;
    let isMessage = false;
    if (target && pick < o.editRatio && client.edit) op = client.edit(room, target, text, id);
    else if (target && pick < o.editRatio + o.reactRatio && client.react) op = client.react(room, target, REACTIONS[Math.floor(random() * REACTIONS.length)], random() < 0.7, id);
    else {
      op = client.send(room, text, id);
      isMessage = true;
    }
    this.pending++;
    h.counters.sent++;
    op.then(
      (seq) => {
        this.pending--;
        h.counters.acked++;
        h.ackedSeqs(room).push(seq);
        if (isMessage && o.editRatio + o.reactRatio > 0) {
          const list = this.mine.get(room) ?? this.mine.set(room, []).get(room)!;
          list.push(seq);
          if (list.length > 4) list.shift();
        }
        if (inSample) h.events!.sent(id, this.name, us, room, seq);
        if (this.leaving && this.pending === 0) this.closeLeaving();
      },
      (err) => {
        this.pending--;
        h.counters.sendFailed++;
        h.error(`send_${codeOf(err)}`);
        if (inSample) h.events!.sent(id, this.name, us, room, null);
        if (this.leaving && this.pending === 0) this.closeLeaving();
      },
    );
    return true;
  }

  /**
   * Leaves on purpose (ramp-down): stops sending, waits (bounded) for the acks of what it sent, then
   * closes; nothing after the last received seq is expected from it any more.
   */
  leave(): void {
    if (!this.client || this.leaving) return;
    this.epoch++;
    this.host.counters.leaves++;
    if (this.pending === 0) return this.closeLeaving();
    this.leaving = true;
    this.leaveTimer = setTimeout(() => this.closeLeaving(), Math.min(5000, this.host.options.ackTimeoutMs));
  }

  private closeLeaving(): void {
    clearTimeout(this.leaveTimer);
    this.leaving = false;
    if (!this.client) return;
    this.session = this.client.session();
    const was = this.state;
    const client = this.client;
    this.client = null;
    this.state = 'idle';
    this.joined = false;
    this.ready = false;
    this.dmOpening = false;
    for (const t of this.tracks.values()) t.closed = true;
    if (was === 'open') this.host.connectedDelta(-1);
    client.close();
  }

  /** Closes at the end of the run (tracks stay open: what was not delivered by now is lost). */
  /** The changed messages this client held when the run ended (runs with edits or reactions; none for a client that had left). */
  changedStates(): MessageStateReport[] {
    return this.endStates;
  }

  private endStates: MessageStateReport[] = [];

  stop(): void {
    this.epoch++;
    clearTimeout(this.leaveTimer);
    this.leaving = false;
    const client = this.client;
    if (!client) return;
    if (this.state === 'open') this.endStates = client.changedStates?.() ?? [];
    if (this.state === 'open') this.host.connectedDelta(-1);
    this.client = null;
    this.state = 'idle';
    client.close();
  }
}
