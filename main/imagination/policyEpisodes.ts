import { createHash } from 'node:crypto';
import { StudioError } from '../../shared/api/errors';
import { DEFAULT_RANK_MARGIN } from '../../shared/foresight/rankMargin';
import { ChunkSource, type ChunkAction } from '../control/chunkSource';
import type { CycleRecord } from '../control/controlLoop';
import { episodeSeed } from '../runtime/expertEpisodes';
import type { SteppedSim } from '../runtime/steppedSim';
import type { SceneLayout } from '../sim/pickPlaceTask';
import type { PrivilegedState } from '../sim/simTypes';
import type { ForesightCandidate, ForesightRun } from '../store/foresightStore';
import type { Imagined, PackInfo } from './imaginationService';
import { observedFrames, type Observation } from './observation';
import { remoteCandidates, remoteObservation } from './remote/remoteCandidates';
import type { RemotePolicy } from './remote/remotePolicy';
import type { ImaginationClient } from './worker/imaginationClient';

/**
 * A policy drives the simulated rig chunk by chunk, with foresight: at each chunk boundary the studio
 * observes (cameras + proprio), the world model imagines the policy's candidates, and the mode decides
 * what runs — `off` the policy's own chunk (its mode), `rank` the candidate with the best predicted
 * success (GPC-RANK), `gate` the policy's chunk only if its predicted success clears the threshold
 * (else the run pauses for the operator; headless, the episode stops as `gated`). The chosen chunk is
 * an action source of the control loop: the same safety limits, clipping and e-stop as teleop.
 */
export type ForesightMode = 'off' | 'rank' | 'gate';
export const FORESIGHT_MODES: readonly ForesightMode[] = ['off', 'rank', 'gate'];

export interface PolicyRunOptions {
  mode: ForesightMode;
  /** Candidates imagined per decision (rank); off and gate imagine the policy's mode only. */
  K: number;
  /** Chunks imagined ahead. */
  H: number;
  seed: number;
  /** gate: the least predicted success that runs. */
  threshold: number;
  /** Policy noise scale for candidates 1…K−1. */
  temperature: number;
  /** rank: how much higher a sample's predicted success must be to replace the policy's own chunk (default DEFAULT_RANK_MARGIN). */
  rank_margin?: number;
  max_duration_s: number;
  /** Candidates from a remote policy server (openpi protocol) instead of the pack's policy: K requests per decision. */
  remote?: RemotePolicy;
  /** The task instruction (sent to a remote policy). */
  task?: string;
  /** Steps of each chosen chunk executed before deciding again (receding horizon; default: the whole chunk). */
  execute_steps?: number;
}

export interface Decision {
  chunk: number;
  run: ForesightRun;
  imagined: Imagined;
  /** Null when the gate held the chunk back. */
  executed: ChunkAction[] | null;
}

export interface PolicyEpisodeResult {
  episode: number;
  seed: number;
  success: boolean;
  /** `success`, `timeout` or `gated`. */
  ended_by: 'success' | 'timeout' | 'gated';
  chunks: number;
  steps: number;
  clipped_steps: number;
  sim_time_s: number;
  wall_ms: number;
  /** Median decision latency (observe → chosen), ms. */
  decision_ms_median: number;
  final: PrivilegedState | undefined;
}

export interface PolicyEpisodeHooks {
  starting?: (episode: { layout: SceneLayout; seed: number; origin_ns: bigint; policy: Record<string, unknown> }) => Promise<void>;
  cycled?: (record: CycleRecord, last: boolean) => Promise<void> | void;
  /** After each decision, before its chunk runs; returns the stored run's id (or null). */
  decided?: (decision: Decision) => Promise<number | null> | number | null;
  /** After the chosen chunk ran: what really happened, for the decision's stored run. */
  realised?: (runId: number, real: Record<string, unknown>) => void;
  stopRequested?: () => boolean;
}

/** What the world model needs from the simulated rig now: the pack's cameras at the arm state's instant, and the proprio. */
export async function observeSim(sim: SteppedSim, cameras: readonly string[]): Promise<Observation> {
  const state = sim.arm.latest();
  if (state === undefined) throw new StudioError({ code: 'unavailable', message: 'no arm state to observe' });
  const gripper = sim.gripperState();
  const frames = await sim.framesAt(cameras, state.capture_ns);
  return {
    t_ns: state.capture_ns,
    frames: observedFrames(frames),
    proprio: [...state.ee_position_m, ...state.ee_quaternion_wxyz, gripper?.width_m ?? 0],
  };
}

