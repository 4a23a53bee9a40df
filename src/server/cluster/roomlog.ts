/**
 * The RoomLog the bus fills gaps from: the store's committed messages, serialized exactly as the message
 * pipeline publishes them (same keys, same order), so a filled event is byte-identical to the live one.
 */
import type { MsgEvent } from '../../protocol/types.js';
import type { Store } from '../store/store.js';
import type { RoomLog } from './sequencer.js';

export function storeRoomLog(store: Store): RoomLog {
  return {
    async head(room) {
      return (await store.getRoom(room))?.lastSeq ?? 0;
    },
    async range(room, after, before, limit) {
      const rows = await store.history(room, { after, before, limit });
      return rows.map((m) => {
        const ev: MsgEvent = { type: 'msg', room: m.room, seq: m.seq, id: m.id, uid: m.uid, user: m.user, text: m.text, ts: m.ts };
        return { seq: m.seq, json: JSON.stringify(ev) };
      });
    },
  };
}
