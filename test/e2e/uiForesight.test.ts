import { describe, expect, test } from 'vitest';
import type { StudioClient } from '../../shared/api/client';
import type { RobotState } from '../../shared/api/contract';
import { imagine, studioWithPack } from '../support/imaginationUi';
import { artifact, useStudioUi } from '../support/studioUi';

/** The next `count` robot states the core sends (about 30 Hz) that satisfy `accept`. */
/** Accepted robot states, gathered until `enough` says so or `most` have come (whichever is first). */
function robotStates(
  client: StudioClient,
  accept: (state: RobotState) => boolean,
  enough: (states: readonly RobotState[]) => boolean,
  most: number,
): Promise<RobotState[]> {
  return new Promise((resolveStates) => {
    const states: RobotState[] = [];
    const off = client.on('robot.state', (state) => {
      if (!accept(state)) return;
      states.push(state);
      if (states.length < most && !enough(states)) return;
      off();
      resolveStates(states);
    });
  });
}

const travel = (from: RobotState, to: RobotState): number => Math.hypot(...to.ee_position_m.map((v, i) => v - from.ee_position_m[i]!));

/** At rest: the last 4 states within 2 mm of each other. */
const atRest = (states: readonly RobotState[]): boolean => {
  const rest = states.slice(-4);
  return rest.length === 4 && Math.max(...rest.map((state) => travel(rest[0]!, state))) < 2e-3;
};

