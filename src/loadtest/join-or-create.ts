/**
 * Enters a room by name the way a load client does: join it, or create it (public) when nobody has
 * yet; when another client created it in between, join again. Shared by the load generator's
 * scale-chat target and the benchmarks' SDK clients.
 */
import { ChatError, type ChatClient } from '../client/index.js';

export async function joinOrCreate(client: ChatClient, room: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await client.join(room);
      return;
    } catch (err) {
      if (!(err instanceof ChatError) || err.code !== 'no_such_room') throw err;
    }
    try {
      await client.create(room, 'public');
      return;
    } catch (err) {
      // Another member created it first: join it.
      if (!(err instanceof ChatError) || err.code !== 'room_exists') throw err;
    }
  }
  throw new ChatError('no_such_room', `could not join or create ${room}`);
}
