import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openBrowser, type BrowserSession } from '../support/browser';
import { useTempDirs } from '../support/tempDir';
import { startWebMode, type RunningWebMode } from '../support/webMode';

const STUDIO = resolve('bin/studio.js');
const ARTIFACTS = resolve('test/artifacts');

describe('Export page', () => {
  const tempDir = useTempDirs();
  let web: RunningWebMode | undefined;
  let browser: BrowserSession | undefined;
  afterEach(async () => {
    await browser?.close();
    await web?.stop('SIGKILL');
    browser = web = undefined;
  });

  test('plans and runs an export with progress, and the dataset validates', async () => {
    const dataDir = tempDir();
    const recorded = spawnSync(
      process.execPath,
      [STUDIO, 'record', '--sim', '--expert', '--episodes', '2', '--seed', '4', '--image-size', '48x36', '--data-dir', dataDir],
      { encoding: 'utf8' },
    );
    expect(recorded.status, recorded.stderr).toBe(0);
    web = await startWebMode(['--data-dir', dataDir]);
    browser = await openBrowser();
    const { page } = browser;
    await page.goto(web.url);
    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Export' }).click();

    const out = join(tempDir(), 'dataset');
    await page.getByTestId('export-out').fill(out);
    await page.getByTestId('export-plan').click();
    const plan = page.locator('[data-testid^="export-job-"][data-state="done"]').filter({ hasText: 'Plan' });
    await plan.waitFor();
    expect(await plan.textContent()).toMatch(/2 episodes/);

    await page.getByTestId('export-run').click();
    const done = page.locator('[data-testid^="export-job-"][data-state="done"]').filter({ hasText: 'MB in' });
    await done.waitFor({ timeout: 60_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'ui-export.png'), fullPage: true });

    const validated = spawnSync(process.execPath, [STUDIO, 'export', 'validate', out, '--json'], { encoding: 'utf8' });
    expect(validated.status, validated.stdout + validated.stderr).toBe(0);
    expect(browser.errors.filter((e) => !/WebSocket connection to .* failed/.test(e))).toEqual([]);
  }, 120_000);
});
