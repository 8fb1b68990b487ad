import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StudioClient } from '../../shared/api/client';
import { connectApiClient } from '../support/apiClient';
import { makeJpegFrames, recordEpisodes, type FixtureEpisode } from '../support/recordedEpisodes';
import { SIZES, artifact, boxOf, connected, episodeRowsInView, sizeTag as tag, useStudioUi } from '../support/studioUi';
import { startWebMode, type RunningWebMode } from '../support/webMode';

/*
 * Issue 15 items 10 (the gamepad's presence, the labels beside the player) and 11 (dataset statistics),
 * issue 17 item 2 from the Episodes view (import a LeRobot folder), and the Policy panel's rank option —
 * each at 1280×720 and 1920×1080 with screenshots under test/artifacts. Page scripts are strings: this
 * file compiles against Node's types, not the DOM's.
 */

const LEROBOT_V21 = resolve('test/fixtures/lerobot/lerobot-v21');

/** Presses a key with the focus on the page body (not in a field), as a user between fields would. */
async function pressOnPage(page: Page, key: string): Promise<void> {
  await page.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');
  await page.keyboard.press(key);
}

/**
 * The recorded dataset the statistics are checked against: four tasks, three people, a policy and the
 * scripted expert, tags, all three outcomes, spread over four days (set in the store after recording).
 */
const POLICY = 'policy gwm-lite-sim-franka@3 mode=rank K=8 H=4 margin=0.05 temperature=1';
const EXPERT = 'expert grasp_offset_m=0.012 chunk_length=8';
type Row = FixtureEpisode & { day: number; length_s: number };
const ROWS: Row[] = [];
const TASKS = ['pick the cube', 'place in bin', 'stack two cubes', 'open the drawer'];
const OPERATORS = ['ada', 'bob', 'chen', POLICY, EXPERT];
for (let i = 0; i < 26; i++) {
  const outcome = i % 5 === 3 ? 'unknown' : (i * 7) % 3 === 0 ? 'failure' : 'success';
  ROWS.push({
    task: TASKS[i % 7 < 3 ? 0 : i % 7 < 5 ? 1 : (i % 7) - 3]!,
    operator: OPERATORS[i % 5]!,
    outcome,
    tags: i % 4 === 0 ? ['red'] : i % 6 === 1 ? ['clutter', 'red'] : [],
    duration_s: 0.4,
    day: Math.floor(i / 7),
    length_s: 4 + ((i * 13) % 17) * 1.5,
  });
}
const DAY0_MS = Date.parse('2025-11-03T09:00:00Z');

async function recordDataset(dataDir: string): Promise<void> {
  const { ids } = await recordEpisodes(dataDir, { episodes: ROWS, cameras: ['front'], camera_hz: 5, jpegFrames: makeJpegFrames(6) });
  const db = new Database(join(dataDir, 'studio.db'));
  try {
    const set = db.prepare('UPDATE episodes SET started_at_unix_ms = ?, end_ns = start_ns + ? WHERE id = ?');
    const drops = db.prepare('UPDATE streams SET dropped_count = ? WHERE id = (SELECT MIN(id) FROM streams WHERE episode_id = ?)');
    ROWS.forEach((row, i) => {
      set.run(DAY0_MS + row.day * 86_400_000 + i * 600_000, BigInt(Math.round(row.length_s * 1e9)), ids[i]);
      drops.run(i % 3 === 0 ? 0 : (i * 11) % 40, ids[i]);
    });
  } finally {
    db.close();
  }
}

