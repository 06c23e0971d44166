// The headless Chromium used to render figures to SVG/PNG/PDF: found on the machine (never
// downloaded), launched through playwright-core, and shared by consecutive exports. It closes
// itself after a short idle period, so a command that exports several figures pays for one
// launch and still exits on its own; closeBrowser() closes it at once.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export class BrowserNotFoundError extends Error {
  constructor(detail: string) {
    super(`${detail}\nFigure export (SVG/PNG/PDF) needs Chromium or Google Chrome. Install one `
      + '(Debian/Ubuntu: apt-get install chromium; macOS: install Google Chrome) '
      + 'or point DEEPAGREL_CHROMIUM at the browser executable.');
    this.name = 'BrowserNotFoundError';
  }
}

const KNOWN_PATHS = [
  '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium',
];
const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

// Quiet, self-contained headless browser. Playwright adds --headless, a fresh temporary
// --user-data-dir, and --no-sandbox (chromiumSandbox: false), which Chromium needs as root.
const LAUNCH_ARGS = [
  '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];
const IDLE_CLOSE_MS = 1500;

/**
 * The browser executable: `explicit`, else $DEEPAGREL_CHROMIUM, else the usual install locations and
 * names on PATH. An explicit path or $DEEPAGREL_CHROMIUM that does not exist is an error (no silent fallback).
 */
export function findChromium(explicit?: string): string {
  const chosen = explicit ?? process.env.DEEPAGREL_CHROMIUM;
  if (chosen) {
    if (isExecutable(chosen)) return chosen;
    throw new BrowserNotFoundError(`Browser not found at ${chosen}` + (explicit ? '' : ' (from DEEPAGREL_CHROMIUM)') + '.');
  }
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
    .flatMap((dir) => PATH_NAMES.map((name) => join(dir, name)));
  const found = [...KNOWN_PATHS, ...onPath].find(isExecutable);
  if (!found) throw new BrowserNotFoundError('No Chromium or Chrome found.');
  return found;
}

function isExecutable(path: string): boolean {
  try { accessSync(path, constants.X_OK); return true; } catch { return false; }
}

interface Shared { path: string; browser: Promise<Browser>; idle: Map<string, Page[]> }
let shared: Shared | undefined;
let users = 0;
let idleTimer: NodeJS.Timeout | undefined;

export interface PageOptions {
  /** Browser executable (see findChromium). */
  browserPath?: string;
  /**
   * Pool name: the page is kept open afterwards and handed to the next call with the same name,
   * state included (e.g. a page that already evaluated the Plotly bundle). Without it the page is
   * fresh and closed afterwards. A page whose callback threw is always closed.
   */
  reuse?: string;
}

/** Run `fn` with a page of the shared browser. */
export async function withPage<T>(fn: (page: Page) => Promise<T>, opts: PageOptions = {}): Promise<T> {
  const path = findChromium(opts.browserPath);
  if (shared && shared.path !== path) await closeBrowser();
  let entry = shared;
  if (!entry) {
    const browser = chromium.launch({ executablePath: path, args: LAUNCH_ARGS, chromiumSandbox: false, headless: true });
    const created: Shared = { path, browser, idle: new Map() };
    const forget = () => { if (shared === created) shared = undefined; };
    browser.then((b) => b.on('disconnected', forget), forget);
    shared = entry = created;
  }
  clearTimeout(idleTimer);
  users++;
  try {
    const pool = opts.reuse === undefined ? undefined : entry.idle.get(opts.reuse) ?? [];
    if (pool && opts.reuse !== undefined) entry.idle.set(opts.reuse, pool);
    const page = pool?.pop() ?? await (await entry.browser).newPage();
    let ok = false;
    try {
      const result = await fn(page);
      ok = true;
      return result;
    } finally {
      if (ok && pool && !page.isClosed()) pool.push(page);
      else await page.close().catch(() => {});
    }
  } finally {
    if (--users === 0) idleTimer = setTimeout(() => { void closeBrowser(); }, IDLE_CLOSE_MS);
  }
}

/** Close the shared browser now (it is relaunched on the next export). */
export async function closeBrowser(): Promise<void> {
  clearTimeout(idleTimer);
  const entry = shared;
  shared = undefined;
  if (entry) await (await entry.browser.catch(() => undefined))?.close().catch(() => {});
}
