import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { artifact, recordingPhase as phase, robotStateFlowing, useStudioUi } from '../support/studioUi';

/** The end-effector position the Teleop view shows (from `robot.state`). */
async function eePosition(page: Page): Promise<[number, number, number]> {
  const cell = page.getByTestId('ee-position');
  const values = await Promise.all(['data-x', 'data-y', 'data-z'].map((a) => cell.getAttribute(a)));
  return values.map((v) => Number(v)) as [number, number, number];
}

/** Holds a teleop key until the end effector has moved `distance_m` along `axis` (sign included). */
async function driveUntil(page: Page, key: string, axis: 0 | 1 | 2, distance_m: number): Promise<void> {
  const start = (await eePosition(page))[axis];
  await page.keyboard.down(key);
  // Polls the UI's own readout (a state to wait for, not a sleep).
  const moved = expect.poll(async () => (await eePosition(page))[axis] * Math.sign(distance_m), { timeout: 20_000, interval: 50 });
  await moved.toBeGreaterThanOrEqual((start + distance_m) * Math.sign(distance_m));
  await page.keyboard.up(key);
}

describe('Studio UI in headless Chromium: teleop, record, label, find, replay', () => {
  const ui = useStudioUi();

  test(
    'drives the sim arm with the keyboard, records two takes (saves one, discards one), labels, filters, replays and scrubs',
    { timeout: 180_000 },
    async () => {
      const { web, browser, page } = await ui.open();
      await phase(page, 'idle');
      await robotStateFlowing(page);

      // ---- teleoperate: forward (+x) then left (+y), keyboard only ----
      await page.getByTestId('live-scene').click();
      await driveUntil(page, 'KeyW', 0, 0.03);
      await driveUntil(page, 'KeyA', 1, 0.03);

      // ---- take 1: record while driving, stop, save as success (G) ----
      await page.keyboard.press('Enter');
      await phase(page, 'recording');
      await driveUntil(page, 'KeyF', 2, -0.03);
      await page.keyboard.press('Enter');
      await phase(page, 'stopped');
      await page.keyboard.press('KeyG');
      await page.getByTestId('episode-counter').filter({ hasText: '1 saved' }).waitFor();
      await page.screenshot({ path: artifact('ui-teleop.png') });

      // ---- take 2: record, discard (Backspace) ----
      await page.keyboard.press('Enter');
      await phase(page, 'recording');
      await driveUntil(page, 'KeyR', 2, 0.02);
      await page.keyboard.press('Backspace');
      await page
        .getByTestId('recording-phase')
        .filter({ hasText: /idle|resetting/ })
        .waitFor();
      await expect(page.getByTestId('episode-counter').textContent()).resolves.toBe('1 saved');

      // ---- Episodes: the saved take only (discarded ones are hidden by default) ----
      await page.keyboard.press('Digit2');
      await page.getByTestId('episode-count').filter({ hasText: '1 episode' }).waitFor();
      const row = page.locator('[data-testid^="episode-row-"]');
      expect(await row.count()).toBe(1);
      const episodeId = Number((await row.getAttribute('data-testid'))!.replace('episode-row-', ''));
      await row.click();
      await page.getByTestId('episode-player').waitFor();

      // ---- label: outcome, a tag, a segment (created, then renamed) ----
      const outcome = page.getByRole('group', { name: 'Outcome' });
      await outcome.getByRole('button', { name: 'Failure' }).click();
      await page.getByRole('textbox', { name: 'Add a tag' }).fill('e2e-grasp');
      await page.getByRole('textbox', { name: 'Add a tag' }).press('Enter');
      await page.getByRole('button', { name: 'Add segment' }).click();
      await page.getByTestId('segment').waitFor();
      const segmentName = page.getByRole('list', { name: 'Segments' }).getByRole('textbox');
      await segmentName.fill('reach');
      await segmentName.press('Enter');
      // Undo the outcome-independent rename, then redo it: the history works from the keyboard.
      await page.getByTestId('episode-player').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Control+KeyZ');
      await page.getByTestId('segment').filter({ hasText: 'segment 1' }).waitFor();
      await page.keyboard.press('Control+Shift+KeyZ');
      await page.getByTestId('segment').filter({ hasText: 'reach' }).waitFor();
      // And the outcome by its key: success (G).
      await page.keyboard.press('KeyG');
      await outcome.getByRole('button', { name: 'Success', pressed: true }).waitFor();
      await page.getByTestId('label-save-state').filter({ hasText: 'saved' }).waitFor();

      // ---- find it with filters ----
      await page.getByRole('textbox', { name: 'Filter by tag' }).fill('no-such-tag');
      await page.getByTestId('episodes-empty').waitFor();
      await page.getByRole('textbox', { name: 'Filter by tag' }).fill('e2e-grasp');
      await page.getByRole('combobox', { name: 'Filter by outcome' }).selectOption('success');
      await page.getByTestId(`episode-row-${episodeId}`).waitFor();
      await page.getByTestId('episode-count').filter({ hasText: '1 episode' }).waitFor();

      // ---- replay: play, pause, scrub, step ----
      await page.getByTestId(`episode-row-${episodeId}`).click();
      const time = page.getByTestId('playhead-time');
      const slider = page.getByRole('slider', { name: 'Playhead' });
      // The take's length depends on how fast the arm got there (under half a second on a loaded
      // machine): play at 0.25× and pause at a quarter, so playback cannot reach the end between the
      // poll and the click (a click on Play at the end starts again from 0).
      const duration_s = Number(await slider.getAttribute('max'));
      await page.getByRole('combobox', { name: 'Playback speed' }).selectOption('0.25');
      await page.getByRole('button', { name: 'Play' }).click();
      await expect
        .poll(async () => Number.parseFloat((await time.textContent()) ?? '0'), { timeout: 10_000, interval: 20 })
        .toBeGreaterThan(duration_s / 4);
      await page.getByRole('button', { name: 'Pause' }).click();
      await page.getByRole('button', { name: 'Play' }).waitFor();
      expect(Number.parseFloat((await time.textContent()) ?? '0')).toBeLessThan(duration_s);
      // Scrub to a third of the take, then step.
      const at_s = Math.round((duration_s / 3) * 100) / 100;
      await slider.fill(String(at_s));
      await time.filter({ hasText: new RegExp(`^${at_s.toFixed(2).replace('.', '\\.')} /`) }).waitFor();
      await page.getByRole('button', { name: 'Next frame' }).click();
      // One step forward to the next camera frame (about 67 ms at 15 fps; further apart when a loaded
      // machine recorded fewer frames), not playback.
      await expect
        .poll(async () => Number.parseFloat((await time.textContent()) ?? '0'), { timeout: 10_000, interval: 50 })
        .toBeGreaterThan(at_s);
      expect(Number.parseFloat((await time.textContent()) ?? '0')).toBeLessThan(at_s + 1.0);
      await page.getByTestId('replay-camera-front').locator('canvas').waitFor();
      await page.getByRole('button', { name: 'depth' }).first().click();
      await page.screenshot({ path: artifact('ui-episodes.png') });

      // ---- the labels are stored: ask StudioApi directly ----
      const api = await ui.connectApi(web.url);
      const detail = await api.api.episodes.get({ id: episodeId });
      expect(detail.episode.outcome).toBe('success');
      expect(detail.episode.tags).toEqual(['e2e-grasp']);
      expect(detail.segments.map((s) => s.label)).toEqual(['reach']);
      expect(BigInt(detail.segments[0]!.end_ns)).toBeGreaterThan(BigInt(detail.segments[0]!.start_ns));
      const all = await api.api.episodes.list({ status: ['saved', 'discarded'] });
      expect(all.episodes.map((e) => e.status).sort()).toEqual(['discarded', 'saved']);

      // ---- Settings, and the help overlay ----
      await page.keyboard.press('Digit3');
      await page.getByRole('heading', { name: 'Simulated Franka (MuJoCo)' }).waitFor();
      await page.getByTestId('rig-validation').filter({ hasText: 'Valid rig config' }).waitFor();
      await page.getByRole('textbox', { name: 'Rig config JSON' }).fill('{ "schema_version": 1, "name": "" }');
      await page.getByTestId('rig-validation').locator('li').first().waitFor();
      await page.screenshot({ path: artifact('ui-settings.png') });
      await page.keyboard.press('F1');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      await page.screenshot({ path: artifact('ui-help.png') });
      await page.keyboard.press('Escape');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor({ state: 'detached' });

      expect(browser.errors).toEqual([]);
    },
  );
});
