import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for Debian's Chromium on a closed network, headless, no GPU. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium, headless, as the browser tests and the UI benches drive it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** A page's window size in CSS pixels. */
export interface WindowSize {
  width: number;
  height: number;
}

export interface BrowserSession {
  browser: Browser;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh browser (Playwright gives it a new temporary profile) with error collection, its page at `size`. */
export async function openBrowser(size: WindowSize = { width: 1440, height: 900 }): Promise<BrowserSession> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: size });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return {
    browser,
    page,
    errors,
    async close() {
      await browser.close();
    },
  };
}