describe('imagination in the studio UI (headless Chromium, simulated rig with the reference pack)', () => {
  // On failure: what the page showed and said.
  const ui = useStudioUi({ onFailure: { screenshot: 'ui-foresight-failure.png' } });

  test(
    'load the pack, imagine K = 8, see them drawn, approve the best with Enter: the arm runs it and the run shows in Episodes and Calibration with its real outcome',
    { timeout: 1_500_000 },
    async () => {
      // The pack, on the CPU, and the panel names it.
      const { browser, page, api } = await studioWithPack(ui);
      await expect(page.getByTestId('pack-provider').textContent()).resolves.toMatch(/^cpu/);

      // K = 8 candidates, H = 2 chunks ahead (the shared 2-core machine decodes every candidate on demand).
      await page.getByRole('spinbutton', { name: 'Candidates (K)', exact: true }).fill('8');
      await page.getByRole('spinbutton', { name: 'Horizon in chunks (H)', exact: true }).fill('2');
      await page.getByTestId('live-scene').click();
      await imagine(page);
      const grid = page.getByTestId('candidate-grid');
      // The core decodes each candidate when first asked: on the shared 2-core machine that takes a while.
      await page.locator('[data-testid="candidate-grid"][data-loaded="8"]').waitFor({ timeout: 900_000 });
      await expect(grid.getAttribute('data-count')).resolves.toBe('8');
      const rows = page.locator('[data-testid^="candidate-"][data-success]');
      await expect(rows.count()).resolves.toBe(8);
      const success: number[] = [];
      for (let i = 1; i <= 8; i++) success.push(Number(await page.getByTestId(`candidate-${i}`).getAttribute('data-success')));
      for (const p of success) expect(p).toBeGreaterThanOrEqual(0);
      const best = success.indexOf(Math.max(...success));
      // Every small multiple has its splats and has drawn them.
      for (let i = 1; i <= 8; i++)
        await expect(page.getByTestId(`candidate-cell-${i}`).getAttribute('data-splats').then(Number)).resolves.toBeGreaterThan(100);
      await page.locator('[data-testid="candidate-grid"][data-drawn="8"]').waitFor({ timeout: 30_000 });
      await expect(page.getByTestId('preview-latency').textContent()).resolves.toMatch(/\d+ ms/);
      await expect(page.getByTestId('preview-provider').textContent()).resolves.toBe('cpu');
      await expect(page.getByTestId('auroc-caveat').textContent()).resolves.toMatch(/AUROC \d\.\d\d/);
      // The main scene draws the overlay (the best candidate's splats) and keeps rendering.
      await page.getByTestId('scene-foresight').waitFor({ timeout: 30_000 });
      await expect(page.getByTestId('scene-foresight').getAttribute('data-splats').then(Number)).resolves.toBeGreaterThan(100);
      await page.waitForTimeout(1500);
      await page.getByTestId('imagination-panel').screenshot({ path: artifact('ui-foresight-panel.png') });
      await grid.screenshot({ path: artifact('ui-foresight-candidates.png') });
      await page.getByTestId('live-scene').screenshot({ path: artifact('ui-foresight-overlay.png') });
      await page.screenshot({ path: artifact('ui-foresight-teleop.png') });

      // Number keys select; the arrow goes on; selecting the best again and Enter approves it.
      await page.keyboard.press('Digit3');
      await expect(page.getByTestId('candidate-3').getAttribute('aria-pressed')).resolves.toBe('true');
      await page.keyboard.press(`Digit${best + 1}`);
      await expect(page.getByTestId(`candidate-${best + 1}`).getAttribute('aria-pressed')).resolves.toBe('true');
      // A take records (started with the button: Enter belongs to the decision now), so the decision is stored with an episode.
      await page.getByTestId('record-start').click();
      await page.getByTestId('recording-phase').filter({ hasText: 'recording' }).waitFor({ timeout: 120_000 });
      // Focus back on the scene (the clicked button would take Enter as a click of its own).
      await page.getByTestId('live-scene').click();
      await expect(page.getByTestId('imagination-phase').textContent()).resolves.toBe('awaiting decision');
      await page.keyboard.press('Enter');
      const outcome = page.getByTestId('imagination-outcome');
      await outcome.filter({ hasText: 'Approved candidate' }).waitFor({ timeout: 60_000 });
      const text = (await outcome.textContent())!;
      expect(text).toContain(`candidate ${best + 1}`);
      expect(Number(/played (\d+) steps/.exec(text)?.[1])).toBeGreaterThan(0);
      // Still recording: Enter approved, it did not stop the take.
      await expect(page.getByTestId('recording-phase').textContent()).resolves.toMatch(/recording/);

      // Stop (Enter: no decision pending any more) and save as a success (G).
      await page.keyboard.press('Enter');
      await page.getByTestId('recording-phase').filter({ hasText: 'stopped' }).waitFor({ timeout: 120_000 });
      await page.keyboard.press('KeyG');
      await page
        .getByTestId('recording-phase')
        .filter({ hasText: /idle|resetting/ })
        .waitFor({ timeout: 120_000 });

      const { runs } = await api.api.foresight.runs({});
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ decision: 'executed', chosen_index: best, episode_outcome: 'success' });
      expect(runs[0]!.episode_id).not.toBeNull();
      expect(runs[0]!.real).not.toBeNull();
      // The arm executed the chosen chunk: it played all its steps, and its first step is in the take's
      // recorded commands (every control cycle, none dropped) as requested and as sent after safety.
      const { played } = runs[0]!.real as { played: number };
      const first = runs[0]!.candidates[best]!.chunk[0]!.slice(0, 6);
      expect(played).toBe(runs[0]!.candidates[best]!.chunk.length);
      expect(Math.hypot(first[0]!, first[1]!, first[2]!)).toBeGreaterThan(0);
      const recorded = async (stream: string) =>
        (await api.api.episodes.samples({ id: runs[0]!.episode_id!, stream, t0_ns: runs[0]!.t_ns, max_points: 100_000 })).values;
      const has = (values: number[][]) => values.some((v) => first.every((x, i) => Math.abs(x - v[i]!) < 1e-9));
      expect(has(await recorded('action.requested'))).toBe(true);
      expect(has(await recorded('action.executed'))).toBe(true);

      // Episodes: the run on the episode's timeline, the prediction beside what happened.
      await page.keyboard.press('Digit2');
      await page.locator('[data-testid^="episode-row-"]').first().click();
      await page.getByTestId('foresight-runs').waitFor({ timeout: 120_000 });
      await expect(page.getByTestId('foresight-predicted').textContent()).resolves.toBe(`${Math.round(success[best]! * 100)}%`);
      await expect(page.getByTestId('foresight-real').textContent()).resolves.toMatch(/steps played/);
      await expect(page.getByTestId('foresight-episode-outcome').textContent()).resolves.toBe('success');
      await page.getByTestId('foresight-runs').scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifact('ui-foresight-episodes.png') });

      // Calibration over the stored runs.
      await page.keyboard.press('Digit5');
      await page.getByTestId('calibration-runs').filter({ hasText: '1' }).waitFor({ timeout: 120_000 });
      await page.getByTestId('reliability-diagram').waitFor();
      await page.screenshot({ path: artifact('ui-foresight-calibration.png') });
      expect(browser.errors).toEqual([]);
    },
  );

  test(
    'a policy in rank mode from the UI: each chunk’s preview shows as it runs, and the e-stop (Esc) stops it midway; the take is kept',
    { timeout: 1_500_000 },
    async () => {
      const { browser, page, api } = await studioWithPack(ui);

      await page.getByTestId('policy-mode').selectOption('rank');
      await page.getByRole('spinbutton', { name: 'Policy candidates (K)' }).fill('4');
      await page.getByRole('spinbutton', { name: 'Policy horizon (H)' }).fill('2');
      // Long enough that the run is still going when it is e-stopped, however slow the shared machine is.
      await page.getByRole('spinbutton', { name: 'Maximum duration (s)' }).fill('900');
      await page.getByTestId('live-scene').click();
      await page.keyboard.press('KeyO');
      await page.getByTestId('policy-state').filter({ hasText: 'running rank' }).waitFor({ timeout: 300_000 });
      // The run's previews show as it goes: after its first chunk, the candidates and their estimates.
      await page.locator('[data-testid="policy-status"]:not([data-chunks="0"])').waitFor({ timeout: 600_000 });
      await page.getByTestId('candidate-list').waitFor({ timeout: 60_000 });
      await expect(page.getByTestId('imagination-phase').textContent()).resolves.toBe('watching');
      await expect(page.getByTestId('policy-state').textContent()).resolves.toMatch(/running rank/);

      // Midway: Esc is the e-stop; the arm stops at once, and the run stops and says why.
      // Gathered until the arm is at rest, however many samples its braking spans (a loaded machine runs the
      // simulated arm behind the 30 Hz state stream), at most 150 (5 s).
      const halted = robotStates(
        api,
        (state) => state.estopped,
        (states) => states.length >= 12 && atRest(states),
        150,
      );
      await page.keyboard.press('Escape');
      await page.getByTestId('estop-latched').filter({ hasText: 'E-STOPPED' }).waitFor();
      // From the cycle after the latch on, nothing is commanded and the TCP stays put (a chunk still playing would move it centimetres in these 0.4 s).
      // robot.state samples the latch at once but carries the newest control cycle the core has received, so the
      // first samples after the latch may still show the last pre-latch cycle's command: at most 3 of them (0.1 s at 30 Hz).
      const states = await halted;
      const firstIdle = states.findIndex((state) => Math.hypot(...state.commanded_translation_m) === 0);
      expect(firstIdle).toBeGreaterThanOrEqual(0);
      expect(firstIdle).toBeLessThanOrEqual(3);
      const still = states.slice(firstIdle);
      for (const state of still) expect(Math.hypot(...state.commanded_translation_m)).toBe(0);
      // The latch sets the arm's goal to its measured pose; the controller brakes from the chunk's speed (at most
      // the rig's 0.25 m/s), so the TCP comes to rest within a short stopping distance and then stays there.
      expect(Math.max(...still.map((state) => travel(still[0]!, state)))).toBeLessThan(0.05);
      expect(atRest(still), `still moving after ${states.length} e-stopped states`).toBe(true);
      await page.getByTestId('policy-state').filter({ hasText: 'stopped' }).waitFor({ timeout: 300_000 });
      const stopped = await api.api.foresight.policyStatus();
      expect(stopped.running).toBe(false);
      expect(stopped.chunks).toBeGreaterThanOrEqual(1);
      expect(stopped.stopped_reason).toMatch(/e-?stop/i);
      await expect(page.getByTestId('policy-status').getAttribute('data-stopped-reason')).resolves.toMatch(/e-?stop/i);
      // The last chunk's preview stays on screen: the best candidate's imagined splats in the scene.
      await page.getByTestId('scene-foresight').waitFor({ timeout: 300_000 });
      await page.screenshot({ path: artifact('ui-foresight-policy-estopped.png') });
      // Its take is kept, tagged with the policy and mode, and its decisions are stored with it.
      expect(stopped.episode_id).not.toBeNull();
      const { runs } = await api.api.foresight.runs({ episode_id: stopped.episode_id! });
      expect(runs.length).toBeGreaterThanOrEqual(1);
      expect(runs.every((r) => r.mode === 'rank')).toBe(true);
      await page.keyboard.press('Shift+Escape');
      await page.getByTestId('estop-latched').waitFor({ state: 'detached' });
      expect(browser.errors).toEqual([]);
    },
  );
});
