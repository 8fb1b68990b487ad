import type { Page } from 'playwright-core';

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
