/**
 * Mentions, unread counts and notifications in the web UI end to end (real Chromium, real server): Bob
 * (an SDK client) mentions Alice in a room she has not open. Her sidebar shows the mention badge beside
 * the unread count, and a browser notification is shown (the Notification API, permission granted; a
 * spy records what is shown); a reload keeps the badge (the counts come from the server); opening the
 * room clears it (also after another reload: the read marker is stored); a muted room counts but
 * notifies nobody; a DM notifies without a mention.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../../src/client/index.js';
import type { TestServer } from '../helpers/server.js';
import { e2eSkip, launchBrowser, openRoom, startWebServer } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e: ${skip}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The notifications the page showed ({title, body}), recorded by the spy below. */
async function shown(page: Page): Promise<{ title: string; body: string }[]> {
  return page.evaluate(() => (window as unknown as { __notes: { title: string; body: string }[] }).__notes);
}

describe('web UI: mentions, unread counts, notifications', { skip }, () => {
  let browser: Browser;
  let srv: TestServer;
  let context: BrowserContext;
  let page: Page;
  let bob: ChatClient;
  const errors: string[] = [];
  const link = (room: string) => page.locator(`.sidebar a[data-room="${room}"]`);

  before(async () => {
    srv = await startWebServer({ ratePerSec: 500, rateBurst: 1000 });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['notifications'], { origin: srv.http });
    // A Notification spy (before any script of the page): records each notification shown, per page load.
    await context.addInitScript(() => {
      const notes: { title: string; body: string }[] = [];
      (window as unknown as { __notes: typeof notes }).__notes = notes;
      class Spy {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        onclick: (() => void) | null = null;
        constructor(title: string, opts?: { body?: string }) {
          notes.push({ title, body: opts?.body ?? '' });
        }
        close() {}
      }
      (window as unknown as { Notification: unknown }).Notification = Spy;
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => errors.push(String(err)));
    await page.goto(srv.http + '/');
    await page.getByLabel('Pick a name').fill('alice');
    await page.getByRole('button', { name: 'Join as guest' }).click();
    await page.getByRole('log').waitFor();

    bob = new ChatClient({ url: srv.url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth: { kind: 'guest', name: 'bob' } });
    await bob.connect();
    await bob.create('team', 'private');
    await bob.invite('team', 'alice');
    await link('team').waitFor();
  });
  after(async () => {
    bob?.close();
    await context?.close().catch(() => {});
    await browser?.close();
    await srv?.cleanup();
  });

  it('a mention in a room not open: the mention badge beside the unread count, and a notification', async () => {
    await bob.send('team', 'plain hello');
    await bob.send('team', 'hey @alice, look at this');
    await link('team').locator('[data-testid="mention-badge"]').filter({ hasText: '@1' }).waitFor();
    assert.equal((await link('team').locator('[data-testid="unread-badge"]').textContent())?.trim(), '2');
    await page.waitForFunction(() => (window as unknown as { __notes: unknown[] }).__notes.length > 0);
    assert.deepEqual(await shown(page), [{ title: 'bob in team', body: 'hey @alice, look at this' }], 'only the mention notifies');
  });

  it('a reload keeps the badge; opening the room clears it, also after another reload', async () => {
    await page.reload();
    await page.getByRole('log').waitFor();
    await link('team').locator('[data-testid="mention-badge"]').filter({ hasText: '@1' }).waitFor();
    assert.equal((await link('team').locator('[data-testid="unread-badge"]').textContent())?.trim(), '2');
    assert.deepEqual(await shown(page), [], 'a reload notifies nothing again');
    await openRoom(page, 'team');
    await page.locator('.list .msg .msg-text', { hasText: 'look at this' }).waitFor();
    // The read marker goes to the server (it is sent while the newest message is on screen).
    await sleep(1500);
    await openRoom(page, 'general');
    assert.equal(await link('team').locator('.badge').count(), 0);
    await page.reload();
    await page.getByRole('log').waitFor();
    await link('team').waitFor();
    await sleep(300);
    assert.equal(await link('team').locator('.badge').count(), 0, 'read: no badge after a reload');
  });

  it('a muted room still counts but notifies nobody; a DM notifies without a mention', async () => {
    await openRoom(page, 'team');
    await page.getByRole('button', { name: 'Mute', exact: true }).click();
    await page.getByRole('button', { name: 'Unmute' }).waitFor();
    await openRoom(page, 'general');
    const before = (await shown(page)).length;
    await bob.send('team', '@alice are you there?');
    await link('team').locator('[data-testid="mention-badge"]').filter({ hasText: '@1' }).waitFor();
    const dm = await bob.dm('alice');
    await bob.send(dm.id, 'psst');
    await page.waitForFunction((n) => (window as unknown as { __notes: unknown[] }).__notes.length > n, before);
    await sleep(300);
    assert.deepEqual((await shown(page)).slice(before), [{ title: 'bob', body: 'psst' }], 'the DM only: team is muted');
    assert.deepEqual(errors, [], 'no errors in the page');
  });
});
