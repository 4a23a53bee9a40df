/**
 * Online-name registry: who holds which name key right now (keys from `nameKey`, src/server/common/name-key.ts).
 * A guest's name is held while it has at least one open connection and freed when the last one closes.
 * Accounts keep their names forever (the store's unique index); this registry only tracks online users.
 */
export class NameRegistry {
  private readonly holders = new Map<string, { uid: string; conns: number }>();

  /** The user holding `nameKey` online, if any. */
  holder(nameKey: string): string | undefined {
    return this.holders.get(nameKey)?.uid;
  }

  /** Takes (or re-takes, for another connection of the same user) a name. False if another user holds it. */
  acquire(nameKey: string, uid: string): boolean {
    const h = this.holders.get(nameKey);
    if (h && h.uid !== uid) return false;
    if (h) h.conns++;
    else this.holders.set(nameKey, { uid, conns: 1 });
    return true;
  }

  /** Releases one connection's hold; returns true when the name is now free. */
  release(nameKey: string, uid: string): boolean {
    const h = this.holders.get(nameKey);
    if (!h || h.uid !== uid) return false;
    if (--h.conns > 0) return false;
    this.holders.delete(nameKey);
    return true;
  }

  get size(): number {
    return this.holders.size;
  }
}
