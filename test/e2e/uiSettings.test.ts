import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { artifact, gotoView, sizeTag, SIZES, useStudioUi } from '../support/studioUi';

/** Whether a program is on this machine's PATH (as the studio, spawned with the same environment, will find it). */
const onPath = (program: string) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, program)));

describe('Settings: discovery and applying a rig config', () => {
  const ui = useStudioUi();

  test('scans for devices, refuses an invalid config, applies a valid one and restarts the rig with it', async () => {
    const dataDir = ui.tempDir();
    const { browser, page } = await ui.open({ dataDir });
    await gotoView(page, 'Settings');

    await page.getByTestId('devices-scan').click();
    // This machine has no SpaceMouse, serial adapter or camera; a lab machine lists them in a table.
    await page.locator('[data-testid="devices-none"], [data-testid="devices-found"]').first().waitFor();
    // Issue 15 item 10: a machine without udevadm (serialport lists ports through it) is told what is
    // missing and how to install it, never a raw "spawn udevadm ENOENT".
    const problems = page.getByTestId('devices-problems');
    if (!onPath('udevadm')) {
      await problems.filter({ hasText: '`udevadm` is not installed' }).waitFor();
      expect(await problems.textContent()).toMatch(/install it with `sudo apt install udev`/);
      for (const size of SIZES) {
        await page.setViewportSize(size);
        await problems.scrollIntoViewIfNeeded();
        await page.screenshot({ path: artifact(`ui-settings-no-udevadm-${sizeTag(size)}.png`) });
      }
    }
    expect(await page.locator('body').textContent()).not.toMatch(/ENOENT/);

    const editor = page.getByLabel('Rig config JSON');
    const config = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
    await editor.fill(JSON.stringify({ ...config, safety: 'none' }, null, 2));
    await page.getByTestId('rig-validation').filter({ hasText: 'safety' }).waitFor();
    expect(await page.getByTestId('rig-apply').isDisabled()).toBe(true);

    await editor.fill(JSON.stringify({ ...config, name: 'Bench rig 2' }, null, 2));
    await page.getByTestId('rig-validation').filter({ hasText: 'Valid rig config' }).waitFor();
    await page.getByTestId('rig-apply').click();
    // The page reloads with the applied rig, and the rig runs again.
    await page.locator('.rig-name').filter({ hasText: 'Bench rig 2' }).waitFor({ timeout: 30_000 });
    expect(existsSync(join(dataDir, 'rig.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dataDir, 'rig.json'), 'utf8'))).toMatchObject({ name: 'Bench rig 2' });
    expect(browser.errors.filter((e) => !/WebSocket connection to .* failed/.test(e))).toEqual([]);
  }, 90_000);
});