/** A short digest of what the model saw (frames and proprio), to find identical inputs again. */
export function observationHash(observation: Observation): string {
  const hash = createHash('sha256');
  for (const frame of observation.frames) {
    hash.update(frame.camera);
    hash.update(frame.rgb);
    hash.update(new Uint8Array(frame.depth_mm.buffer, frame.depth_mm.byteOffset, frame.depth_mm.byteLength));
  }
  hash.update(new Uint8Array(Float64Array.from(observation.proprio).buffer));
  return hash.digest('hex').slice(0, 32);
}

/** Chunk `h = 0` of candidate k as the loop's action steps. */
export function chunkOf(imagined: Imagined, k: number, L: number, A: number): ChunkAction[] {
  return actionsAt(imagined.actions, k * imagined.H * L, L, A);
}

/** `steps` actions from step `first` of a flat (…, A) action array, as the control worker runs them (gripper in [0, 1]). */
export function actionsAt(flat: Float32Array, first: number, steps: number, A: number): ChunkAction[] {
  return Array.from({ length: steps }, (_, s) => {
    const a = flat.subarray((first + s) * A, (first + s + 1) * A);
    return {
      translation_m: [a[0] ?? 0, a[1] ?? 0, a[2] ?? 0],
      rotation_axis_angle_rad: [a[3] ?? 0, a[4] ?? 0, a[5] ?? 0],
      gripper: Math.min(1, Math.max(0, a[6] ?? 0)),
    };
  });
}

// rank's default margin lives on the ground floor so the UI describes the same rule (shared/foresight/rankMargin.ts).
export { DEFAULT_RANK_MARGIN };

/**
 * Which candidate runs: rank takes the best predicted success (ties to the lowest index) if it beats the
 * policy's own chunk by at least `rank_margin`, else the policy's chunk; gate the policy's chunk only at or
 * above the threshold; off the policy's chunk.
 */
export function choose(
  mode: ForesightMode,
  success: Float32Array,
  threshold: number,
  rank_margin = DEFAULT_RANK_MARGIN,
): { index: number | null; decision: 'executed' | 'gated' } {
  if (mode === 'rank') {
    let best = 0;
    for (let k = 1; k < success.length; k++) if ((success[k] ?? 0) > (success[best] ?? 0)) best = k;
    return { index: (success[best] ?? 0) - (success[0] ?? 0) >= rank_margin ? best : 0, decision: 'executed' };
  }
  if (mode === 'gate' && (success[0] ?? 0) < threshold) return { index: null, decision: 'gated' };
  return { index: 0, decision: 'executed' };
}

