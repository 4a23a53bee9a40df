/**
 * The RoomLog the bus fills gaps from: the store's committed messages, serialized with the one encoder of
 * `msg` events (`encodeMsg` of src/protocol/encode.ts, which the message pipeline publishes with too, so a
 * filled event is byte-identical to the live one; tombstones keep `deleted: true`).
 */
import { encodeMsg } from '../../../protocol/encode.js';
import type { ChatStore } from '../../store/store.js';
import type { RoomLog } from './sequencer.js';

export function storeRoomLog(store: Pick<ChatStore, 'getRoom' | 'history'>): RoomLog {
  return {
    async head(room) {
      return (await store.getRoom(room))?.lastSeq ?? 0;
    },
    async range(room, after, before, limit) {
      const rows = await store.history(room, { after, before, limit });
      return rows.map((m) => ({ seq: m.seq, json: encodeMsg(m) }));
    },
  };
}
