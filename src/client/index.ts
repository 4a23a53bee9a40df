/**
 * Public API of the scale-chat client SDK (browser-safe; inject the WebSocket constructor).
 *
 *   import { ChatClient } from '../client/index.js';
 *   const client = new ChatClient({ url: 'ws://localhost:8080/ws', WebSocket, auth: { kind: 'guest', name: 'ann' } });
 *   client.on('message', (m) => console.log(m.room, m.user, m.text));
 *   await client.connect();
 *   await client.send('general', 'hello');
 */
export { ChatClient } from './client.js';
export { ChatError, type ChatErrorCode } from './errors.js';
export { Emitter, type Listener } from './emitter.js';
export { DEFAULT_BACKOFF, backoffCap, backoffDelay, type BackoffOptions } from './backoff.js';
export { StateMachine, TRANSITIONS, canTransition, type ConnectionState, type StateChange } from './state.js';
export { createIdFactory } from './ids.js';
export { namesakes, shortId, type Author } from './identity.js';
export { ownValue } from './keys.js';
export { applyChange, isValidReaction, MAX_REACTIONS_PER_MESSAGE, REACTION_SHORTCODES } from '../protocol/changes.js';
export type {
  ChatClientEvents,
  ChatClientOptions,
  GapInfo,
  RetryInfo,
  SessionSnapshot,
  WebSocketConstructor,
  WebSocketLike,
} from './types.js';
export type { Auth } from '../protocol/schema.js';
export type {
  AckFrame,
  DeletedEvent,
  RoomResetEvent,
  RoomUpdatedEvent,
  ServerEvent,
  ErrorFrame,
  Member,
  MemberEvent,
  MessageChange,
  MsgEvent,
  PresenceCountEvent,
  PresenceEvent,
  Reaction,
  ReadEvent,
  RoomInfo,
  SearchHit,
  TypingEvent,
  UserRef,
  WelcomeFrame,
} from '../protocol/types.js';
// Protocol constants an application needs (each from its own module: see client.ts on ../protocol/index.js).
export { CloseCode, ErrorCode, shouldReconnect } from '../protocol/codes.js';
export { GLOBAL_ROOM, dmRoomId, isDmRoom, isValidName, isValidRoomName } from '../protocol/rules.js';
export { PROTOCOL_VERSION, WS_PATH } from '../protocol/version.js';
