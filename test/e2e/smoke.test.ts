import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import simRig from '../../rigs/sim.json';
import { openBrowser, type BrowserSession } from '../support/browser';
import { useTempDirs } from '../support/tempDir';
import { startWebMode, type RunningWebMode } from '../support/webMode';

const ARTIFACTS = resolve('test/artifacts');

describe('web mode in headless Chromium', () => {
  const tempDir = useTempDirs();
  let web: RunningWebMode | undefined;
  let browser: BrowserSession | undefined;

  afterEach(async () => {
    await browser?.close();
    await web?.stop('SIGKILL');
    browser = web = undefined;
  });

  test('loads the shell, connects to the core, shows the simulated rig, and notices the core stopping', async () => {
    const dataDir = tempDir();
    web = await startWebMode(['--data-dir', dataDir]);
    browser = await openBrowser();
    const { page } = browser;

    await page.goto(web.url);
    // The token is traded for a cookie and dropped from the address bar.
    expect(page.url()).not.toContain('token=');
    await page.getByTestId('connection-status').filter({ hasText: 'connected' }).waitFor();
    // The rig summary lives in Settings (the studio opens on Teleop / Record).
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Simulated Franka (MuJoCo)' }).waitFor();
    // The store shown is the one in this data dir (waited for: a Locator object itself is always truthy).
    await page.getByText(join(dataDir, 'studio.db'), { exact: true }).waitFor();
    const front = simRig.cameras[0]!;
    expect(
      await page
        .getByRole('row', { name: `${front.name} ${front.type} ${front.width_px}×${front.height_px} ${front.fps_hz} fps yes` })
        .count(),
    ).toBe(1);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'smoke-shell.png'), fullPage: true });

    // Stopping the core is graceful (exit 0, WAL checkpointed and removed) and the UI says so.
    expect(await web.stop('SIGTERM')).toBe(0);
    expect(existsSync(join(dataDir, 'studio.db'))).toBe(true);
    expect(existsSync(join(dataDir, 'studio.db-wal'))).toBe(false);
    await page
      .getByRole('alert')
      .filter({ hasText: /shutting down|not reachable/ })
      .waitFor();

    // Losing the core is expected here; anything else in the console is a defect.
    const unexpected = browser.errors.filter((error) => !/WebSocket connection to .* failed/.test(error));
    expect(unexpected).toEqual([]);
  });
});
