/**
 * Starts a real scale-chat server in this process: port 0, a temp data dir, silent logs
 * (SCALE_CHAT_TEST_LOG=debug to see them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp, type App, type AppOptions } from '../../src/server/app.js';
import { loadConfig, type Config } from '../../src/server/config.js';

export interface TestServer {
  app: App;
  port: number;
  /** ws://127.0.0.1:port/ws */
  url: string;
  /** http://127.0.0.1:port */
  http: string;
  dataDir: string;
  /** Graceful drain (keeps the data dir). */
  stop(): Promise<void>;
  /** Drain (if running) and delete the data dir. */
  cleanup(): Promise<void>;
}

export function tempDir(prefix = 'scale-chat-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function startServer(overrides: Partial<Config> = {}, dataDir = tempDir(), opts: AppOptions = {}): Promise<TestServer> {
  const config = loadConfig(
    {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      logLevel: process.env.SCALE_CHAT_TEST_LOG ?? 'silent',
      tokenSecret: 'test-secret-0123456789abcdef',
      // Every test client comes from 127.0.0.1: the per-address limits on new identities are off unless a
      // test sets them (test/limits.test.ts).
      guestsPerMinute: 0,
      registrationsPerHour: 0,
      ...overrides,
    },
    {},
  );
  const app = await createApp(config, { processMetrics: false, ...opts });
  const port = await app.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.drain();
  };
  return {
    app,
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    http: `http://127.0.0.1:${port}`,
    dataDir,
    stop,
    async cleanup() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
