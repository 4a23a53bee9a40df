/**
 * The reconnect countdown must match when the real SDK reconnects. This drives a real ChatClient
 * over an in-memory WebSocket (a browser cannot run in vitest here) with fake timers, and checks
 * that a new socket is opened exactly when the clock said it would be.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatClient } from '../../../src/client/index.js';
import { FakeSocket } from './fake-socket.js';
import { RetryClock } from './retry-clock.js';

describe('RetryClock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  it('predicts each reconnect attempt of the real SDK, after closes and after the watchdog', () => {
    const clock = new RetryClock({ baseMs: 1000, maxMs: 8000 }, () => 0.5);
    const client = new ChatClient({
      url: 'ws://test/ws',
      WebSocket: clock.wrap(FakeSocket as unknown as new (url: string) => WebSocket),
      auth: { kind: 'guest', name: 'ann' },
      backoff: clock.backoff,
      random: clock.random,
      watchdogGraceMs: 1000,
    });
    client.on('state', (s) => s.to === 'open' && clock.connected());
    void client.connect();
    FakeSocket.all[0].welcome();
    expect(client.state).toBe('open');
    clock.random(); // a draw while connected (e.g. a history-fill retry) is not a reconnect
    expect(clock.nextAttemptAt).toBeNull();

    // Attempt 0: 0.5 * 1000 ms.
    FakeSocket.all[0].drop();
    expect(client.state).toBe('reconnecting');
    expect(clock.nextAttemptAt).toBe(Date.now() + 500);
    vi.advanceTimersByTime(499);
    expect(FakeSocket.all.length).toBe(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all.length).toBe(2);
    expect(clock.nextAttemptAt).toBeNull();

    // Attempt 1 fails too: 0.5 * 2000 ms.
    FakeSocket.all[1].drop();
    expect(clock.nextAttemptAt).toBe(Date.now() + 1000);
    vi.advanceTimersByTime(999);
    expect(FakeSocket.all.length).toBe(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all.length).toBe(3);

    // Back online resets the attempts; then a silent server trips the watchdog (no close event).
    FakeSocket.all[2].welcome();
    expect(client.state).toBe('open');
    vi.advanceTimersByTime(30_000 * 2 + 1000);
    expect(client.state).toBe('reconnecting');
    expect(clock.nextAttemptAt).toBe(Date.now() + 500);
    vi.advanceTimersByTime(500);
    expect(FakeSocket.all.length).toBe(4);
    client.close();
  });
});
