import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, test } from 'vitest';
import type { StudioClient } from '../../shared/api/client';
import { connectApiClient } from '../support/apiClient';
import { openBrowser, type BrowserSession } from '../support/browser';
import { makeJpegFrames, recordEpisodes } from '../support/recordedEpisodes';
import { useTempDirs } from '../support/tempDir';
import { startWebMode, type RunningWebMode } from '../support/webMode';

/*
 * What a new user hit on first use (issue 15), one test per finding, each at 1280×720 and 1920×1080
 * with screenshots under test/artifacts. Page scripts are strings: this file compiles against Node's
 * types, not the DOM's.
 */

const ARTIFACTS = resolve('test/artifacts');
const SIZES = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
] as const;
const tag = (size: { width: number; height: number }) => `${size.width}x${size.height}`;

async function connected(page: Page): Promise<void> {
  await page.getByTestId('connection-status').filter({ hasText: 'connected' }).waitFor();
}

async function robotStateFlowing(page: Page): Promise<void> {
  await page.getByTestId('ee-position').filter({ hasText: /\d\.\d{3}/ }).waitFor();
}

async function phase(page: Page, expected: string | RegExp): Promise<void> {
  await page.getByTestId('recording-phase').filter({ hasText: expected }).waitFor();
}

async function gotoView(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name }).click();
}

/** The box of an element by selector, measured in the page. */
const boxOf = (selector: string) => `(() => {
  const r = document.querySelector(${JSON.stringify(selector)})?.getBoundingClientRect();
  return r === undefined ? null : { top: r.top, bottom: r.bottom, height: r.height };
})()`;
interface Box {
  top: number;
  bottom: number;
  height: number;
}

/** Episode rows wholly inside the scrolling body: what the user sees of the list. */
const ROWS_IN_VIEW = `(() => {
  const body = document.querySelector('.episode-body').getBoundingClientRect();
  return [...document.querySelectorAll('[data-testid^="episode-row-"]')].filter((row) => {
    const r = row.getBoundingClientRect();
    return r.top >= body.top - 0.5 && r.bottom <= body.bottom + 0.5;
  }).length;
})()`;

