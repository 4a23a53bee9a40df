/**
 * The server restarts while a page is open: the page says it is reconnecting (with a countdown),
 * then shows the messages another client sent meanwhile exactly once and in order, and its own
 * message written during the outage goes from pending to sent. A message the SDK gives up on shows
 * as failed, and Retry delivers it exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../../src/client/index.js';
import { tempDir, type TestServer } from '../helpers/server.js';
import { e2eSkip, guest, launchBrowser, messageTexts, send, startWebServer, type Person } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e: ${skip}`);

describe('web UI: server restart', { skip }, () => {
  let browser: Browser;
  let srv: TestServer;
  const dir = tempDir();
  let ann: Person;

  before(async () => {
    srv = await startWebServer({}, dir);
    browser = await launchBrowser();
    ann = await guest(browser, srv, 'ann');
  });
  after(async () => {
    await ann?.context.close().catch(() => {});
    await browser?.close();
    await srv?.cleanup();
  });

  it('shows reconnecting, then catches up once and in order, and sends what was written meanwhile', async () => {
    const port = srv.port;
    await send(ann.page, 'before the restart');
    await ann.page.locator('.list .msg [data-status="sent"]').waitFor();

    await srv.stop();
    const banner = ann.page.locator('.banner[data-state="reconnecting"]');
    await banner.waitFor();
    assert.match((await banner.textContent()) ?? '', /Reconnecting/);
    // While the server is down the countdown shows when the next attempt starts.
    await ann.page.locator('.banner', { hasText: /Reconnecting in \d+s/ }).waitFor({ timeout: 20_000 });

    // The browser losing its network says so; back online, the countdown returns.
    await ann.context.setOffline(true);
    await ann.page.locator('.banner', { hasText: 'You are offline' }).waitFor();
    await ann.context.setOffline(false);
    await ann.page.locator('.banner', { hasText: /Reconnecting/ }).waitFor();

    // Written during the outage: pending now, sent after the reconnect.
    await send(ann.page, 'written while offline');
    await ann.page.locator('.list .msg.unsent [data-status="pending"]').waitFor();

    srv = await startWebServer({ port }, dir);
    const writer = new ChatClient({
      url: srv.url,
      WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'],
      auth: { kind: 'guest', name: 'writer' },
    });
    await writer.connect();
    const missed = Array.from({ length: 30 }, (_, i) => `missed ${String(i + 1).padStart(2, '0')}`);
    for (const text of missed) await writer.send('general', text);
    const pageWasOffline = await ann.page.locator('.banner[data-state="reconnecting"]').count();
    console.log(`the page was ${pageWasOffline ? 'still reconnecting' : 'already back'} when the other client had sent its ${missed.length} messages`);

    await ann.page.locator('.banner').waitFor({ state: 'detached', timeout: 20_000 });
    await ann.page.locator('.list .msg-text', { hasText: 'missed 30' }).waitFor();
    await ann.page.locator('.list .msg:not(.unsent) .msg-text', { hasText: 'written while offline' }).waitFor();
    assert.equal(await ann.page.locator('.list .msg.unsent').count(), 0, 'nothing left pending');

    const texts = await messageTexts(ann.page);
    const got = texts.filter((t) => t.startsWith('missed '));
    assert.deepEqual(got, missed, 'every missed message exactly once, in order');
    assert.equal(texts.filter((t) => t === 'before the restart').length, 1);
    assert.equal(texts.filter((t) => t === 'written while offline').length, 1);
    const seqs = (await ann.page.locator('.list .msg[data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq')))));
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `no gap and no duplicate: seq ${seqs[i - 1]} then ${seqs[i]}`);
    assert.equal(seqs.length, missed.length + 2);
    writer.close();
  });

  it('a message that cannot be delivered is marked failed; Retry delivers it once', async () => {
    const port = srv.port;
    await srv.stop();
    await ann.page.locator('.banner[data-state="reconnecting"]').waitFor();
    await send(ann.page, 'this one will fail');
    await ann.page.locator('.list .msg.unsent [data-status="pending"]').waitFor();
    // The SDK gives up on an unacknowledged message after 15 s.
    const failed = ann.page.locator('.list .msg.unsent [data-status="failed"]');
    await failed.waitFor({ timeout: 30_000 });
    assert.match((await failed.textContent()) ?? '', /Not sent/);

    srv = await startWebServer({ port }, dir);
    await ann.page.locator('.banner').waitFor({ state: 'detached', timeout: 20_000 });
    await failed.getByRole('button', { name: 'Retry' }).click();
    await ann.page.locator('.list .msg:not(.unsent) .msg-text', { hasText: 'this one will fail' }).waitFor();
    assert.equal(await ann.page.locator('.list .msg.unsent').count(), 0);
    const reader = new ChatClient({ url: srv.url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth: { kind: 'guest', name: 'reader' } });
    await reader.connect();
    const { messages } = await reader.history('general', { limit: 100 });
    reader.close();
    assert.equal(messages.filter((m) => m.text === 'this one will fail').length, 1, 'stored exactly once');
  });
});
