import { afterEach, describe, expect, test } from 'vitest';
import { requirePeerPython, startPeer, stopPeer, type Peer } from '../support/openpiPeer';
import { imagine, studioWithPack } from '../support/imaginationUi';
import { artifact, useStudioUi } from '../support/studioUi';

/**
 * The operator's other decisions in the browser, on the simulated rig with the reference pack: reject
 * every candidate, approve one in a take and re-imagine it from Episodes beside what really happened;
 * and a policy served elsewhere (openpi's protocol, the Python peer) run in rank mode from the Policy panel.
 */
describe('imagination decisions in the studio UI (headless Chromium, simulated rig with the reference pack)', () => {
  let peer: Peer | undefined;
  // Registered before the studio's teardown, so it runs after it (vitest runs after-hooks last-registered
  // first): the studio stops before its policy server, as a user's would.
  afterEach(async () => {
    if (peer !== undefined) await stopPeer(peer);
    peer = undefined;
  });
  const ui = useStudioUi({
    onFailure: { screenshot: 'ui-foresight-decisions-failure.png', details: () => ['\npeer stderr:', peer?.stderr().slice(-2000)] },
  });

  test(
    'reject every candidate with X (stored as rejected), approve one in a take, then re-imagine that run from Episodes beside the real scenes',
    { timeout: 1_500_000 },
    async () => {
      const { browser, page, api } = await studioWithPack(ui);
      // Small previews: this test is about the decisions, not the drawing.
      await page.getByRole('spinbutton', { name: 'Candidates (K)', exact: true }).fill('2');
      await page.getByRole('spinbutton', { name: 'Horizon in chunks (H)', exact: true }).fill('1');
      await page.getByTestId('record-start').click();
      await page.getByTestId('recording-phase').filter({ hasText: 'recording' }).waitFor({ timeout: 120_000 });
      await page.getByTestId('live-scene').click();

      // X rejects all: nothing runs, the decision is stored with the take.
      await imagine(page);
      await page.keyboard.press('KeyX');
      const outcome = page.getByTestId('imagination-outcome');
      await outcome.filter({ hasText: 'Rejected all 2 candidates' }).waitFor({ timeout: 60_000 });
      await expect(page.getByTestId('imagination-phase').textContent()).resolves.toBe('decided');
      let { runs } = await api.api.foresight.runs({});
      expect(runs.map((r) => [r.decision, r.chosen_index])).toEqual([['rejected', null]]);
      expect(runs[0]!.real).toBeNull();

      // Then one approved (Shift+Enter: the best predicted), so there is a run whose chunk really ran.
      await imagine(page);
      await page.keyboard.press('Shift+Enter');
      await outcome.filter({ hasText: /Auto-picked candidate \d: played \d+ steps/ }).waitFor({ timeout: 120_000 });
      await page.keyboard.press('Enter');
      await page.getByTestId('recording-phase').filter({ hasText: 'stopped' }).waitFor({ timeout: 120_000 });
      await page.keyboard.press('KeyG');
      await page
        .getByTestId('recording-phase')
        .filter({ hasText: /idle|resetting/ })
        .waitFor({ timeout: 120_000 });
      ({ runs } = await api.api.foresight.runs({}));
      expect(runs.map((r) => [r.mode, r.decision])).toEqual([
        ['approve', 'rejected'],
        ['auto-rank', 'executed'],
      ]);
      const executed = runs[1]!;
      expect(executed.episode_id).toBe(runs[0]!.episode_id);
      expect(executed.real).toMatchObject({ estopped: false });

      // Episodes: both runs on the take's timeline; pick the executed one and re-imagine it from the recording.
      await page.keyboard.press('Digit2');
      await page.getByTestId(`episode-row-${executed.episode_id}`).click();
      await page.locator('[data-testid="foresight-runs"][data-count="2"]').waitFor({ timeout: 120_000 });
      await page.getByTestId(`foresight-mark-${executed.id}`).click();
      await expect(page.getByTestId('foresight-episode-outcome').textContent()).resolves.toBe('success');
      await expect(page.getByTestId('imagined-vs-real').getAttribute('data-run')).resolves.toBe(String(executed.id));
      await page.getByTestId('reimagine').click();
      const compare = page.locator('[data-testid="imagined-vs-real"][data-loaded="2"], [data-testid="reimagine-error"]').first();
      await compare.waitFor({ timeout: 600_000 });
      if (await page.getByTestId('reimagine-error').isVisible())
        throw new Error(`re-imagine failed: ${await page.getByTestId('reimagine-error').textContent()}`);
      const panel = page.getByTestId('imagined-vs-real');
      // One chunk ahead (the run's horizon), and the take went on long enough after it for the real scene one chunk later.
      await expect(panel.getAttribute('data-imagined-steps')).resolves.toBe('1');
      await expect(panel.getAttribute('data-real-steps')).resolves.toBe('1');
      const predicted = Number(await panel.getAttribute('data-predicted'));
      expect(predicted).toBeGreaterThanOrEqual(0);
      expect(predicted).toBeLessThanOrEqual(1);
      await panel.scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifact('ui-foresight-reimagined.png') });
      expect(browser.errors).toEqual([]);
    },
  );

  test(
    'a remote policy server (openpi protocol) in rank mode from the Policy panel: its chunks are imagined, the best runs, O stops it and the take names the server',
    { timeout: 1_500_000 },
    async () => {
      requirePeerPython();
      peer = await startPeer('normal');
      const { browser, page, api } = await studioWithPack(ui);
      await page.getByTestId('policy-source').selectOption('remote');
      await page.getByTestId('policy-url').fill(peer.url);
      await page.getByTestId('policy-mode').selectOption('rank');
      await page.getByRole('spinbutton', { name: 'Policy candidates (K)' }).fill('2');
      await page.getByRole('spinbutton', { name: 'Policy horizon (H)' }).fill('1');
      await page.getByRole('spinbutton', { name: 'Maximum duration (s)' }).fill('900');
      await page.getByTestId('live-scene').click();
      await page.keyboard.press('KeyO');
      await page.getByTestId('policy-state').filter({ hasText: 'running rank' }).waitFor({ timeout: 300_000 });
      await expect(page.getByTestId('policy-driver').textContent()).resolves.toBe(`remote ${peer.url}`);
      await page.locator('[data-testid="policy-status"]:not([data-chunks="0"])').waitFor({ timeout: 600_000 });
      await page.getByTestId('candidate-list').waitFor({ timeout: 60_000 });
      await page.screenshot({ path: artifact('ui-foresight-remote-policy.png') });
      await page.getByTestId('policy-panel').screenshot({ path: artifact('ui-foresight-remote-policy-panel.png') });
      await page.getByTestId('live-scene').click();
      await page.keyboard.press('KeyO');
      await page.getByTestId('policy-state').filter({ hasText: 'stopped' }).waitFor({ timeout: 300_000 });
      const status = await api.api.foresight.policyStatus();
      expect(status).toMatchObject({ running: false, stopped_reason: 'operator', policy: `remote ${peer.url}` });
      expect(status.chunks).toBeGreaterThanOrEqual(1);
      const { runs } = await api.api.foresight.runs({ episode_id: status.episode_id! });
      expect(runs.length).toBeGreaterThanOrEqual(1);
      expect(runs[0]!.candidates.map((c) => c.source)).toEqual(['remote:sample-0', 'remote:sample-1']);
      expect(runs[0]!.operator).toMatch(new RegExp(`^remote policy ${peer.url.replace(/[.]/g, '\\.')} mode=rank K=2 H=1`));
      // The server's URL is remembered for the next run.
      await page.reload();
      await page.getByTestId('policy-source').selectOption('remote');
      await expect(page.getByTestId('policy-url').inputValue()).resolves.toBe(peer.url);
      expect(browser.errors).toEqual([]);
    },
  );
});
