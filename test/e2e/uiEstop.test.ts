import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { makeJpegFrames, recordEpisodes } from '../support/recordedEpisodes';
import { SIZES, artifact, gotoView, recordingPhase, robotStateFlowing, sizeTag, useStudioUi } from '../support/studioUi';

const VIEWS = [
  { nav: 'Teleop / Record', ready: (page: Page) => page.getByTestId('recording-phase').waitFor() },
  { nav: 'Episodes', ready: (page: Page) => page.getByTestId('episode-player').waitFor() },
  { nav: 'Settings', ready: (page: Page) => page.getByTestId('rig-validation').waitFor() },
  { nav: 'Export', ready: (page: Page) => page.getByTestId('export-run').waitFor() },
] as const;

/*
 * Page scripts as strings: this file compiles against Node's types, not the DOM's, and a DOM lib
 * reference here would leak into the whole test program.
 */

/** Scrolls every scrollable element (and the page) to its end, as a user reaching the last panel would. */
const SCROLL_TO_THE_BOTTOM = `(() => {
  let scrolled = 0;
  for (const element of [document.scrollingElement, ...document.querySelectorAll('*')]) {
    if (!(element instanceof HTMLElement) || element.scrollHeight <= element.clientHeight + 1) continue;
    const overflow = getComputedStyle(element).overflowY;
    if (element !== document.scrollingElement && overflow !== 'auto' && overflow !== 'scroll') continue;
    element.scrollTop = element.scrollHeight;
    scrolled++;
  }
  return scrolled;
})()`;

/** Whether the element a click at (x, y) would hit is STOP or inside it. */
const stopIsTopmostAt = (x: number, y: number) => `(() => {
  const hit = document.elementFromPoint(${x}, ${y});
  return hit !== null && hit.closest('[data-testid="estop"]') !== null;
})()`;

/** STOP lies fully inside the viewport and nothing covers its centre (what a click there would hit). */
async function expectStopOnScreen(page: Page, where: string): Promise<void> {
  const stop = page.getByTestId('estop');
  const box = await stop.boundingBox();
  const viewport = page.viewportSize()!;
  expect(box, where).not.toBeNull();
  expect(box!.x, where).toBeGreaterThanOrEqual(0);
  expect(box!.y, where).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, where).toBeLessThanOrEqual(viewport.width);
  expect(box!.y + box!.height, where).toBeLessThanOrEqual(viewport.height);
  const topmost = await page.evaluate<boolean>(stopIsTopmostAt(box!.x + box!.width / 2, box!.y + box!.height / 2));
  expect(topmost, `${where}: STOP is the topmost element at its centre`).toBe(true);
}

/** The latched bar is shown, on screen, and says what happened. */
async function expectLatchedOnScreen(page: Page, where: string): Promise<void> {
  const bar = page.getByTestId('estop-latched');
  await bar.filter({ hasText: 'E-STOPPED' }).waitFor();
  const box = (await bar.boundingBox())!;
  expect(box.y, where).toBeGreaterThanOrEqual(0);
  expect(box.y + box.height, where).toBeLessThanOrEqual(page.viewportSize()!.height);
  await expect(page.getByTestId('estop').getAttribute('class')).resolves.toMatch(/estop-button-latched/);
}

