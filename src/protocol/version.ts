/** The protocol version a client puts in `hello.v`. Bumped on any incompatible change. */
export const PROTOCOL_VERSION = 1;
/** Path of the WebSocket endpoint. */
export const WS_PATH = '/ws';
