/**
 * The Bus carries events between the nodes of a cluster, by topic (`room:<id>`, `user:<id>`).
 * Local delivery never waits for the network: `publish` hands the message to this node's handler
 * synchronously (when this node subscribes to the topic) and forwards it to the other nodes.
 * One interface, two implementations (memory for one process; Redis for clusters), one contract suite.
 */
import { encodeEvent } from '../../protocol/encode.js';
import type { ServerEvent } from '../../protocol/types.js';

/** What `hub` needs to membership-change connections without a store round trip. */
export type ControlEvent =
  | { kind: 'room_added'; room: string }
  | { kind: 'room_removed'; room: string }
  | { kind: 'read'; room: string; seq: number }
  /** On a user topic: deliver the event, then close every connection of the user with `code` (admin kick/ban). */
  | { kind: 'close'; code: number; reason: string }
  /** On a room topic: the room's flags changed (admin read-only); nodes update their cache. */
  | { kind: 'room_flags'; room: string; readOnly: boolean };

export interface BusMessage {
  /** The serialized server event, delivered to clients as-is (serialized once, by the publishing node). */
  json: string;
  /** Room seq for `msg` events: lets receivers order, de-duplicate and detect gaps. */
  seq?: number;
  /** Do not deliver to connections of this user (typing echo). */
  excludeUid?: string;
  /** Do not deliver to this connection (cluster-unique id: the one that caused the event got a reply instead). */
  excludeConn?: string;
  /** Deliver only to connections that asked for presence (`hello.presence`). */
  presence?: boolean;
  /** Server-side instruction for the node(s) holding the topic. */
  control?: ControlEvent;
}

export type BusHandler = (topic: string, msg: BusMessage) => void;

export interface Bus {
  readonly kind: 'memory' | 'redis';
  /**
   * Starts delivering: `handler` gets every publication on a subscribed topic; `onRecovered` runs after a
   * lost link to the other nodes was re-established (Redis), when events on user topics may have been missed.
   */
  start(handler: BusHandler, onRecovered?: () => void): Promise<void>;
  /** Idempotent. */
  subscribe(topic: string): void;
  /**
   * Resolves once publications on a subscribed `topic` from every node reach this one (Redis: the
   * subscription was acknowledged). Absent = at once (memory). The hub awaits it before reading a room's
   * state from the store, so nothing committed after that read can be missed.
   */
  ready?(topic: string): Promise<void>;
  /**
   * Resolves when the link to the other nodes answers (Redis: a PING on the publishing connection, so it
   * waits behind publications a silent link holds). Absent = no link to lose (memory).
   */
  ping?(): Promise<void>;
  /** Idempotent. */
  unsubscribe(topic: string): void;
  publish(topic: string, msg: BusMessage): void;
  close(): Promise<void>;
}

export const roomTopic = (room: string): string => `room:${room}`;
export const userTopic = (uid: string): string => `user:${uid}`;

/** Publishes a server event on a topic: serialized once, here, by the one encoder (`encodeEvent`). */
export function publishEvent(bus: Bus, topic: string, ev: ServerEvent, opts?: Omit<BusMessage, 'json'>): void {
  bus.publish(topic, { json: encodeEvent(ev), ...opts });
}