describe('first use of the studio (issue 15) in headless Chromium', () => {
  const tempDir = useTempDirs();
  let web: RunningWebMode | undefined;
  let browser: BrowserSession | undefined;
  let api: StudioClient | undefined;

  afterEach(async () => {
    api?.close();
    await browser?.close();
    await web?.stop('SIGKILL');
    api = browser = web = undefined;
  });

  test('the gripper width is never negative and live, replay and the store agree on it (item 3)', { timeout: 180_000 }, async () => {
    web = await startWebMode(['--data-dir', tempDir()]);
    browser = await openBrowser();
    const { page } = browser;
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.setViewportSize(SIZES[1]);
    await page.goto(web.url);
    await connected(page);
    await phase(page, 'idle');
    await robotStateFlowing(page);
    const live = page.getByTestId('gripper-width');
    const liveWidth = async () => Number(await live.getAttribute('data-width-m'));
    // The hand starts open (Franka Hand: 80 mm).
    await expect.poll(liveWidth, { timeout: 20_000 }).toBeGreaterThan(0.07);

    // ---- record a take that closes the hand on nothing (Space toggles the gripper) ----
    await page.getByTestId('live-scene').click();
    await page.keyboard.press('Enter');
    await phase(page, 'recording');
    await page.keyboard.press('Space');
    // Every reading on the way down is a width, never below zero (the bug: −13.4 mm live).
    const seen: number[] = [];
    await expect
      .poll(
        async () => {
          const width = await liveWidth();
          seen.push(width);
          return width;
        },
        { timeout: 30_000, interval: 50 },
      )
      .toBeLessThan(0.0005);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(0);
    await expect(live.textContent()).resolves.toMatch(/^0\.\d mm$/);
    // The plot, in mm, spans open to closed and never dips below 0.
    const livePlot = page.getByTestId('live-plot-gripper');
    await expect.poll(async () => Number(await livePlot.getAttribute('data-max')), { timeout: 10_000 }).toBeGreaterThan(70);
    await expect.poll(async () => Number(await livePlot.getAttribute('data-min')), { timeout: 10_000 }).toBeLessThan(0.5);
    expect(Number(await livePlot.getAttribute('data-min'))).toBeGreaterThanOrEqual(0);
    await expect(livePlot.locator('figcaption').textContent()).resolves.toBe('Gripper (mm)');
    const liveText = await live.textContent();
    await page.screenshot({ path: join(ARTIFACTS, 'ui-gripper-live-1920x1080.png') });
    await page.keyboard.press('Enter');
    await phase(page, 'stopped');
    await page.keyboard.press('KeyG');
    await page.getByTestId('episode-counter').filter({ hasText: '1 saved' }).waitFor();

    // ---- the store: every recorded width within 0–80 mm, the last one closed ----
    api = await connectApiClient(web.url);
    const [episode] = (await api.api.episodes.list({})).episodes;
    const samples = await api.api.episodes.samples({ id: episode!.id, stream: 'gripper.width_m', max_points: 100_000 });
    const stored = samples.values.map((v) => v[0]!);
    expect(Math.min(...stored)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...stored)).toBeLessThanOrEqual(0.08);
    expect(stored.at(-1)!).toBeLessThan(0.0005);

    // ---- replay: the same value at the end of the take, the same plot range ----
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await gotoView(page, 'Episodes');
      await page.getByTestId(`episode-row-${episode!.id}`).click();
      const replay = page.getByTestId('replay-gripper-width');
      await replay.waitFor();
      await page.getByTestId('episode-player').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('End');
      await expect.poll(async () => Number(await replay.getAttribute('data-width-m')), { timeout: 10_000 }).toBe(stored.at(-1));
      await expect(replay.textContent()).resolves.toBe(`gripper ${liveText}`);
      const replayPlot = page.getByTestId('plot-gripper');
      await expect.poll(async () => Number(await replayPlot.getAttribute('data-min')), { timeout: 10_000 }).toBeCloseTo(Math.min(...stored) * 1000, 6);
      await expect(replayPlot.getAttribute('data-max')).resolves.toBe(String(Math.max(...stored) * 1000));
      await page.getByTestId('plot-gripper').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, `ui-gripper-replay-${tag(size)}.png`) });
      await gotoView(page, 'Teleop / Record');
      await robotStateFlowing(page);
    }
    await page.setViewportSize(SIZES[0]);
    await page.getByTestId('gripper-width').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'ui-gripper-live-1280x720.png') });
    expect(browser.errors).toEqual([]);
  });

  test('the episodes list fills its column from the first paint, and the live 3D view draws the camera frusta and workspace on first load and after a reload (items 4, 5)', { timeout: 240_000 }, async () => {
    const dataDir = tempDir();
    await recordEpisodes(dataDir, { episodes: Array.from({ length: 5 }, (_, i) => ({ task: `pick ${i}`, duration_s: 1, outcome: 'success' as const })), cameras: ['front'], camera_hz: 5, jpegFrames: makeJpegFrames(6) });
    web = await startWebMode(['--data-dir', dataDir]);
    api = await connectApiClient(web.url);
    const { config } = await api.api.rig.get();
    expect(config.cameras.length).toBeGreaterThan(0);
    browser = await openBrowser();
    const { page } = browser;
    mkdirSync(ARTIFACTS, { recursive: true });

    const expectLiveSceneComplete = async (where: string) => {
      const scene = page.getByTestId('live-scene');
      await page.locator(`[data-testid="live-scene"][data-drawn-camera-frusta="${config.cameras.length}"][data-drawn-workspace="1"]`).waitFor({ timeout: 30_000 });
      await expect(scene.getAttribute('data-drawn-camera-frusta'), where).resolves.toBe(String(config.cameras.length));
    };
    const expectListFillsColumn = async (where: string) => {
      await page.locator('[data-testid^="episode-row-"]').first().waitFor();
      await page.getByTestId('player-empty').waitFor();
      const column = (await page.evaluate<Box | null>(boxOf('.episodes-list')))!;
      const table = (await page.evaluate<Box | null>(boxOf('.episode-table')))!;
      // The table runs to the column's bottom (less the panel's padding), not ~74 px of it.
      expect(column.bottom - table.bottom, where).toBeLessThanOrEqual(12);
      expect(table.height, where).toBeGreaterThan(300);
      // All five rows are in view, nothing selected.
      await expect(page.evaluate<number>(ROWS_IN_VIEW), where).resolves.toBe(5);
    };

    for (const size of SIZES) {
      await page.setViewportSize(size);
      // First load on Teleop, then a reload: both draw the frusta and the box without leaving the view.
      await page.goto(`${web.url}#/teleop`);
      await connected(page);
      await expectLiveSceneComplete(`first load at ${tag(size)}`);
      await page.reload();
      await connected(page);
      await expectLiveSceneComplete(`reload at ${tag(size)}`);
      await robotStateFlowing(page);
      await page.screenshot({ path: join(ARTIFACTS, `ui-live-scene-${tag(size)}.png`) });

      // Episodes reached from Teleop (the list mounts hidden), then opened directly, then with the
      // e-stop's bar above the content (the bars come and go; the list must still fill).
      await gotoView(page, 'Episodes');
      await expectListFillsColumn(`from Teleop at ${tag(size)}`);
      await page.screenshot({ path: join(ARTIFACTS, `ui-episodes-list-${tag(size)}.png`) });
      await page.goto(`${web.url}#/episodes`);
      await connected(page);
      await expectListFillsColumn(`opened directly at ${tag(size)}`);
      await page.getByTestId('estop').click();
      await page.getByTestId('estop-latched').waitFor();
      await expectListFillsColumn(`e-stop latched at ${tag(size)}`);
      await page.getByTestId('estop-release').click();
      await page.getByTestId('estop-latched').waitFor({ state: 'detached' });
    }
    expect(browser.errors).toEqual([]);
  });
});
