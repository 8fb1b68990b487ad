import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { StudioClient } from '../../shared/api/client';
import { robotStateFlowing, type StudioPage, type StudioUi } from './studioUi';

/** The simulated rig with the reference world-model pack. */
export const GWM_RIG = resolve('rigs/sim-gwm.json');

/**
 * The studio in web mode on the simulated rig, the page connected with robot state flowing, an API
 * client, and the reference pack open on the CPU (auto would try CUDA and WebGPU first and say why each
 * was skipped).
 */
export async function studioWithPack(ui: StudioUi): Promise<StudioPage & { api: StudioClient }> {
  const studio = await ui.open({ rig: GWM_RIG, size: { width: 1600, height: 1000 } });
  const { page } = studio;
  await robotStateFlowing(page, 60_000);
  const api = await ui.connectApi(studio.web.url);
  await page.getByRole('combobox', { name: 'Execution provider' }).selectOption('cpu');
  await page.getByTestId('pack-load').click();
  await page.getByTestId('pack-info').filter({ hasText: 'gwm-lite-sim-franka' }).waitFor({ timeout: 300_000 });
  return { ...studio, api };
}

/** Presses P until a preview arrives (the first may come before every camera has sent a frame, or outlast an RPC on a busy machine). */
export async function imagine(page: Page): Promise<void> {
  const phase = page.getByTestId('imagination-phase');
  const error = page.getByTestId('imagination-error');
  for (let attempt = 0; attempt < 10; attempt++) {
    await page.keyboard.press('KeyP');
    await phase.filter({ hasText: 'imagining' }).waitFor({ timeout: 30_000 });
    await page
      .locator('[data-testid="imagination-phase"]:text("awaiting decision"), [data-testid="imagination-error"]')
      .first()
      .waitFor({ timeout: 300_000 });
    if ((await phase.textContent()) === 'awaiting decision') return;
    const message = (await error.textContent()) ?? '';
    if (!/has none by that name|no arm state|no frame|no answer from the studio core/i.test(message))
      throw new Error(`preview failed: ${message}`);
    await page.waitForTimeout(500);
  }
  throw new Error('no preview after 10 attempts');
}
