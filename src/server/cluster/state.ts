/**
 * Cluster-wide state: who holds which guest name, who is online, which nodes are alive.
 * One interface, two implementations: `LocalClusterState` (one process, the embedded default: exactly the
 * behaviour of a single node) and `RedisClusterState` (every node of a cluster shares it through Redis).
 *
 * The hub reports node-level transitions (a user's first local connection / last local connection); the
 * cluster state turns them into cluster-level ones (first connection anywhere / last one anywhere), which
 * is when presence changes. Names are held per connection (acquired at the handshake, released at close)
 * and are free again when the holder's last connection anywhere has closed.
 */
import type { UserRef } from '../../protocol/types.js';

export interface ClusterNames {
  /** Takes (or re-takes, for another connection of the same user) a name; false if another user holds it. */
  acquire(nameKey: string, uid: string): boolean | Promise<boolean>;
  /** Releases one connection's hold (never throws). */
  release(nameKey: string, uid: string): unknown;
  /** The user holding `nameKey` online anywhere, if any. */
  holder(nameKey: string): string | undefined | Promise<string | undefined>;
}

/** Users whose presence changed without a local connection event (a dead node swept, a state resync). */
export type PresenceListener = (users: UserRef[], online: boolean) => void;

export interface ClusterState {
  readonly kind: 'local' | 'redis';
  readonly nodeId: string;
  readonly names: ClusterNames;
  /** Starts heartbeats and sweeping (Redis); `onPresence` hears the presence changes the hub did not see
   *  (the users of a dead node went offline, ...). */
  start(onPresence?: PresenceListener): Promise<void>;
  /** Stops, and removes this node's users and names from the cluster (a clean exit needs no TTL wait). */
  stop(): Promise<void>;

  /** The user's first connection on this node; resolves true when they are now online cluster-wide (were not before). */
  userOnline(user: UserRef): Promise<boolean>;
  /** The user's last connection on this node closed; resolves true when they are now offline cluster-wide. */
  userOffline(user: UserRef): Promise<boolean>;
  /** Which of `uids` are online anywhere. */
  onlineAmong(uids: string[]): Promise<Set<string>>;
  /** Up to `limit` online users and the total, cluster-wide. */
  onlineUsers(limit: number): Promise<{ users: UserRef[]; total: number }>;
  /** Cluster-wide online count, for room info (cached: may lag by a refresh interval). */
  onlineCount(): number;
  /** Ids of the live nodes (those that sent a heartbeat within the TTL; local: this node). */
  nodes(): Promise<string[]>;

  /** Cluster-wide agreement on a value: the first candidate offered wins (e.g. a generated token secret). */
  agree(key: string, candidate: string): Promise<string>;
}
