import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach } from 'vitest';
import type { StudioClient } from '../../shared/api/client';
import { connectApiClient } from './apiClient';
import { openBrowser, type BrowserSession, type WindowSize } from './browser';
import { useTempDirs } from './tempDir';
import { startWebMode, type RunningWebMode } from './webMode';

/*
 * The studio in web mode, driven by Debian's Chromium, as the browser tests (test/e2e/ui*.test.ts) use
 * it: a studio on a data directory, a page at a window size that collects console errors, API clients,
 * screenshots in test/artifacts, and all of it torn down after each test, so that a test file holds only
 * what its tests are about.
 */

export const ARTIFACTS = resolve('test/artifacts');

/** The window sizes the UI is checked at: a laptop's and a desktop monitor's. */
export const SIZES = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
] as const;

/** `1280x720`: how a window size is written in screenshot names and assertion messages. */
export const sizeTag = (size: WindowSize): string => `${size.width}x${size.height}`;

/** The path for a screenshot named `name` in test/artifacts (made if missing). */
export function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

export async function connected(page: Page): Promise<void> {
  await page.getByTestId('connection-status').filter({ hasText: 'connected' }).waitFor();
}

/** Robot state is flowing once the end-effector readout shows numbers (the rig has started). */
export async function robotStateFlowing(page: Page, timeout?: number): Promise<void> {
  await page
    .getByTestId('ee-position')
    .filter({ hasText: /\d\.\d{3}/ })
    .waitFor(timeout === undefined ? {} : { timeout });
}

/** Waits for the recording panel to show `expected` as its phase. */
export async function recordingPhase(page: Page, expected: string | RegExp): Promise<void> {
  await page.getByTestId('recording-phase').filter({ hasText: expected }).waitFor();
}

/** Opens a view by its button in the top bar, as a user with the mouse would. */
export async function gotoView(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name }).click();
}

/*
 * Page scripts are strings: the tests compile against Node's types, not the DOM's, and a DOM lib
 * reference would leak into the whole test program.
 */

/** An element's box in the page, in CSS pixels from the viewport's top left. */
export interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
  height: number;
}

/** The box of the first element matching `selector`, measured in the page; null when there is none. */
export function boxOf(page: Page, selector: string): Promise<Box | null> {
  return page.evaluate<Box | null>(`(() => {
    const r = document.querySelector(${JSON.stringify(selector)})?.getBoundingClientRect();
    return r === undefined ? null : { top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height };
  })()`);
}

/** Episode rows wholly inside the list's scrolling body: what the user sees of the list. */
export function episodeRowsInView(page: Page): Promise<number> {
  return page.evaluate<number>(`(() => {
    const body = document.querySelector('.episode-body').getBoundingClientRect();
    return [...document.querySelectorAll('[data-testid^="episode-row-"]')].filter((row) => {
      const r = row.getBoundingClientRect();
      return r.top >= body.top - 0.5 && r.bottom <= body.bottom + 0.5;
    }).length;
  })()`);
}

export interface StudioOptions {
  /** The store; a fresh temporary directory (removed after the test) when left out. */
  dataDir?: string;
  /** A rig config file (`--rig`); the studio's default simulated rig when left out. */
  rig?: string;
  /** The page's window size; openBrowser's default when left out. */
  size?: WindowSize;
}

export interface StudioPage {
  web: RunningWebMode;
  browser: BrowserSession;
  page: Page;
}

export interface StudioUi {
  /** A fresh directory, removed after the test. */
  tempDir(): string;
  /** `studio web` and a browser page, the page not yet navigated anywhere. */
  start(options?: StudioOptions): Promise<StudioPage>;
  /** `studio web` and a page on its URL (plus `path`, e.g. `#/export`), connected to the core. */
  open(options?: StudioOptions & { path?: string }): Promise<StudioPage>;
  /** A browser page alone, for a studio the test file runs itself. */
  openPage(size?: WindowSize): Promise<BrowserSession>;
  /** StudioApi from the test process, as a script would use it. */
  connectApi(url: string): Promise<StudioClient>;
}

/**
 * Registers, in the enclosing describe, the teardown after each test of everything the returned
 * functions started: API clients closed, browsers closed, studios killed (SIGKILL: the tests are not
 * about shutdown), then the temporary directories removed. With `onFailure`, a failed test first saves a
 * screenshot of its page under that name and prints the page's errors, the studio's stderr and `details`.
 */
export function useStudioUi(options: { onFailure?: { screenshot: string; details?: () => unknown[] } } = {}): StudioUi {
  // Registered before the teardown below: vitest runs after-hooks last-registered first, so the studios
  // stop before their data directories are removed.
  const tempDir = useTempDirs();
  let apis: StudioClient[] = [];
  let browsers: BrowserSession[] = [];
  let webs: RunningWebMode[] = [];

  afterEach(async (context) => {
    const browser = browsers.at(-1);
    if (context.task.result?.state === 'fail' && options.onFailure !== undefined && browser !== undefined) {
      await browser.page.screenshot({ path: artifact(options.onFailure.screenshot) }).catch(() => undefined);
      console.error(
        'page errors:',
        browser.errors,
        '\nstudio web stderr (tail):',
        webs.at(-1)?.stderr().slice(-3000),
        ...(options.onFailure.details?.() ?? []),
      );
    }
    for (const api of apis) api.close();
    for (const session of browsers) await session.close();
    for (const web of webs) await web.stop('SIGKILL');
    apis = [];
    browsers = [];
    webs = [];
  });

  const openPage = async (size?: WindowSize): Promise<BrowserSession> => {
    const browser = await openBrowser(size);
    browsers.push(browser);
    return browser;
  };
  const start = async ({ dataDir, rig, size }: StudioOptions = {}): Promise<StudioPage> => {
    const web = await startWebMode(['--data-dir', dataDir ?? tempDir(), ...(rig === undefined ? [] : ['--rig', rig])]);
    webs.push(web);
    const browser = await openPage(size);
    return { web, browser, page: browser.page };
  };
  return {
    tempDir,
    start,
    async open({ path = '', ...studio } = {}) {
      const opened = await start(studio);
      await opened.page.goto(`${opened.web.url}${path}`);
      await connected(opened.page);
      return opened;
    },
    openPage,
    async connectApi(url) {
      const api = await connectApiClient(url);
      apis.push(api);
      return api;
    },
  };
}
