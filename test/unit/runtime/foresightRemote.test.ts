import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { EventPayload, Params, Result } from '../../../shared/api/contract';
import { startTestCore } from '../../support/core';
import { requirePeerPython, startPeer, stopPeer, type Peer } from '../../support/openpiPeer';
import { useTempDirs } from '../../support/tempDir';

type PolicyStatus = EventPayload<'foresight.policy'>;

/**
 * A remote policy server (openpi's websocket protocol, the Python peer on loopback) drives the live
 * simulated rig with foresight through StudioApi, as the Policy panel starts it: the server's chunks are
 * the candidates the open pack imagines and ranks; an unreachable server starts nothing; the e-stop ends
 * a run at once even while the server has not answered.
 */
describe('policy runs from a remote policy server on the live rig', () => {
  const tempDir = useTempDirs();
  let core: ReturnType<typeof startTestCore> | undefined;
  let peer: Peer | undefined;
  afterEach(async () => {
    await core?.close();
    if (peer !== undefined) await stopPeer(peer);
    core = peer = undefined;
  });

  async function call<
    M extends
      | 'foresight.open'
      | 'foresight.preview'
      | 'foresight.policyStart'
      | 'foresight.policyStop'
      | 'foresight.runs'
      | 'episodes.get'
      | 'recording.status'
      | 'rig.start'
      | 'control.estop',
  >(method: M, params: Partial<Params<M>> = {}): Promise<Result<M>> {
    const outcome = await core!.connect({ transport: 'in-process' }).call(method, params);
    if (!outcome.ok) throw Object.assign(new Error(`${method}: ${outcome.error.message}`), { payload: outcome.error });
    return outcome.result as Result<M>;
  }

  /** The first policy status (already seen or to come) that satisfies `accept`. */
  function watch(): (accept: (status: PolicyStatus) => boolean) => Promise<PolicyStatus> {
    const seen: PolicyStatus[] = [];
    const waiters: { accept: (s: PolicyStatus) => boolean; resolve: (s: PolicyStatus) => void }[] = [];
    core!.events.subscribe((name, payload) => {
      if (name !== 'foresight.policy') return;
      const status = payload as PolicyStatus;
      seen.push(status);
      for (const waiter of waiters.splice(0))
        if (waiter.accept(status)) waiter.resolve(status);
        else waiters.push(waiter);
    });
    return (accept) => {
      const found = seen.find(accept);
      return found !== undefined
        ? Promise.resolve(found)
        : new Promise((resolvePromise) => waiters.push({ accept, resolve: resolvePromise }));
    };
  }

  /** Opens the reference pack, starts the rig and waits until a preview works (every camera has sent a frame). */
  async function ready(): Promise<void> {
    core = startTestCore(join(tempDir(), 'data'), { rigPath: resolve('rigs/sim-gwm.json') });
    await call('foresight.open', { provider: 'cpu', threads: 1 });
    await call('rig.start');
    for (let attempt = 0; ; attempt++) {
      const ok = await call('foresight.preview', { K: 1, H: 1 }).then(
        () => true,
        (error: Error) => {
          if (attempt > 200 || !/has none by that name|no arm state/.test(error.message)) throw error;
          return new Promise<boolean>((r) => setTimeout(() => r(false), 50));
        },
      );
      if (ok) return;
    }
  }

  test(
    'rank: K requests per decision, the server’s chunks imagined and the best run; the take names the server',
    { timeout: 180_000 },
    async () => {
      requirePeerPython();
      peer = await startPeer('normal');
      await ready();
      const until = watch();
      const started = await call('foresight.policyStart', { mode: 'rank', K: 2, H: 1, remote: { url: peer.url }, task: 'pick the cube' });
      expect(started).toMatchObject({ running: true, mode: 'rank', policy: `remote ${peer.url}`, chunks: 0 });
      const going = await until((s) => s.chunks >= 1 || !s.running);
      expect(going.stopped_reason).toBeNull();
      const stopped = await call('foresight.policyStop');
      expect(stopped).toMatchObject({ running: false, stopped_reason: 'operator', policy: `remote ${peer.url}` });

      const { runs } = await call('foresight.runs', { episode_id: stopped.episode_id! });
      expect(runs.length).toBeGreaterThanOrEqual(1);
      const first = runs[0]!;
      expect(first).toMatchObject({ mode: 'rank', decision: 'executed' });
      expect(first.candidates.map((c) => c.source)).toEqual(['remote:sample-0', 'remote:sample-1']);
      // The peer's actions are 0.001·(h+1)(j+1) + 0.01·state[j]: from one step to the next, x grows by 1 mm and z by 3 mm —
      // so what was imagined (and stored) is the server's chunk, step for step.
      const chunk = first.candidates[first.chosen_index!]!.chunk;
      expect(chunk).toHaveLength(8);
      for (let s = 1; s < 8; s++) {
        expect(chunk[s]![0]! - chunk[s - 1]![0]!).toBeCloseTo(0.001, 6);
        expect(chunk[s]![2]! - chunk[s - 1]![2]!).toBeCloseTo(0.003, 6);
      }
      expect(first.real).toMatchObject({ played: 8, estopped: false });
      const detail = await call('episodes.get', { id: stopped.episode_id! });
      expect(detail.episode).toMatchObject({ status: 'saved', task: 'pick the cube' });
      expect(detail.episode.operator.startsWith(`remote policy ${peer.url} mode=rank K=2 H=1 (imagined by gwm-lite-sim-franka@`)).toBe(
        true,
      );
    },
  );

  test(
    'an unreachable server starts nothing and says where it looked; the e-stop ends a run at once while the server has not answered',
    { timeout: 180_000 },
    async () => {
      requirePeerPython();
      // A server that holds its first answer for ten minutes: only a stop that does not wait for it ends this test in time.
      peer = await startPeer('slow', ['--delay', '600']);
      await ready();
      const refused = await call('foresight.policyStart', { mode: 'off', remote: { url: 'ws://127.0.0.1:9' } }).catch(
        (error: { payload?: unknown }) => error.payload,
      );
      expect(refused).toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/cannot reach the policy server at ws:\/\/127\.0\.0\.1:9/),
      });
      expect((await call('recording.status')).phase).not.toBe('recording');
      const badConfig = await call('foresight.policyStart', {
        mode: 'off',
        remote: { url: peer.url, config: { images: { 'observation/image': 'no-such-camera' } } },
      }).catch((error: { payload?: unknown }) => error.payload);
      expect(badConfig).toMatchObject({
        code: 'invalid_params',
        message: expect.stringMatching(/names camera "no-such-camera", which the rig does not have \(cameras: front, /),
      });
      expect((await call('recording.status')).phase).not.toBe('recording');

      const until = watch();
      // The client would wait as long as the server (request timeout 10 min), so nothing but the stop itself can end the wait.
      const started = await call('foresight.policyStart', {
        mode: 'rank',
        K: 2,
        H: 1,
        remote: { url: peer.url, config: { request_timeout_ms: 600_000 } },
      });
      expect(started.running).toBe(true);
      await call('control.estop');
      const stopped = await until((s) => !s.running);
      expect(stopped).toMatchObject({ stopped_reason: 'e-stop', chunks: 0 });
      expect((await call('episodes.get', { id: stopped.episode_id! })).episode.status).toBe('saved');
    },
  );
});