const median = (values: number[]): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export class PolicyEpisodes {
  constructor(
    private readonly sim: SteppedSim,
    private readonly imagination: ImaginationClient,
    private readonly pack: PackInfo,
    private readonly options: PolicyRunOptions,
  ) {
    if (!pack.has_policy && options.remote === undefined)
      throw new StudioError({
        code: 'failed_precondition',
        message: `the pack ${pack.model_name} has no policy graph`,
        fix: 'Use a pack trained with its policy stage (models/: python -m gwmlite policy).',
      });
    if (options.mode === 'rank' && options.K < 2)
      throw new StudioError({
        code: 'invalid_params',
        message: '--mode rank needs at least 2 candidates',
        fix: 'Pass --candidates 8 (GPC-RANK ranks K samples of the policy).',
      });
  }

  async run(episode: number, hooks: PolicyEpisodeHooks = {}): Promise<PolicyEpisodeResult | null> {
    const { mode, K, H, threshold, temperature, max_duration_s } = this.options;
    const seed = episodeSeed(this.options.seed, episode);
    const L = this.pack.chunk_length;
    const A = this.pack.action_names.length;
    const policy = {
      kind: this.options.remote !== undefined ? 'remote-policy' : 'gwm-pack-policy',
      ...(this.options.remote !== undefined ? { url: this.options.remote.config.url } : {}),
      pack: this.pack.model_name,
      pack_version: this.pack.model_version,
      pack_sha256: this.pack.manifest_sha256,
      mode,
      K: mode === 'rank' ? K : 1,
      ...(mode === 'rank' ? { rank_margin: this.options.rank_margin ?? DEFAULT_RANK_MARGIN } : {}),
      H,
      threshold,
      temperature,
      episode,
      episode_seed: seed,
    };
    let chunkSource = new ChunkSource([], { kind: 'policy' });
    const { layout, origin_ns } = await this.sim.reset(seed, chunkSource);
    await this.imagination.reset();
    await hooks.starting?.({ layout, seed, origin_ns, policy });
    await this.sim.settle();
    const started = performance.now();
    let steps = 0;
    let clipped = 0;
    let chunks = 0;
    const latencies: number[] = [];
    let ended_by: PolicyEpisodeResult['ended_by'] = 'timeout';
    for (;;) {
      if (hooks.stopRequested?.() === true) return null;
      if (this.sim.privileged()?.success === true) {
        ended_by = 'success';
        break;
      }
      if (this.sim.sim_time_s >= max_duration_s - 1e-9) break;
      // Decide: observe, imagine the candidates, choose.
      const decisionStarted = performance.now();
      const observation = await observeSim(this.sim, this.pack.cameras);
      await this.imagination.observe(observation);
      const count = mode === 'rank' ? K : 1;
      const proposals =
        this.options.remote === undefined
          ? { policy: { seed: seed * 31 + chunks, temperature } }
          : {
              actions: await remoteCandidates(
                this.options.remote,
                remoteObservation(observation.frames, observation.proprio, this.options.task ?? ''),
                count,
                { H, L, A },
              ),
            };
      const imagined = await this.imagination.imagine({ K: count, H, seed: seed + chunks, decode: false, candidates: proposals });
      const choice = choose(mode, imagined.success_prob, threshold, this.options.rank_margin);
      latencies.push(performance.now() - decisionStarted);
      const candidates: ForesightCandidate[] = Array.from({ length: imagined.K }, (_, k) => ({
        source: this.options.remote !== undefined ? `remote:sample-${k}` : k === 0 ? 'policy:mode' : `policy:sample-${k}`,
        success_prob: imagined.success_prob[k] ?? NaN,
        progress: Array.from(imagined.progress.subarray(k * imagined.progress_steps, (k + 1) * imagined.progress_steps)),
        chunk: chunkOf(imagined, k, L, A).map((a) => [...a.translation_m, ...a.rotation_axis_angle_rad, a.gripper]),
      }));
      const executed = choice.index === null ? null : chunkOf(imagined, choice.index, L, A);
      const run: ForesightRun = {
        episode_id: null,
        t_ns: observation.t_ns,
        model: { name: this.pack.model_name, version: this.pack.model_version, dir: this.pack.dir },
        pack_sha256: this.pack.manifest_sha256,
        provider: this.pack.provider.provider,
        mode,
        decision: choice.decision,
        horizon: H,
        latency_ms: imagined.latency_ms,
        input_hash: observationHash(observation),
        candidates,
        chosen_index: choice.index,
      };
      const runId = (await hooks.decided?.({ chunk: chunks, run, imagined, executed })) ?? null;
      if (executed === null) {
        ended_by = 'gated';
        break;
      }
      // Execute: the chosen chunk is the loop's source for its L cycles.
      chunkSource = new ChunkSource(executed.slice(0, this.options.execute_steps ?? L), { kind: 'policy' });
      this.sim.setSource(chunkSource);
      while (!chunkSource.done()) {
        if (hooks.stopRequested?.() === true) return null;
        const record = await this.sim.cycle();
        if (record.executed.clipped) clipped++;
        steps++;
        await hooks.cycled?.(record, false);
        await this.sim.advance();
      }
      chunks++;
      const after = this.sim.privileged();
      if (runId !== null && after !== undefined) {
        hooks.realised?.(runId, {
          sim_time_s: after.sim_time_s,
          object_target_distance_m: after.object_target_distance_m,
          grasped: after.grasped,
          lifted: after.lifted,
          success: after.success,
        });
      }
    }
    // The observation after the last action closes the last chunk; nothing more is commanded.
    this.sim.setSource(new ChunkSource([], { kind: 'policy' }));
    await hooks.cycled?.(await this.sim.cycle(), true);
    const final = this.sim.privileged();
    const wall_ms = performance.now() - started;
    return {
      episode,
      seed,
      success: final?.success ?? false,
      ended_by,
      chunks,
      steps,
      clipped_steps: clipped,
      sim_time_s: this.sim.sim_time_s,
      wall_ms,
      decision_ms_median: median(latencies),
      final,
    };
  }
}