describe('dataset tools in the studio UI (issue 15 items 10–11, issue 17 item 2) in headless Chromium', () => {
  const ui = useStudioUi();
  // One studio for the tests that only read the store (the import test has its own, with an empty store).
  let dataDir = '';
  let web: RunningWebMode | undefined;
  let api: StudioClient | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'studio-dataset-tools-'));
    await recordDataset(dataDir);
    web = await startWebMode(['--data-dir', dataDir]);
    api = await connectApiClient(web.url);
  }, 180_000);
  afterAll(async () => {
    api?.close();
    await web?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  test(
    'a gamepad is what the browser sees: empty (null) and unplugged (connected: false) slots are no gamepad; a plugged-in pad shows by name (item 10)',
    { timeout: 180_000 },
    async () => {
      const browser = await ui.openPage();
      const { page } = browser;
      // The slots Chromium reports with nothing plugged in (null), plus one a pad leaves when unplugged.
      await page.addInitScript(`
        window.__pads = [null, { id: 'Unplugged pad (STANDARD GAMEPAD)', index: 1, connected: false, mapping: 'standard', axes: [0, 0, 0, 0], buttons: [] }, null, null];
        Object.defineProperty(Navigator.prototype, 'getGamepads', { configurable: true, value: () => window.__pads });
      `);
      const config = (await api!.api.rig.get()).config;
      expect(config.teleop.some((t) => t.type === 'gamepad')).toBe(true);
      // The core calls its UI-fed gamepad connected while the rig runs (once it has started): that is not
      // the truth the UI shows.
      await expect.poll(async () => (await api!.api.rig.status()).state, { timeout: 60_000 }).toBe('running');
      const rigStatus = await api!.api.rig.status();
      expect(rigStatus.devices.find((d) => d.type === 'gamepad')?.connected).toBe(true);

      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.goto(`${web!.url}#/settings`);
        await connected(page);
        const state = page.getByTestId('device-table').getByTestId('gamepad-state');
        await expect.poll(() => state.textContent(), { timeout: 20_000 }).toBe('no gamepad plugged in (this browser sees none)');
        await page.getByTestId('device-table').scrollIntoViewIfNeeded();
        await page.screenshot({ path: artifact(`ui-gamepad-none-settings-${tag(size)}.png`) });

        await page.goto(`${web!.url}#/teleop`);
        await connected(page);
        const health = page.getByTestId('gamepad-state');
        await health.waitFor({ timeout: 30_000 });
        await expect(health.textContent()).resolves.toBe('Gamepad: no gamepad plugged in (this browser sees none)');
        await expect(page.getByTestId('devices-connected').textContent()).resolves.toBe(
          `${rigStatus.devices.length - 1} devices connected.`,
        );
        await expect(page.getByTestId('gamepad-pill').count()).resolves.toBe(0);
        await health.scrollIntoViewIfNeeded();
        await page.screenshot({ path: artifact(`ui-gamepad-none-teleop-${tag(size)}.png`) });
      }

      // ---- a pad is plugged in: its name, the pill, all devices connected ----
      await page.evaluate(`(() => {
        window.__pads = [null, { id: 'Xbox Wireless Controller (STANDARD GAMEPAD)', index: 1, connected: true, mapping: 'standard', timestamp: 1,
          axes: [0, 0, 0, 0], buttons: Array.from({ length: 17 }, () => ({ pressed: false, touched: false, value: 0 })) }, null, null];
        window.dispatchEvent(new Event('gamepadconnected'));
      })()`);
      await page.getByTestId('gamepad-pill').waitFor({ timeout: 10_000 });
      await page.getByTestId('gamepad-state').waitFor({ state: 'detached' });
      await expect(page.getByTestId('devices-connected').textContent()).resolves.toBe(`All ${rigStatus.devices.length} devices connected.`);
      // In the same document (a navigation would run the init script again and unplug the pad).
      await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Settings' }).click();
      await expect
        .poll(() => page.getByTestId('device-table').getByTestId('gamepad-state').textContent(), { timeout: 20_000 })
        .toBe('connected · Xbox Wireless Controller (STANDARD GAMEPAD)');
      await page.screenshot({ path: artifact('ui-gamepad-plugged-settings-1920x1080.png') });
      expect(browser.errors).toEqual([]);
    },
  );

  test("the Policy panel's rank option states the margin rule, not “run the best” (item 4)", { timeout: 120_000 }, async () => {
    const browser = await ui.openPage();
    const { page } = browser;
    await page.goto(`${web!.url}#/teleop`);
    await connected(page);
    const mode = page.getByTestId('policy-mode');
    await mode.waitFor();
    await expect(mode.locator('option[value="rank"]').textContent()).resolves.toBe(
      'rank — the policy’s chunk unless a sample’s estimate beats it by 0.05',
    );
    await expect(mode.inputValue()).resolves.toBe('rank');
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await page.getByTestId('policy-panel').scrollIntoViewIfNeeded();
      await page.getByTestId('policy-panel').screenshot({ path: artifact(`ui-policy-rank-option-${tag(size)}.png`) });
    }
    expect(browser.errors).toEqual([]);
  });

  test('the labels sit beside the player, on screen without scrolling, at both window sizes (item 10)', { timeout: 180_000 }, async () => {
    const browser = await ui.openPage();
    const { page } = browser;
    const [first] = (await api!.api.episodes.list({})).episodes.slice(-1);
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await page.goto(`${web!.url}#/episodes`);
      await connected(page);
      await page.getByTestId(`episode-row-${first!.id}`).click();
      await page.getByTestId('episode-player').waitFor();
      const labels = page.locator('section.label-panel');
      await labels.waitFor();
      // Nothing scrolled: the page, and the labels' own column.
      await expect(page.evaluate('document.querySelector(".content").scrollTop')).resolves.toBe(0);
      const panel = (await boxOf(page, 'section.label-panel'))!;
      const player = (await boxOf(page, '[data-testid="episode-player"]'))!;
      expect(panel.top, tag(size)).toBeGreaterThanOrEqual(56);
      expect(panel.bottom, tag(size)).toBeLessThanOrEqual(size.height);
      // Beside the player, not under it.
      expect(panel.right, tag(size)).toBeLessThanOrEqual(player.left);
      // Its controls are in view: outcome, task, tags, and a click on Failure labels the episode.
      for (const selector of ['.outcome-buttons', '[aria-label="Task instruction"]', '#tag-input']) {
        const box = (await boxOf(page, `section.label-panel ${selector}`))!;
        expect(box.top, `${selector} at ${tag(size)}`).toBeGreaterThanOrEqual(panel.top);
        expect(box.bottom, `${selector} at ${tag(size)}`).toBeLessThanOrEqual(Math.min(panel.bottom, size.height));
      }
      // The list keeps rows in view above it.
      const rows = await episodeRowsInView(page);
      expect(rows, tag(size)).toBeGreaterThanOrEqual(3);
      await page.screenshot({ path: artifact(`ui-episodes-labels-${tag(size)}.png`) });
    }
    expect(browser.errors).toEqual([]);
  });

  test(
    'Statistics (6): counts, success rate, length and drop histograms and per-day plots per task / operator / tag / policy match the recorded episodes, and the groups filter (item 11)',
    { timeout: 240_000 },
    async () => {
      const browser = await ui.openPage(SIZES[1]);
      const { page } = browser;
      await page.goto(`${web!.url}#/episodes`);
      await connected(page);
      // Keyboard-reachable as every view: its digit.
      await pressOnPage(page, 'Digit6');
      await page.getByTestId('stats-view').waitFor();
      const totals = page.getByTestId('stats-totals');
      await page.locator(`[data-testid="stats-totals"][data-episodes="${ROWS.length}"]`).waitFor({ timeout: 20_000 });

      // ---- per task: the bars hold exactly the recorded outcomes ----
      const count = (rows: Row[], outcome: string) => rows.filter((r) => r.outcome === outcome).length;
      const labelledRate = (rows: Row[]) => count(rows, 'success') / (count(rows, 'success') + count(rows, 'failure'));
      await expect(totals.getAttribute('data-success-rate')).resolves.toBe(String(labelledRate(ROWS)));
      for (const task of TASKS) {
        const rows = ROWS.filter((r) => r.task === task);
        const bar = page.getByTestId('stats-episodes-chart').locator(`g[data-row="${task}"]`);
        for (const outcome of ['success', 'failure', 'unknown'] as const) {
          const expected = count(rows, outcome);
          await expect(bar.locator(`rect[data-part="${outcome}"]`).count(), `${task} ${outcome}`).resolves.toBe(expected > 0 ? 1 : 0);
          if (expected > 0)
            await expect(bar.locator(`rect[data-part="${outcome}"]`).getAttribute('data-value')).resolves.toBe(String(expected));
        }
        await expect(page.getByTestId('stats-success-chart').locator(`[data-note="${task}"]`).textContent()).resolves.toBe(
          `${Math.round(labelledRate(rows) * 100)}% of ${count(rows, 'success') + count(rows, 'failure')}`,
        );
      }
      // Every episode is in the length and drop histograms once; the days run over the four recorded.
      /** A data attribute of every element matching `selector`, as numbers. */
      const numbers = (selector: string, attribute: string) =>
        page.evaluate<number[]>(
          `[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => Number(e.getAttribute(${JSON.stringify(attribute)})))`,
        );
      const histogramTotal = async (chart: string) =>
        (await numbers(`[data-testid="${chart}"] rect[data-value]`, 'data-value')).reduce((a, b) => a + b, 0);
      await expect(histogramTotal('stats-length-chart')).resolves.toBe(ROWS.length);
      await expect(histogramTotal('stats-drops-chart')).resolves.toBe(ROWS.length);
      await expect(histogramTotal('stats-per-day-chart')).resolves.toBe(ROWS.length);
      const perDay = await numbers('[data-testid="stats-per-day-chart"] g[data-total]', 'data-total');
      expect(perDay).toEqual([0, 1, 2, 3].map((day) => ROWS.filter((r) => r.day === day).length));
      // The API and the picture agree on the zero-drop bin.
      const stats = await api!.api.stats.dataset({
        by: 'task',
        utc_offset_min: await page.evaluate<number>('-new Date().getTimezoneOffset()'),
      });
      await expect(page.getByTestId('stats-drops-chart').locator('g[data-category="0"]').getAttribute('data-total')).resolves.toBe(
        String(stats.total.drop_counts[0]),
      );
      expect(stats.total.drop_counts[0]).toBe(ROWS.filter((_, i) => i % 3 === 0 || (i * 11) % 40 === 0).length);
      await page.screenshot({ path: artifact('ui-stats-task-1920x1080.png') });
      await page.setViewportSize(SIZES[0]);
      await page.screenshot({ path: artifact('ui-stats-task-1280x720.png') });
      await page.screenshot({ path: artifact('ui-stats-task-full-1280x720.png'), fullPage: true });
      await page.setViewportSize(SIZES[1]);

      // ---- per policy: the policy run and the expert variant by name, people as teleop ----
      await page.getByTestId('stats-by-policy').click();
      const policyRow = (key: string) => page.getByTestId('stats-episodes-chart').locator(`g[data-row="${key}"]`);
      await policyRow('teleop').waitFor();
      const human = ROWS.filter((r) => r.operator !== POLICY && r.operator !== EXPERT);
      await expect(policyRow('teleop').locator('text[data-note]').textContent()).resolves.toMatch(new RegExp(`^${human.length} · `));
      await expect(policyRow('gwm-lite-sim-franka@3 · rank').locator('text[data-note]').textContent()).resolves.toMatch(
        new RegExp(`^${ROWS.filter((r) => r.operator === POLICY).length} · `),
      );
      await policyRow(EXPERT).waitFor();
      await page.screenshot({ path: artifact('ui-stats-policy-1920x1080.png') });

      // ---- per tag, filtered: untick "(none)"; the totals count an episode with two tags once ----
      await page.getByTestId('stats-by-tag').click();
      await page.getByTestId('stats-groups').locator('[data-group="(none)"]').click();
      const tagged = ROWS.filter((r) => (r.tags ?? []).length > 0);
      await page.locator(`[data-testid="stats-totals"][data-episodes="${tagged.length}"]`).waitFor({ timeout: 20_000 });
      await expect(page.getByTestId('stats-groups').locator('[data-group="(none)"]').getAttribute('aria-pressed')).resolves.toBe('false');
      await expect(page.getByTestId('stats-episodes-chart').locator('g[data-row]').count()).resolves.toBe(2);
      await expect(totals.getAttribute('data-success-rate')).resolves.toBe(String(labelledRate(tagged)));
      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.screenshot({ path: artifact(`ui-stats-tag-filtered-${tag(size)}.png`) });
      }
      // ---- per operator, through the keyboard: Tab to the grouping, Enter ----
      await page.getByTestId('stats-by-tag').focus();
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="stats-by-policy"][aria-pressed="true"]').waitFor();
      expect(browser.errors).toEqual([]);
    },
  );

  describe('import a LeRobot folder from the Episodes view (issue 17 item 2)', () => {
    test('progress, then the episodes in the list; a bad folder names its file; cancel adds nothing', { timeout: 300_000 }, async () => {
      const { web: importWeb, browser, page } = await ui.open({ size: SIZES[0], path: '#/episodes' });
      const importApi = await ui.connectApi(importWeb.url);
      await page.getByTestId('episodes-empty').waitFor();
      const progress: string[] = [];
      importApi.on('import.progress', (job) => progress.push(`${job.state}:${job.progress?.phase ?? '-'}`));

      // ---- not a dataset: the message names the file it looked for ----
      const notDataset = ui.tempDir();
      await pressOnPage(page, 'KeyI');
      const source = page.getByTestId('import-source');
      await source.waitFor();
      await expect(page.evaluate('document.activeElement?.dataset.testid')).resolves.toBe('import-source');
      await source.fill(notDataset);
      await source.press('Enter');
      const error = page.getByTestId('import-status').getByTestId('import-error');
      await error.waitFor({ timeout: 60_000 });
      await expect(error.textContent()).resolves.toContain(`${notDataset} is not a LeRobot dataset: meta/info.json is missing`);

      // ---- a missing video file: named; nothing added ----
      const broken = join(ui.tempDir(), 'broken');
      cpSync(LEROBOT_V21, broken, { recursive: true });
      const missing = join('videos', 'chunk-000', 'observation.images.front', 'episode_000001.mp4');
      rmSync(join(broken, missing));
      await source.fill(broken);
      await page.getByTestId('import-start').click();
      await page
        .locator('[data-testid="import-status"][data-state="failed"]')
        .filter({ hasText: 'episode_000001.mp4' })
        .waitFor({ timeout: 60_000 });
      await expect(error.textContent()).resolves.toContain(missing);
      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.screenshot({ path: artifact(`ui-import-bad-folder-${tag(size)}.png`) });
      }
      await expect(importApi.api.episodes.list({})).resolves.toEqual({ episodes: [] });

      // ---- cancel: a video that never arrives (a FIFO) holds the check; Cancel ends it; nothing added ----
      const stalled = join(ui.tempDir(), 'stalled');
      cpSync(LEROBOT_V21, stalled, { recursive: true });
      const first = join(stalled, 'videos', 'chunk-000', 'observation.images.front', 'episode_000000.mp4');
      rmSync(first);
      execFileSync('mkfifo', [first]);
      await source.fill(stalled);
      await page.getByTestId('import-start').click();
      await page.locator('[data-testid="import-progress-text"][data-phase="checking"]').waitFor({ timeout: 60_000 });
      await expect(page.getByTestId('import-progress-text').textContent()).resolves.toMatch(/^Checking the dataset: 3 episodes, 29 frames/);
      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.screenshot({ path: artifact(`ui-import-progress-${tag(size)}.png`) });
      }
      await page.getByTestId('import-cancel').click();
      await page.getByTestId('import-cancelled').waitFor({ timeout: 60_000 });
      await expect(importApi.api.episodes.list({})).resolves.toEqual({ episodes: [] });

      // ---- the real fixture: progress events, then its three episodes at the top of the list ----
      const good = join(ui.tempDir(), 'so100-pick');
      cpSync(LEROBOT_V21, good, { recursive: true });
      progress.length = 0;
      await source.fill(good);
      await page.getByTestId('import-start').click();
      const done = page.getByTestId('import-done');
      await done.waitFor({ timeout: 120_000 });
      await expect(done.textContent()).resolves.toMatch(/^Imported 3 episodes \(29 frames at 10 fps, LeRobot v2\.1\)/);
      expect(progress).toContain('running:checking');
      expect(progress.at(-1)).toBe('done:done');
      const { episodes } = await importApi.api.episodes.list({});
      expect(episodes).toHaveLength(3);
      expect(episodes.every((e) => e.tags.includes('imported') && e.status === 'saved')).toBe(true);
      for (const e of episodes) await page.getByTestId(`episode-row-${e.id}`).waitFor();
      await expect(page.getByTestId('episode-count').textContent()).resolves.toBe('3 episodes');
      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.screenshot({ path: artifact(`ui-import-done-${tag(size)}.png`) });
      }
      expect(browser.errors).toEqual([]);
    });
  });
});
