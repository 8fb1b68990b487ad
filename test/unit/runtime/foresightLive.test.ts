import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { createWsTransport, type WebSocketLike } from '../../../shared/api/wsTransport';
import { DEFAULT_RANK_MARGIN } from '../../../main/imagination/policyEpisodes';
import { startWebServer, WS_PATH } from '../../../main/web/webServer';
import { startTestCore } from '../../support/core';
import { writeRendererDir } from '../../support/rendererDir';
import { useTempDirs } from '../../support/tempDir';

/**
 * Imagination on the live (simulated, real-time) rig through StudioApi, as the UI drives it: open the
 * reference pack, preview K candidates from what the rig sees, fetch their Gaussians, approve one — it
 * runs through the control worker — or reject; the decisions are stored with the take being recorded.
 */
describe('foresight on the live rig', () => {
  const tempDir = useTempDirs();
  let core: ReturnType<typeof startTestCore> | undefined;
  afterEach(async () => {
    await core?.close();
    core = undefined;
  });

  async function call<T = any>(method: string, params: unknown = {}): Promise<T> {
    const outcome = await core!.connect({ transport: 'in-process' }).call(method, params);
    if (!outcome.ok) throw Object.assign(new Error(`${method}: ${outcome.error.message}`), { payload: outcome.error });
    return outcome.result as T;
  }

  test('preview → splats → approve (runs under safety) / reject, stored with the recorded episode', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    core = startTestCore(join(dir, 'data'), { rigPath: resolve('rigs/sim-gwm.json') });
    const packs = (await call<{ packs: { model_name: string; problem: string | null }[] }>('foresight.packs')).packs;
    expect(packs).toContainEqual(expect.objectContaining({ model_name: 'gwm-lite-sim-franka', problem: null }));
    await expect(call('foresight.preview', { K: 2, H: 1 })).rejects.toThrow(/no world-model pack is open/);
    const info = await call('foresight.open', { provider: 'cpu', threads: 1 });
    expect(info).toMatchObject({ model_name: 'gwm-lite-sim-franka', provider: { provider: 'cpu', requested: 'cpu' }, has_policy: true });
    expect((await call('foresight.status')).pack.model_name).toBe('gwm-lite-sim-franka');

    await call('rig.start');
    // Wait for every camera the pack lifts to have delivered a frame (a preview before that names the missing camera).
    let preview: any;
    for (let attempt = 0; attempt < 200 && preview === undefined; attempt++) {
      preview = await call('foresight.preview', { K: 3, H: 2, source: 'policy', seed: 5 }).catch((error: Error) => {
        if (!/has none by that name|no arm state/.test(error.message)) throw error;
        return new Promise((r) => setTimeout(r, 50)).then(() => undefined);
      });
    }
    expect(preview).toMatchObject({ K: 3, H: 2, provider: 'cpu', num_gaussians: 2048 });
    expect(preview.candidates.map((c: { source: string }) => c.source)).toEqual(['policy:mode', 'policy:sample-1', 'policy:sample-2']);
    for (const c of preview.candidates) {
      expect(c.chunk).toHaveLength(8);
      expect(c.ee_path_m).toHaveLength(16);
      expect(c.success_prob).toBeGreaterThanOrEqual(0);
    }
    expect(preview.best).toBe(
      preview.candidates.reduce(
        (b: number, c: { success_prob: number }, i: number, all: { success_prob: number }[]) =>
          c.success_prob > all[b]!.success_prob ? i : b,
        0,
      ),
    );

    const splats = await call('foresight.splats', { preview_id: preview.preview_id, candidate: 1 });
    expect(splats).toMatchObject({ H: 2, N: 2048, fields: 14 });
    // Bytes, not text: H·N·14 float32 and N float32 of mask.
    expect(splats.gaussians).toBeInstanceOf(Uint8Array);
    expect(splats.gaussians.byteLength).toBe(2 * 2048 * 14 * 4);
    expect(splats.mask.byteLength).toBe(2048 * 4);
    // One candidate's bytes only, not a view of every candidate's (Electron's IPC would clone the whole buffer).
    expect(splats.gaussians.buffer.byteLength).toBe(splats.gaussians.byteLength);
    const observed = await call('foresight.splats', { preview_id: preview.preview_id, candidate: -1 });
    expect(observed.gaussians.byteLength).toBe(2048 * 14 * 4);
    // Over the WebSocket transport, the same bytes (one binary frame).
    const server = await startWebServer({ core: core!, rendererDir: writeRendererDir(join(dir, 'renderer')) });
    try {
      const transport = createWsTransport({
        url: `ws://127.0.0.1:${server.port}${WS_PATH}?token=${server.token}`,
        createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
      });
      const overWs = await transport.request('foresight.splats', { preview_id: preview.preview_id, candidate: 1 });
      transport.close();
      if (!overWs.ok) throw new Error(overWs.error.message);
      const remote = overWs.result as { H: number; N: number; gaussians: Uint8Array };
      expect(remote).toMatchObject({ H: 2, N: 2048, fields: 14 });
      expect(Buffer.from(remote.gaussians).equals(Buffer.from(splats.gaussians))).toBe(true);
    } finally {
      await server.close();
    }
    await expect(call('foresight.splats', { preview_id: preview.preview_id, candidate: 7 })).rejects.toThrow(
      /candidate 7 is not in preview/,
    );

    // Approve while recording: the chunk runs through the control worker, and the decision is linked to the take.
    const { episode_id } = await call('recording.start', { task: 'imagine, then act' });
    const approved = await call('foresight.approve', { preview_id: preview.preview_id, candidate: 'auto' });
    expect(approved).toMatchObject({ candidate: preview.best, played: 8, estopped: false });
    await expect(call('foresight.approve', { preview_id: preview.preview_id, candidate: 0 })).rejects.toThrow(/already decided/);
    // One from within the take, to compare with what really happened afterwards.
    const inTake = await call('foresight.preview', { K: 2, H: 1, source: 'policy', seed: 8 });
    await call('foresight.approve', { preview_id: inTake.preview_id, candidate: 0 });

    // The operator's own motion held, perturbed; then rejected.
    const teleop = await call('foresight.preview', { K: 2, H: 1, source: 'teleop', seed: 6 });
    expect(teleop.candidates.map((c: { source: string }) => c.source)).toEqual(['teleop', 'teleop:perturbed-1']);
    await call('foresight.reject', { preview_id: teleop.preview_id });
    const perturb = await call('foresight.preview', { K: 2, H: 1, source: 'perturb', seed: 7 });
    expect(perturb.candidates[0].source).toBe('perturb');

    // Nothing runs while the e-stop is latched.
    await call('control.estop');
    await expect(call('foresight.approve', { preview_id: perturb.preview_id, candidate: 0 })).rejects.toThrow(/E-stop is latched/);
    await call('control.release');

    await call('recording.save', { outcome: 'failure' });
    const runs = (await call('foresight.runs', { episode_id })).runs;
    expect(runs.map((r: any) => [r.mode, r.decision, r.chosen_index])).toEqual([
      ['auto-rank', 'executed', preview.best],
      ['approve', 'executed', 0],
      ['approve', 'rejected', null],
    ]);
    expect(runs[0].real).toMatchObject({ played: 8, estopped: false });
    expect(runs[0].real.ee_position_m).toHaveLength(3);
    expect(runs[0].episode_outcome).toBe('failure');

    // Foresight vs reality: the in-take run re-imagined from the recorded frames and actions, beside the real scene 0.8 s later.
    const again = await call('foresight.reimagine', { run_id: runs[1].id });
    expect(again).toMatchObject({ K: 1, H: 1, real_steps: 1, episode_outcome: 'failure' });
    expect(again.candidates[0].source).toBe('recorded');
    // The actions that really ran: the approved chunk (policy mode) as recorded, after safety.
    expect(again.candidates[0].chunk).toHaveLength(8);
    const real = await call('foresight.splats', { preview_id: again.preview_id, candidate: -2 });
    expect(real).toMatchObject({ H: 1, N: 2048 });
    const imaginedNext = await call('foresight.splats', { preview_id: again.preview_id, candidate: 0 });
    expect(imaginedNext.H).toBe(1);
    await expect(call('foresight.splats', { preview_id: preview.preview_id, candidate: -2 })).rejects.toThrow(
      /live: there is no recorded reality/,
    );
    await expect(call('foresight.reimagine', { run_id: 999 })).rejects.toThrow(/run 999 does not exist/);
  });

  test(
    'a policy runs the live rig with foresight, recorded as a take: rank until the e-stop; approve waits for the operator, a rejection ends it',
    { timeout: 180_000 },
    async () => {
      const statuses: any[] = [];
      const dir = tempDir();
      core = startTestCore(join(dir, 'data'), { rigPath: resolve('rigs/sim-gwm.json') });
      core.events.subscribe((name, payload) => {
        if (name === 'foresight.policy') statuses.push(payload);
      });
      const until = (accept: (status: any) => boolean) =>
        new Promise<any>((resolvePromise) => {
          const found = statuses.find(accept);
          if (found !== undefined) return resolvePromise(found);
          const off = core!.events.subscribe((name, payload) => {
            if (name === 'foresight.policy' && accept(payload)) {
              off();
              resolvePromise(payload);
            }
          });
        });
      await call('foresight.open', { provider: 'cpu', threads: 1 });
      await call('rig.start');
      // The first preview needs the cameras' first frames: start once they are there.
      let started: any;
      for (let attempt = 0; attempt < 200 && started === undefined; attempt++) {
        started = await call('foresight.preview', { K: 1, H: 1 }).then(
          () => call('foresight.policyStart', { mode: 'rank', K: 2, H: 1 }),
          (error: Error) =>
            /has none by that name|no arm state/.test(error.message)
              ? new Promise((r) => setTimeout(r, 50)).then(() => undefined)
              : Promise.reject(error),
        );
      }
      expect(started).toMatchObject({ running: true, mode: 'rank', chunks: 0 });
      await expect(call('foresight.policyStart', { mode: 'off' })).rejects.toThrow(/already going/);
      // (A run that ends early says why instead of leaving the test waiting.)
      const going = await until((s) => s.chunks >= 2 || !s.running);
      expect(going.stopped_reason).toBeNull();
      await call('control.estop');
      const stopped = await until((s) => !s.running);
      expect(stopped.stopped_reason).toBe('e-stop');
      const episode = stopped.episode_id as number;
      const runs = (await call('foresight.runs', { episode_id: episode })).runs;
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(runs.every((r: any) => r.mode === 'rank' && r.candidates.length === 2)).toBe(true);
      // The executed runs chose as `studio policy run` does: the policy's chunk unless a sample beats it by the margin.
      const executed = runs.filter((run: any) => run.decision === 'executed');
      expect(executed.length).toBeGreaterThanOrEqual(1);
      for (const r of executed) {
        const [own, sample] = r.candidates.map((c: any) => c.success_prob as number);
        expect(r.chosen_index).toBe(sample - own >= DEFAULT_RANK_MARGIN ? 1 : 0);
      }
      const detail = await call('episodes.get', { id: episode });
      expect(detail.episode.status).toBe('saved');
      expect(detail.episode.operator).toMatch(/mode=rank K=2 H=1/);
      await call('control.release');

      statuses.length = 0;
      // No H: the pack's success horizon (4 chunks), what its success head was trained to look ahead.
      await call('foresight.policyStart', { mode: 'approve', K: 2 });
      const asking = await until((s) => (s.waiting_for_approval && s.last_preview !== null) || (!s.running && s.stopped_reason !== null));
      expect(asking.stopped_reason).toBeNull();
      expect(asking.last_preview.K).toBe(2);
      const approved = await call('foresight.approve', { preview_id: asking.last_preview.preview_id, candidate: 1 });
      expect(approved).toMatchObject({ candidate: 1, played: 8, estopped: false });
      await until((s) => s.chunks === 1);
      const next = await until((s) => s.waiting_for_approval && s.last_preview.preview_id !== asking.last_preview.preview_id);
      await call('foresight.reject', { preview_id: next.last_preview.preview_id });
      const ended = await until((s) => !s.running);
      expect(ended).toMatchObject({ stopped_reason: 'rejected', chunks: 1 });
      const decided = (await call('foresight.runs', { episode_id: ended.episode_id })).runs.map((r: any) => [
        r.mode,
        r.decision,
        r.chosen_index,
      ]);
      expect(decided).toEqual([
        ['approve', 'executed', 1],
        ['approve', 'rejected', null],
      ]);
      expect((await call('episodes.get', { id: ended.episode_id })).episode.operator).toMatch(/mode=approve K=2 H=4\b/);
    },
  );

  test('a rig whose cameras do not fit the pack is refused with the reason', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    core = startTestCore(join(dir, 'data'));
    await call('foresight.open', { provider: 'cpu', threads: 1 });
    await call('rig.start');
    let error: Error | undefined;
    for (let attempt = 0; attempt < 200 && error === undefined; attempt++) {
      error = await call('foresight.preview', { K: 2, H: 1 }).then(
        () => new Error('the preview succeeded'),
        (e: Error) => (/no arm state/.test(e.message) ? new Promise((r) => setTimeout(r, 50)).then(() => undefined) : e),
      );
    }
    expect(error?.message).toMatch(/the rig's cameras do not fit the world-model pack gwm-lite-sim-franka/);
  });
});
