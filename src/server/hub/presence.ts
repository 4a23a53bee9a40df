/**
 * Presence diffs, coalesced: a user coming online or going offline is recorded per room, and every
 * `intervalMs` one `presence` event per changed room is published (serialized once), carrying all
 * changes of that interval. An online+offline pair inside one interval cancels out. This bounds
 * presence traffic to one frame per room per interval however many users connect at once.
 */
import type { PresenceEvent, UserRef } from '../../protocol/types.js';
import { publishEvent, roomTopic, type Bus } from '../bus/bus.js';

export class PresenceCoalescer {
  /** room -> uid -> the latest change in this interval */
  private readonly pending = new Map<string, Map<string, { user: UserRef; online: boolean }>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly bus: Bus,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  change(user: UserRef, rooms: Iterable<string>, online: boolean): void {
    for (const room of rooms) {
      let m = this.pending.get(room);
      if (!m) {
        m = new Map();
        this.pending.set(room, m);
      }
      const prev = m.get(user.id);
      if (prev && prev.online !== online) m.delete(user.id); // came and went within one interval
      else m.set(user.id, { user, online });
    }
  }

  flush(): void {
    for (const [room, changes] of this.pending) {
      if (changes.size === 0) continue;
      const ev: PresenceEvent = { type: 'presence', room, online: [], offline: [] };
      for (const c of changes.values()) (c.online ? ev.online : ev.offline).push(c.user);
      publishEvent(this.bus, roomTopic(room), ev, { presence: true });
    }
    this.pending.clear();
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
