/**
 * Desktop and phone layouts with a lived-in scene (rooms, a DM with an unread count, grouped
 * messages, a link): an account signs in from a desktop and from a phone; on the phone the sidebar
 * is a drawer that opens, picks a room and closes, and a message sends. Screenshots of both
 * layouts (and the dark theme) are taken every run; they replace the README's images in docs/ only
 * with UPDATE_SCREENSHOTS=1 (otherwise they go to a temp dir, so a test run leaves the checkout clean).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../../src/client/index.js';
import type { MsgEvent } from '../../src/protocol/index.js';
import type { TestServer } from '../helpers/server.js';
import { REPO_ROOT, e2eSkip, launchBrowser, openPage, send, startWebServer } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e: ${skip}`);

const PASSWORD = 'correct horse battery';
const SHOTS_DIR = process.env.UPDATE_SCREENSHOTS === '1'
  ? path.join(REPO_ROOT, 'docs')
  : mkdtempSync(path.join(os.tmpdir(), 'scale-chat-shots-'));

function sdk(srv: TestServer, auth: ChatClientOptions['auth']): ChatClient {
  return new ChatClient({ url: srv.url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth });
}

async function logIn(page: Page, name: string): Promise<void> {
  await page.getByRole('radio', { name: 'Log in' }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('log').waitFor();
}

describe('web UI: desktop and phone layouts', { skip }, () => {
  let browser: Browser;
  let srv: TestServer;
  const clients: ChatClient[] = [];

  before(async () => {
    srv = await startWebServer();
    browser = await launchBrowser();
    // The scene: maya has an account; two others talk to her through the SDK.
    const maya = sdk(srv, { kind: 'register', name: 'maya', password: PASSWORD });
    await maya.connect();
    maya.close();
    const jonas = sdk(srv, { kind: 'guest', name: 'jonas' });
    const priya = sdk(srv, { kind: 'guest', name: 'priya' });
    clients.push(jonas, priya);
    await jonas.connect();
    await priya.connect();
    await jonas.send('general', 'Morning all! The load test from last night is in.');
    await jonas.send('general', '19k connections on one node, p99 fan-out latency under 40 ms.');
    await priya.send('general', 'Nice. Did the slow-consumer close kick in?');
    await jonas.send('general', 'Twice, both resumed without loss. Write-up: https://example.com/loadtest/2026-11');
    await priya.create('design', 'public');
    await priya.send('design', 'New sidebar mock is up, feedback welcome');
    await priya.create('launch', 'private');
    await priya.invite('launch', 'maya');
    await priya.send('launch', 'Launch checklist: docs, screenshots, release notes');
    await priya.send('launch', 'Maya, can you take the screenshots?');
  });
  after(async () => {
    for (const c of clients) c.close();
    await browser?.close();
    await srv?.cleanup();
  });

  it('desktop: rooms, unread counts, online users and the conversation side by side', async () => {
    const { context, page } = await openPage(browser, srv.http + '/', { width: 1280, height: 800 });
    await logIn(page, 'maya');
    assert.match((await page.getByTestId('me').textContent()) ?? '', /maya · account/);
    await page.locator('.sidebar a[data-room="launch"] .badge', { hasText: '2' }).waitFor();
    await page.locator('.list .msg-text', { hasText: 'Write-up' }).waitFor();
    await send(page, 'Congrats! Reading it now.');
    await page.locator('.list .msg.own [data-status="sent"]').waitFor();
    const jonas = clients[0];
    const dm = await jonas.dm('maya');
    await jonas.send(dm.id, 'Got a minute later?');
    await page.locator(`.sidebar a[data-room="${dm.id}"] .badge`, { hasText: '1' }).waitFor();
    await page.getByTestId('online-total').filter({ hasText: '3' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS_DIR, 'screenshot-desktop.png') });

    const dark = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark', storageState: await context.storageState() });
    const darkPage = await dark.newPage();
    await darkPage.goto(srv.http + '/#room=launch');
    await darkPage.locator('.list .msg-text', { hasText: 'take the screenshots' }).waitFor();
    const bg = await darkPage.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(bg, 'rgb(23, 25, 30)', 'the dark theme follows the system setting');
    await darkPage.screenshot({ path: path.join(SHOTS_DIR, 'screenshot-dark.png') });
    await dark.close();
    await context.close();
  });

  it('phone (375 px): the sidebar is a drawer; a message sends; keyboard only works too', async () => {
    const { context, page } = await openPage(browser, srv.http + '/', { width: 375, height: 740 });
    await logIn(page, 'maya');
    const sidebar = page.locator('#sidebar');
    const menu = page.getByRole('button', { name: 'Open rooms menu' });
    await menu.waitFor();
    assert.equal(await sidebar.isVisible(), false, 'the sidebar is hidden until the menu opens');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `no horizontal scrolling (page is ${width}px wide)`);
    await page.locator('.list .msg-text', { hasText: 'Congrats!' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS_DIR, 'screenshot-phone.png') });

    // A grouped message shows its time on hover: all of it on screen, and not over the text.
    const grouped = page.locator('.list .msg.cont').first();
    await grouped.hover();
    const time = grouped.locator('.hover-time');
    await time.waitFor({ state: 'visible' });
    const t = await time.boundingBox();
    const body = await grouped.locator('.msg-body').boundingBox();
    assert.ok(t && body, 'the hover time and the text are laid out');
    assert.ok(t.x >= 0 && t.x + t.width <= 375, `the hover time is inside the viewport (x ${t.x}, width ${t.width})`);
    assert.ok(t.x + t.width <= body.x + 1, `the hover time does not cover the text (ends at ${t.x + t.width}, text starts at ${body.x})`);
    assert.equal(await time.evaluate((el) => el.scrollWidth <= el.clientWidth + 1), true, 'the time is not cut');

    await menu.click();
    await sidebar.waitFor({ state: 'visible' });
    await page.waitForFunction(() => {
      const r = document.getElementById('sidebar')!.getBoundingClientRect();
      return r.left >= 0;
    });
    await page.screenshot({ path: path.join(SHOTS_DIR, 'screenshot-phone-drawer.png') });
    // Escape closes the drawer; then open it again and pick a room.
    await page.keyboard.press('Escape');
    await sidebar.waitFor({ state: 'hidden' });
    await menu.click();
    await page.locator('.sidebar a[data-room="launch"]').click();
    await sidebar.waitFor({ state: 'hidden' });
    await page.locator('.room-title h1', { hasText: 'launch' }).waitFor();

    // Keyboard only: Tab to a room, Enter opens it, Tab to the composer, type, Enter sends.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator('body').focus();
    const tabTo = async (selector: string) => {
      for (let i = 0; i < 60; i++) {
        if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
        await page.keyboard.press('Tab');
      }
      assert.fail(`Tab never reached ${selector}`);
    };
    await tabTo('.sidebar a[data-room="general"]');
    await page.keyboard.press('Enter');
    await page.locator('.room-title h1', { hasText: 'general' }).waitFor();
    await tabTo('#composer-input');
    await page.keyboard.type('typed with the keyboard only');
    await page.keyboard.press('Enter');
    await page.locator('.list .msg.own:not(.unsent) .msg-text', { hasText: 'typed with the keyboard only' }).waitFor();
    await tabTo('.sidebar a[data-room="launch"]');
    await page.keyboard.press('Enter');
    await page.locator('.room-title h1', { hasText: 'launch' }).waitFor();
    await page.setViewportSize({ width: 375, height: 740 });

    const got: MsgEvent[] = [];
    const priya = clients[1];
    priya.on('message', (m) => got.push(m));
    await send(page, 'On it, from my phone');
    await page.locator('.list .msg.own [data-status="sent"]').last().waitFor();
    const deadline = Date.now() + 10_000;
    while (!got.some((m) => m.text === 'On it, from my phone') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(got.some((m) => m.room === 'launch' && m.user === 'maya' && m.text === 'On it, from my phone'), 'priya received the message');
    await context.close();
  });
});
