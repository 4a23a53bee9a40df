/**
 * The web UI with names of Object.prototype members, end to end (real Chromium, real server): links to
 * `#room=__proto__`, `#room=toString` and `#room=constructor` show a sane view (general, the join
 * prompt, or the room) and survive a reload, never a blank page; a room named `constructor` works like
 * any other, a message id `__proto__` included. And two guests who had the same name at different
 * times look different: the earlier one's messages carry a short id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { AckFrame, JoinedFrame, WelcomeFrame } from '../../src/protocol/types.js';
import { RawClient } from '../helpers/raw.js';
import type { TestServer } from '../helpers/server.js';
import { e2eSkip, guest, launchBrowser, pageErrors, startWebServer, type Person } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e (reserved names): ${skip}`);

/** The web UI's avatar hue of a key (the same function as web/src/lib/format.ts). */
function hueOf(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return h % 360;
}

describe('web UI: reserved names', { skip }, () => {
  let browser: Browser;
  let srv: TestServer;
  let ann: Person;
  const raws: RawClient[] = [];

  before(async () => {
    srv = await startWebServer({ ratePerSec: 1000, rateBurst: 1000, guestsPerMinute: 0, roomsCreatedPerHour: 0, invitesPerMinute: 0 });
    browser = await launchBrowser();
    ann = await guest(browser, srv, 'ann');
  });
  after(async () => {
    for (const r of raws) r.close();
    await ann?.context.close().catch(() => {});
    await browser?.close();
    await srv?.cleanup();
  });

  async function rawGuest(name: string): Promise<{ c: RawClient; welcome: WelcomeFrame }> {
    const until = Date.now() + 5000;
    for (;;) {
      try {
        const g = await RawClient.guest(srv.url, name);
        raws.push(g.c);
        return g;
      } catch (err) {
        if (Date.now() > until) throw err; // the name is freed once the server saw the previous close
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Navigates to `#room=<raw>` as a link would, then checks the view; and again after a reload. */
  async function visit(page: Page, raw: string, check: () => Promise<void>): Promise<void> {
    await page.evaluate((h) => {
      location.hash = h;
    }, `#room=${raw}`);
    await check();
    await page.reload();
    await check();
    assert.deepEqual(pageErrors(page), [], `no error in the page after #room=${raw}`);
  }

  /** Polls the page's location.hash (waitForFunction would evaluate a string, which the CSP forbids). */
  const hashIs = async (page: Page, want: string) => {
    const until = Date.now() + 5000;
    for (;;) {
      const hash = await page.evaluate(() => location.hash);
      if (hash === want) return;
      if (Date.now() > until) assert.equal(hash, want);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const showsRoom = async (page: Page, label: string) => {
    await page.getByRole('log', { name: `Messages in ${label}` }).waitFor();
    assert.equal(await page.locator('.room-title h1').count(), 1, 'the header is there (not a blank page)');
  };

  it('links to __proto__ and toString show general; the URL follows, a reload too', async () => {
    const { page } = ann;
    for (const raw of ['__proto__', 'toString', 'hasOwnProperty', '__defineGetter__', '%E0%A4%A']) {
      await visit(page, raw, async () => {
        await showsRoom(page, '#general');
        await hashIs(page, '#room=general');
      });
    }
  });

  it('a link to a room that does not exist shows the join prompt, saying it is private or does not exist', async () => {
    const { page } = ann;
    for (const raw of ['valueof', 'prototype']) {
      await visit(page, raw, async () => {
        await page.locator('.join-prompt', { hasText: `You are not a member of #${raw}` }).waitFor();
        assert.equal(await page.locator('.sidebar').count(), 1, 'the sidebar is there');
      });
      // Not among the public rooms: no Join button that would fail, but why not.
      await page.getByTestId('private-room').filter({ hasText: `there is no room #${raw}` }).waitFor();
      assert.equal(await page.getByRole('button', { name: `Join #${raw}` }).count(), 0);
      await page.getByRole('button', { name: 'Back to #general' }).click();
      await showsRoom(page, '#general');
    }
  });

  it('a room named constructor works, with a message id __proto__, across a reload', async () => {
    const { page } = ann;
    const ben = await rawGuest('ben');
    // Message ids are unique per author across rooms: `__proto__` in one, `toString` in the other.
    for (const [room, msgId] of [['constructor', '__proto__'], ['tostring', 'toString']]) {
      const created = await ben.c.request<JoinedFrame>({ type: 'create', id: `c-${room}`, room, visibility: 'private' });
      assert.equal(created.type, 'joined', JSON.stringify(created));
      const ack = await ben.c.request<AckFrame>({ type: 'send', id: msgId, room, text: `welcome to ${room}` });
      assert.equal(ack.type, 'ack', JSON.stringify(ack));
      assert.equal((await ben.c.request({ type: 'invite', id: `i-${room}`, room, user: 'ann' })).type, 'invited');
      await page.locator(`.sidebar a[data-room="${room}"]`).waitFor();
    }
    await visit(page, 'constructor', async () => {
      await showsRoom(page, '#constructor');
      await page.locator('.list .msg-text', { hasText: 'welcome to constructor' }).waitFor();
    });
    // Live messages and typing in it.
    ben.c.send({ type: 'typing', room: 'constructor' });
    await page.getByTestId('typing').filter({ hasText: 'ben is typing' }).waitFor();
    await ben.c.request({ type: 'send', id: 'constructor', room: 'constructor', text: 'second in constructor' });
    await page.locator('.list .msg-text', { hasText: 'second in constructor' }).waitFor();
    // Sending from the page.
    await page.locator('#composer-input').fill('ann in constructor');
    await page.locator('#composer-input').press('Enter');
    await page.locator('.list .msg.own [data-status="sent"]').first().waitFor();
    await ben.c.next((e) => e.type === 'msg' && e.room === 'constructor' && e.text === 'ann in constructor');
    // The other room too, from the sidebar.
    await page.locator('.sidebar a[data-room="tostring"]').click();
    await page.locator('.list .msg-text', { hasText: 'welcome to tostring' }).waitFor();
    assert.deepEqual(pageErrors(page), []);
  });

  it('a guest who left and the next guest with the same name look different', async () => {
    const { page } = ann;
    await page.evaluate(() => {
      location.hash = '#room=general';
    });
    await showsRoom(page, '#general');
    const first = await rawGuest('zed');
    await first.c.request({ type: 'send', id: 'z1', room: 'general', text: 'from the first zed' });
    first.c.close();
    const second = await rawGuest('zed');
    assert.notEqual(second.welcome.user.id, first.welcome.user.id);
    await second.c.request({ type: 'send', id: 'z2', room: 'general', text: 'from the second zed' });
    const older = page.locator('.list .msg', { hasText: 'from the first zed' });
    const newer = page.locator('.list .msg', { hasText: 'from the second zed' });
    await newer.waitFor();
    await older.locator('[data-testid="namesake"]').waitFor();
    assert.equal((await older.locator('[data-testid="namesake"]').textContent())?.trim(), `~${first.welcome.user.id.slice(-4)}`);
    assert.equal(await newer.locator('[data-testid="namesake"]').count(), 0, 'the zed of now has no marker');
    // The avatar colour comes from the user id (web/src/lib/format.ts hueOf), not from the name.
    const hue = (l: typeof older) => l.locator('.avatar').evaluate((el) => (el as HTMLElement).style.getPropertyValue('--hue'));
    assert.equal(await hue(older), String(hueOf(first.welcome.user.id)));
    assert.equal(await hue(newer), String(hueOf(second.welcome.user.id)));
    assert.match((await older.locator('.author').getAttribute('title')) ?? '', new RegExp(first.welcome.user.id));
    assert.deepEqual(pageErrors(page), []);
  });
});
