/** The store's starting state, its default WebSocket URL and message ids. */
import { GLOBAL_ROOM } from '../../../src/protocol/rules.js';
import { WS_PATH } from '../../../src/protocol/version.js';
import type { ChatState } from './types.js';

export function defaultUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH}`;
}

export function newMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return 'w' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function initialState(active = GLOBAL_ROOM): ChatState {
  const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
  return {
    phase: 'signed-out',
    restoring: false,
    conn: { state: 'idle', retryAt: null, offline },
    rooms: [],
    active,
    timelines: new Map(),
    pending: new Map(),
    members: new Map(),
    onlineTotal: 0,
    largeRooms: new Map(),
    typing: new Map(),
    replying: new Map(),
    quotes: new Map(),
    publicRooms: [],
  };
}
