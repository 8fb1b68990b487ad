import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { afterEach, describe, expect, test } from 'vitest';
import { methodNames } from '../../shared/api/contract';
import { electronBinaryPath } from '../support/electronBinary';

/**
 * The Electron shell, where an Electron binary exists (this project joins the vitest run only then;
 * see vitest.config.mts). On Linux CI without a display, run under `xvfb-run`.
 */
describe('Electron shell', () => {
  let app: ElectronApplication | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    await app?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    app = dataDir = undefined;
  });

  test('opens a window without Node whose preload exposes every StudioApi method, and connects', async () => {
    const executablePath = electronBinaryPath();
    if (executablePath === undefined)
      throw new Error('no Electron binary: set ELECTRON_OVERRIDE_DIST_PATH or install electron with its binary');
    dataDir = mkdtempSync(join(tmpdir(), 'studio-electron-'));
    app = await electron.launch({ executablePath, args: [resolve('out/main/index.js'), '--data-dir', dataDir] });
    const page = await app.firstWindow();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    await page.getByTestId('connection-status').filter({ hasText: 'connected' }).waitFor();
    const exposed = await page.evaluate(() => {
      const page = globalThis as unknown as { studio?: { invoke: Record<string, unknown> }; require?: unknown; process?: unknown };
      return { methods: Object.keys(page.studio?.invoke ?? {}).sort(), node: typeof page.require, process: typeof page.process };
    });
    expect(exposed.methods).toEqual([...methodNames].sort());
    expect(exposed.node).toBe('undefined');
    expect(exposed.process).toBe('undefined');

    const url = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.webContents.getURL());
    expect(url).toBe('app://studio/index.html');

    // Navigation away from the app and new windows are blocked. The URL right after an asynchronous
    // navigation proves nothing, so wait for the navigation's own event and read whether the shell
    // prevented it (the shell's listener runs before this one, registered later).
    type Navigation = { url: string; prevented: boolean };
    await app.evaluate(({ BrowserWindow }) => {
      const contents = BrowserWindow.getAllWindows()[0]?.webContents;
      (globalThis as { blockedNavigation?: Promise<Navigation> }).blockedNavigation = new Promise<Navigation>((resolve) =>
        contents?.once('will-navigate', (event, url) => resolve({ url, prevented: event.defaultPrevented })),
      );
    });
    await page.evaluate(() => {
      const page = globalThis as unknown as { open(url: string): void; location: { href: string } };
      page.open('https://example.com/');
      page.location.href = 'https://example.com/';
    });
    const navigation = await app.evaluate(() => (globalThis as { blockedNavigation?: Promise<Navigation> }).blockedNavigation);
    expect(navigation).toEqual({ url: 'https://example.com/', prevented: true });
    // window.open reached the main process before the navigation did; it was denied.
    expect(app.windows()).toHaveLength(1);
    expect(page.url()).toBe('app://studio/index.html');
    expect(errors).toEqual([]);
  });
});
