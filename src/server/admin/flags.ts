/**
 * Which rooms are read-only, known in memory on every node so a send is refused without a store read.
 *
 * Kept current three ways: loaded at start; updated at once by the `room_flags` control event the admin
 * action publishes on the room's topic (every node with a connection in the room subscribes to it, i.e.
 * every node that could accept a send to it); and re-read from the store every `refreshMs` (a node whose
 * first connection to that room arrived after the event learns the flag within that bound).
 */
import type { Logger } from 'pino';
import type { ControlEvent } from '../bus/bus.js';
import type { RoomFlags } from '../hub/hub.js';
import type { AdminStore } from '../store/store.js';

/** The hub's RoomFlags: app.ts builds one and gives it to the hub (sends refused) and to the admin module. */
export class ReadOnlyRooms implements RoomFlags {
  private rooms = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: AdminStore,
    private readonly log: Logger,
    private readonly refreshMs = 5000,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch((err) => this.log.warn({ err: String(err) }, 'read-only rooms: refresh failed')), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    this.rooms = new Set(await this.store.listReadOnlyRooms());
  }

  isReadOnly(room: string): boolean {
    return this.rooms.has(room);
  }

  set(room: string, readOnly: boolean): void {
    if (readOnly) this.rooms.add(room);
    else this.rooms.delete(room);
  }

  /** Hub hook for control events on room topics. */
  readonly onControl = (room: string, c: ControlEvent): void => {
    if (c.kind === 'room_flags') this.set(room, c.readOnly);
  };
}
