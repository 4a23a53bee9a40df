/**
 * Registered load targets: scale-chat itself (through the SDK) and the two peers of
 * `npm run bench:peers` (bench/peers/): `ws-naive`, the seeds' plain ws broadcast server, and
 * `socketio`, Socket.IO 4 with its defaults, both driven over raw ws with a thin framing adapter so
 * that client-library cost does not skew the comparison. A kind without an adapter is a clear error.
 */
import { OptionError } from '../units.js';
import type { TargetKind } from '../options.js';
import { scaleChatTarget } from './scale-chat.js';
import { socketIoTarget } from './socketio.js';
import { wsNaiveTarget } from './ws-naive.js';
import type { TargetAdapter } from './types.js';

const TARGETS: Partial<Record<TargetKind, TargetAdapter>> = {
  'scale-chat': scaleChatTarget,
  'ws-naive': wsNaiveTarget,
  socketio: socketIoTarget,
};

export function targetFor(kind: TargetKind): TargetAdapter {
  const t = TARGETS[kind];
  if (!t) {
    const have = Object.keys(TARGETS).join(', ');
    throw new OptionError(`--target ${kind}: no client adapter for this target yet (available: ${have}); see src/loadtest/targets/types.ts`);
  }
  return t;
}

export type { ClientHooks, ClientSpec, IncomingMsg, LoadClient, TargetAdapter } from './types.js';