describe('the e-stop in headless Chromium: always on screen, and no recording while it is latched', () => {
  const ui = useStudioUi();

  test(
    'STOP is on screen, on top and latches in every view at 1280×720 and 1920×1080, with every column scrolled to its end',
    { timeout: 180_000 },
    async () => {
      // Enough episodes that the list and the player's column scroll.
      const dataDir = ui.tempDir();
      await recordEpisodes(dataDir, {
        episodes: Array.from({ length: 16 }, (_, i) => ({ task: `pick ${i}`, duration_s: 1, outcome: 'success' as const })),
        cameras: ['front'],
        camera_hz: 5,
        jpegFrames: makeJpegFrames(6),
      });
      const { browser, page } = await ui.open({ dataDir });
      // Open an episode once: the player and its label panel make the Episodes columns long.
      await gotoView(page, 'Episodes');
      await page.locator('[data-testid^="episode-row-"]').first().click();

      for (const size of SIZES) {
        await page.setViewportSize(size);
        const tag = sizeTag(size);
        for (const view of VIEWS) {
          const where = `${view.nav} at ${tag}`;
          await gotoView(page, view.nav);
          await view.ready(page);
          await expectStopOnScreen(page, where);
          await page.evaluate<number>(SCROLL_TO_THE_BOTTOM);
          await expectStopOnScreen(page, `${where}, scrolled to the end`);

          await page.getByTestId('estop').click();
          await expectLatchedOnScreen(page, where);
          await expectStopOnScreen(page, `${where}, latched`);
          if (view.nav === 'Teleop / Record' || view.nav === 'Episodes')
            await page.screenshot({ path: artifact(`ui-estop-${view.nav === 'Episodes' ? 'episodes' : 'teleop'}-${tag}.png`) });
          await page.getByTestId('estop-release').click();
          await page.getByTestId('estop-latched').waitFor({ state: 'detached' });
        }
        // With a dialog open (the help), STOP still sits above it and takes the click.
        await page.keyboard.press('F1');
        await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
        await expectStopOnScreen(page, `help open at ${tag}`);
        await page.getByTestId('estop').click();
        await expectLatchedOnScreen(page, `help open at ${tag}`);
        await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
        await page.keyboard.press('Escape');
        await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor({ state: 'detached' });
        await page.getByTestId('estop-release').click();
        await page.getByTestId('estop-latched').waitFor({ state: 'detached' });
      }
      // Pause stops from a view other than Teleop (Esc is left to dialogs and fields there).
      await page.keyboard.press('Pause');
      await expectLatchedOnScreen(page, 'Pause in Export');
      expect(browser.errors).toEqual([]);
    },
  );

  test(
    'latched: Start is disabled with the reason, Enter starts nothing, the API refuses; released: a take records, and an e-stop mid-take keeps it',
    { timeout: 120_000 },
    async () => {
      const { web, browser, page } = await ui.open({ size: SIZES[0] });
      await recordingPhase(page, 'idle');
      const api = await ui.connectApi(web.url);
      const start = page.getByTestId('record-start');
      await expect(start.isEnabled()).resolves.toBe(true);

      // ---- latch with the key, as soon as the page is up (the rig may still be starting: the stop must
      // hold all the same); Start is disabled and says why ----
      await page.getByTestId('live-scene').click();
      await page.keyboard.press('Escape');
      await page.getByTestId('estop-latched').filter({ hasText: 'E-STOPPED' }).waitFor();
      // The rig is running once robot state flows; the latch must have survived its start.
      await robotStateFlowing(page);
      await expect(api.api.rig.status()).resolves.toMatchObject({ state: 'running', control: { estopped: true } });
      await expect(page.getByTestId('estop-latched').textContent()).resolves.toMatch(/E-STOPPED/);
      await page.locator('[data-testid="record-start"]:disabled').waitFor();
      const reason = page.getByTestId('record-blocked');
      await expect(reason.textContent()).resolves.toMatch(/E-stop is latched — release it \(button \/ Shift \+ Esc\) before recording/);

      // ---- the hotkey does nothing but say why (the UI sends nothing: there is no request to wait for) ----
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="record-blocked"][data-refusals="1"]').filter({ hasText: 'Not started.' }).waitFor();
      // At 1280 px the panel is stacked under the scene: bring it up for the picture (STOP stays put).
      await reason.scrollIntoViewIfNeeded();
      await expectStopOnScreen(page, 'record refused at 1280x720, panel scrolled into view');
      await page.screenshot({ path: artifact('ui-record-estopped-1280x720.png') });
      await page.setViewportSize(SIZES[1]);
      await expectStopOnScreen(page, 'record refused at 1920x1080');
      await page.screenshot({ path: artifact('ui-record-estopped-1920x1080.png') });
      await page.setViewportSize(SIZES[0]);
      // ---- and the core refuses the API the same way ----
      await expect(api.api.recording.start({ task: 'from a script' })).rejects.toMatchObject({
        code: 'failed_precondition',
        message: 'E-stop is latched — release it (button / hotkey) before recording',
      });
      await expect(api.api.recording.status()).resolves.toMatchObject({ phase: 'idle', episode_id: null });
      await expect(api.api.episodes.list({ status: ['recording', 'saved', 'discarded', 'interrupted'] })).resolves.toEqual({
        episodes: [],
      });
      await expect(page.getByTestId('recording-phase').textContent()).resolves.toBe('idle');

      // ---- release (Shift+Esc) and record ----
      await page.keyboard.press('Shift+Escape');
      await page.getByTestId('estop-latched').waitFor({ state: 'detached' });
      await page.locator('[data-testid="record-start"]:enabled').waitFor();
      await expect(reason.count()).resolves.toBe(0);
      await page.keyboard.press('Enter');
      await page.getByTestId('recording-phase').filter({ hasText: 'recording' }).waitFor();

      // ---- an e-stop mid-take: the take stops and is kept, and the panel says so ----
      await page.keyboard.press('Escape');
      await page.getByTestId('recording-phase').filter({ hasText: 'stopped' }).waitFor();
      await page.getByTestId('record-stopped-by-estop').filter({ hasText: 'everything recorded is kept' }).waitFor();
      await page.getByTestId('record-stopped-by-estop').scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifact('ui-record-stopped-by-estop-1280x720.png') });
      const status = await api.api.recording.status();
      expect(status).toMatchObject({ phase: 'stopped', stop_reason: 'estop' });
      await page.keyboard.press('KeyG');
      await page.getByTestId('episode-counter').filter({ hasText: '1 saved' }).waitFor();
      const detail = await api.api.episodes.get({ id: status.episode_id! });
      expect(detail.episode).toMatchObject({ status: 'saved', outcome: 'success' });
      expect(detail.streams.find((s) => s.name === 'arm.q_rad')?.sample_count).toBeGreaterThan(0);
      await page.keyboard.press('Shift+Escape');
      await page.getByTestId('estop-latched').waitFor({ state: 'detached' });
      expect(browser.errors).toEqual([]);
    },
  );
});
