import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { artifact, gotoView, useStudioUi } from '../support/studioUi';

const STUDIO = resolve('bin/studio.js');

describe('Export page', () => {
  const ui = useStudioUi();

  test('plans and runs an export with progress, and the dataset validates', async () => {
    const dataDir = ui.tempDir();
    const recorded = spawnSync(
      process.execPath,
      [STUDIO, 'record', '--sim', '--expert', '--episodes', '2', '--seed', '4', '--image-size', '48x36', '--data-dir', dataDir],
      { encoding: 'utf8' },
    );
    expect(recorded.status, recorded.stderr).toBe(0);
    const { browser, page } = await ui.open({ dataDir });
    await gotoView(page, 'Export');

    const out = join(ui.tempDir(), 'dataset');
    await page.getByTestId('export-out').fill(out);
    await page.getByTestId('export-plan').click();
    const plan = page.locator('[data-testid^="export-job-"][data-state="done"]').filter({ hasText: 'Plan' });
    await plan.waitFor();
    expect(await plan.textContent()).toMatch(/2 episodes/);

    await page.getByTestId('export-run').click();
    const done = page.locator('[data-testid^="export-job-"][data-state="done"]').filter({ hasText: 'MB in' });
    await done.waitFor({ timeout: 60_000 });
    await page.screenshot({ path: artifact('ui-export.png'), fullPage: true });

    const validated = spawnSync(process.execPath, [STUDIO, 'export', 'validate', out, '--json'], { encoding: 'utf8' });
    expect(validated.status, validated.stdout + validated.stderr).toBe(0);
    expect(browser.errors.filter((e) => !/WebSocket connection to .* failed/.test(e))).toEqual([]);
  }, 120_000);
});
