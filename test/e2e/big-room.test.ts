/**
 * 10,000 messages loaded in one room: scrolling back page by page loads all of them in order, the
 * DOM stays small (the list is windowed) and the page stays responsive. The numbers (page load
 * times, jump-scroll render times, frame intervals while wheel-scrolling, long tasks, DOM size) are
 * printed for the README; the assertions are about what a user would notice (everything is there,
 * in order, once; the DOM does not grow with the history), not about timings.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../../src/client/index.js';
import type { AckFrame } from '../../src/protocol/index.js';
import type { TestServer } from '../helpers/server.js';
import { e2eSkip, guest, launchBrowser, startWebServer, type Person } from './browser.js';

const skip = e2eSkip();
if (skip) console.log(`# web UI e2e: ${skip}`);

const TOTAL = 10_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function domSize(page: Page): Promise<{ nodes: number; rows: number; count: number }> {
  return page.evaluate(() => {
    const list = document.querySelector('.list')!;
    return { nodes: document.getElementsByTagName('*').length, rows: Number(list.getAttribute('data-rendered')), count: Number(list.getAttribute('data-count')) };
  });
}

describe('web UI: a room with 10,000 messages', { skip }, () => {
  let browser: Browser;
  let srv: TestServer;
  let viewer: Person;

  before(async () => {
    srv = await startWebServer({ ratePerSec: 100_000, rateBurst: 100_000 });
    const writer = new ChatClient({ url: srv.url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth: { kind: 'guest', name: 'writer' }, ackTimeoutMs: 60_000 });
    await writer.connect();
    const t0 = Date.now();
    for (let i = 0; i < TOTAL; i += 500) {
      const acks: Promise<AckFrame>[] = [];
      for (let j = i; j < Math.min(TOTAL, i + 500); j++) {
        const text = j % 7 === 0 ? `message ${j + 1}: a longer one that wraps onto a second line on narrow screens, with a link https://example.com/${j}` : `message ${j + 1}`;
        acks.push(writer.send('general', text));
      }
      await Promise.all(acks);
    }
    console.log(`stored ${TOTAL} messages through the SDK in ${Date.now() - t0} ms`);
    writer.close();
    browser = await launchBrowser();
    viewer = await guest(browser, srv, 'viewer');
  });
  after(async () => {
    await viewer?.context.close().catch(() => {});
    await browser?.close();
    await srv?.cleanup();
  });

  it('scrolls back through all 10,000 messages with a bounded DOM', async () => {
    const page = viewer.page;
    await page.locator('.list .msg-text', { hasText: `message ${TOTAL}` }).waitFor();
    const first = await domSize(page);

    // Scroll to the top again and again: each time the next older page is fetched and prepended.
    const pageTimes: number[] = [];
    let count = first.count;
    let maxNodes = first.nodes;
    let maxRows = first.rows;
    for (let i = 0; i < 100 && count < TOTAL; i++) {
      const t0 = Date.now();
      await page.evaluate(() => (document.querySelector('.list')!.scrollTop = 0));
      await page
        .waitForFunction((before) => Number(document.querySelector('.list')!.getAttribute('data-count')) > before, count, { timeout: 20_000 })
        .catch(async (err: Error) => {
          const state = await page.evaluate(() => {
            const l = document.querySelector('.list')!;
            return `scrollTop ${l.scrollTop}, count ${l.getAttribute('data-count')}, top row: ${l.querySelector('.edge')?.textContent ?? '(not rendered)'}`;
          });
          throw new Error(`no older page arrived after scrolling to the top (${state}): ${err.message}`);
        });
      pageTimes.push(Date.now() - t0);
      const d = await domSize(page);
      count = d.count;
      maxNodes = Math.max(maxNodes, d.nodes);
      maxRows = Math.max(maxRows, d.rows);
    }
    assert.equal(count, TOTAL, 'every message is loaded');
    await page.evaluate(() => (document.querySelector('.list')!.scrollTop = 0));
    await page.getByText('This is the beginning of #general.').waitFor();
    await page.locator('.list .msg[data-seq="1"]').waitFor();

    // Jumps to random places: time from setting scrollTop to the second frame after it.
    const jumps: { times: number[]; longTasks: number[] } = await page.evaluate(async () => {
      const el = document.querySelector('.list') as HTMLElement;
      const longTasks: number[] = [];
      const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => longTasks.push(e.duration)));
      obs.observe({ type: 'longtask', buffered: false });
      const raf = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
      const times: number[] = [];
      let seed = 42;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
      for (let i = 0; i < 60; i++) {
        const t0 = performance.now();
        el.scrollTop = rnd() * (el.scrollHeight - el.clientHeight);
        await raf();
        await raf();
        times.push(performance.now() - t0);
      }
      obs.disconnect();
      return { times, longTasks };
    });
    const afterJumps = await domSize(page);
    maxNodes = Math.max(maxNodes, afterJumps.nodes);
    maxRows = Math.max(maxRows, afterJumps.rows);

    // Wheel scrolling: frame intervals while scrolling continuously.
    const wheelFrom = await page.evaluate(() => (document.querySelector('.list')!.scrollTop = 100_000));
    await page.mouse.move(640, 400);
    const framesP = page.evaluate(async () => {
      const intervals: number[] = [];
      let last = performance.now();
      const end = last + 2000;
      await new Promise<void>((resolve) => {
        const tick = (t: number) => {
          intervals.push(t - last);
          last = t;
          if (t < end) requestAnimationFrame(tick);
          else resolve();
        };
        requestAnimationFrame(tick);
      });
      return intervals;
    });
    for (let i = 0; i < 40; i++) {
      await page.mouse.wheel(0, 240);
      await page.waitForTimeout(16);
    }
    const frames = await framesP;
    const wheelTo = await page.evaluate(() => document.querySelector('.list')!.scrollTop);
    const end = await domSize(page);
    maxNodes = Math.max(maxNodes, end.nodes);

    console.log(
      [
        `10,000-message room (Chromium headless, 1280x800):`,
        `  first screen: ${first.count} messages loaded, ${first.rows} rows rendered, ${first.nodes} DOM elements`,
        `  scroll-back: ${pageTimes.length} pages to load all ${TOTAL}; per page (scroll to top -> prepended) median ${ms(median(pageTimes))}, p90 ${ms(pct(pageTimes, 0.9))}, max ${ms(Math.max(...pageTimes))}`,
        `  with ${TOTAL} loaded: at most ${maxRows} rows rendered, at most ${maxNodes} DOM elements`,
        `  60 random jumps: scrollTop set -> 2nd frame median ${ms(median(jumps.times))}, p90 ${ms(pct(jumps.times, 0.9))}, max ${ms(Math.max(...jumps.times))}; long tasks (>50 ms): ${jumps.longTasks.length}`,
        `  wheel scrolling 2 s (${Math.round(wheelTo - wheelFrom)} px): ${frames.length} frames, interval median ${ms(median(frames))}, p95 ${ms(pct(frames, 0.95))}, max ${ms(Math.max(...frames))}`,
      ].join('\n'),
    );
    assert.ok(wheelTo > wheelFrom, 'the wheel scrolled the list');
    assert.ok(maxRows < 200, `rows rendered stay bounded with ${TOTAL} messages loaded (max ${maxRows})`);
    assert.ok(maxNodes < 3000, `the DOM stays small with ${TOTAL} messages loaded (max ${maxNodes} elements)`);
  });

  it('scrolled up, new messages do not move the view and a pill counts them; at the bottom it follows them', async () => {
    const page = viewer.page;
    const list = page.locator('.list');
    const writer = new ChatClient({ url: srv.url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth: { kind: 'guest', name: 'writer2' } });
    await writer.connect();
    try {
      await list.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
      await page.waitForFunction(() => document.querySelector('.list')!.getAttribute('data-pinned') === 'false');
      const firstSeq = async () => Number(await page.locator('.list .msg[data-seq]').first().getAttribute('data-seq'));
      const before = await list.evaluate((el) => el.scrollTop);
      const seqBefore = await firstSeq();
      await writer.send('general', 'news while you were reading');
      await page.getByRole('button', { name: '1 new message' }).waitFor();
      await writer.send('general', 'more news');
      await page.getByRole('button', { name: '2 new messages' }).waitFor();
      assert.equal(await list.evaluate((el) => el.scrollTop), before, 'the view did not move');
      assert.equal(await firstSeq(), seqBefore);

      await page.getByRole('button', { name: '2 new messages' }).click();
      await page.locator('.list .msg-text', { hasText: 'more news' }).waitFor();
      await page.getByRole('button', { name: /new message/ }).waitFor({ state: 'detached' });
      await writer.send('general', 'and it follows at the bottom');
      await page.locator('.list .msg-text', { hasText: 'and it follows at the bottom' }).waitFor();
      await page.waitForFunction(() => {
        const el = document.querySelector('.list')!;
        return el.getAttribute('data-pinned') === 'true' && el.scrollHeight - el.scrollTop - el.clientHeight < 2;
      });
      assert.equal(await page.getByRole('button', { name: /new message/ }).count(), 0);
    } finally {
      writer.close();
    }
  });
});
