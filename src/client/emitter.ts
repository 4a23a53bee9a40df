/**
 * A tiny typed event emitter (browser-safe: no node:events).
 *
 * `Events` maps event names to payload types. Listeners run synchronously in registration order
 * over a snapshot (adding/removing during an emit affects the next emit only). A throwing listener
 * does not stop the others nor the caller: its error goes to `onListenerError`, which by default
 * re-throws it asynchronously (reported like an uncaught error, as DOM EventTarget does), so a bug
 * in app code never corrupts the client's protocol state.
 */

export type Listener<T> = (payload: T) => void;

export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  constructor(
    private readonly onListenerError: (err: unknown) => void = (err) => {
      queueMicrotask(() => {
        throw err;
      });
    },
  ) {}

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => this.off(event, fn);
  }

  /** Adds a listener called at most once. */
  once<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    const off = this.on(event, (payload) => {
      off();
      fn(payload);
    });
    return off;
  }

  off<K extends keyof Events>(event: K, fn: Listener<Events[K]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    set.delete(fn as Listener<never>);
    if (set.size === 0) this.listeners.delete(event);
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of [...set] as Listener<Events[K]>[]) {
      try {
        fn(payload);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }
}
