/**
 * End-to-end helpers: Debian's Chromium driven by playwright-core (no browser download), a real
 * scale-chat server serving the built web UI, and page actions a user would do (sign in, open a
 * room, send). When Chromium or the built UI is missing, `e2eSkip` says so and the suites skip loudly.
 */
import { existsSync } from 'node:fs';
import { after, before } from 'node:test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.js';
import type { Config } from '../../src/server/config.js';

export const CHROMIUM = process.env.SCALE_CHAT_CHROMIUM ?? '/usr/bin/chromium';
/** web/dist of this package (this file runs as dist/test/e2e/browser.js). */
export const WEB_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A reason to skip the e2e suites on this machine, or false. */
export function e2eSkip(): string | false {
  if (!existsSync(CHROMIUM)) return `SKIPPED: ${CHROMIUM} not installed (apt-get install chromium)`;
  if (!existsSync(path.join(WEB_DIR, 'index.html'))) return 'SKIPPED: web UI not built (npm run build:web)';
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // playwright gives every launch a fresh temporary --user-data-dir.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    timeout: 60_000,
  });
}

export async function startWebServer(overrides: Partial<Config> = {}, dataDir?: string): Promise<TestServer> {
  return startServer({ webDir: WEB_DIR, ...overrides }, dataDir);
}

const ERRORS = new WeakMap<Page, string[]>();

export interface Person {
  context: BrowserContext;
  page: Page;
  name: string;
}

/** A new browser context (its own storage: a different person) at `url`. */
export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('dialog', (d) => {
    errors.push(`unexpected dialog: ${d.message()}`);
    void d.dismiss();
  });
  ERRORS.set(page, errors);
  // The server sends a Content-Security-Policy (src/server/transport/http.ts): anything it blocks is an error.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /CSP violation|Content Security Policy/.test(m.text())) errors.push(m.text());
  });
  await page.goto(url);
  return { context, page };
}

/** Errors thrown in the page and dialogs it opened (an injected alert() would show here). */
export function pageErrors(page: Page): string[] {
  return ERRORS.get(page) ?? [];
}

/** Opens the UI in a new context and signs in as a guest. */
export async function guest(browser: Browser, srv: TestServer, name: string, viewport?: { width: number; height: number }): Promise<Person> {
  const { context, page } = await openPage(browser, srv.http + '/', viewport);
  await page.getByLabel('Pick a name').fill(name);
  await page.getByRole('button', { name: 'Join as guest' }).click();
  await page.getByRole('log').waitFor();
  return { context, page, name };
}

/** What a suite of browser tests works in: a web server, a browser, and a signed-in guest page per name. */
export interface GuestScene<N extends string> {
  /** The server; a test that restarts it puts the new one here (the suite's end cleans up this one). */
  srv: TestServer;
  browser: Browser;
  guests: Record<N, Person>;
}

/**
 * Registers the suite's set-up and tear-down (call it inside `describe`): before the tests, a web server
 * (`server` options, on `dataDir` if given), a browser and one guest page per name, signed in in order;
 * after them, every page's context, the browser and the server closed.
 */
export function guestScene<N extends string>(names: readonly N[], o: { server?: Partial<Config>; dataDir?: string; viewport?: { width: number; height: number } } = {}): GuestScene<N> {
  const scene = { guests: {} } as GuestScene<N>;
  before(async () => {
    scene.srv = await startWebServer(o.server, o.dataDir);
    scene.browser = await launchBrowser();
    for (const n of names) scene.guests[n] = await guest(scene.browser, scene.srv, n, o.viewport);
  });
  after(async () => {
    for (const p of Object.values<Person>(scene.guests)) await p.context.close().catch(() => {});
    await scene.browser?.close();
    await scene.srv?.cleanup();
  });
  return scene;
}

/** The last message row whose text contains `text`. */
export const rowWith = (page: Page, text: string): Locator => page.locator('.list .msg', { has: page.locator('.msg-text', { hasText: text }) }).last();

/** Types into the composer and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  const box = page.locator('#composer-input');
  await box.fill(text);
  await box.press('Enter');
}

/** The message list's message texts, in order (only the rendered window). */
export async function messageTexts(page: Page): Promise<string[]> {
  return page.locator('.list .msg .msg-text').allTextContents();
}

/** Clicks a room in the sidebar (opening the drawer first on phones). */
export async function openRoom(page: Page, roomId: string): Promise<void> {
  const link = page.locator(`.sidebar a[data-room="${roomId}"]`);
  await link.waitFor();
  await link.click();
  await page.locator('.room-title h1').filter({ hasText: roomId.startsWith('dm:') ? '' : roomId }).waitFor();
}
