/**
 * Test helper: an in-memory stand-in for the browser WebSocket (vitest runs in Node without a
 * browser; the end-to-end tests in test/e2e use real Chromium and a real server). The test plays
 * the server: welcome(), receive(frame), drop().
 */
import type { RoomInfo, WelcomeFrame } from '../../../src/protocol/types.js';

export class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  sent: string[] = [];
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  /** Frames the client sent, parsed. */
  frames(): { type: string; id?: string; [k: string]: unknown }[] {
    return this.sent.map((s) => JSON.parse(s));
  }
  /** The server side: one frame to the client. */
  receive(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  /** The server side: accept and welcome (as a member of `rooms`, general by default). */
  welcome(rooms: RoomInfo[] = [{ id: 'general', kind: 'global', lastSeq: 0, lastRead: 0, members: 1 }]) {
    this.readyState = 1;
    this.onopen?.({});
    const w: WelcomeFrame = {
      type: 'welcome',
      v: 1,
      user: { id: 'u1', name: 'ann', account: false },
      token: 'tok',
      tokenExpiresAt: Date.now() + 1e9,
      rooms,
      heartbeatMs: 30_000,
      limits: { maxFrameBytes: 65536, maxTextLength: 4000, historyPageMax: 200, replayMax: 1000, ratePerSec: 20, rateBurst: 40 },
      serverTime: Date.now(),
    };
    this.onmessage?.({ data: JSON.stringify(w) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
}
