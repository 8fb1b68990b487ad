import type { CycleRecord } from '../control/controlLoop';
import type { RigDevices } from '../devices/rigDevices';
import { actionVector } from '../recording/rigTap';
import { ExpertEpisodes, type ExpertRunOptions } from '../runtime/expertEpisodes';
import { cameraFramesAt } from '../runtime/steppedSim';
import type { ExpertNoise } from '../sim/expert';
import { auroc, pearson, spearman } from './calibration';
import type { PackInfo } from './imaginationService';
import { observedFrames, type Observation } from './observation';
import type { ImaginationClient } from './worker/imaginationClient';

/**
 * Policy evaluation in imagination, against reality (WorldGym-style, on the simulated rig): for each
 * policy variant, N episodes run for real; at one decision point per episode — just before the gripper
 * first closes (the grasp decides the outcome) — the world model imagines the H chunks the policy really
 * executed next, from what the cameras saw there, and estimates success. Per variant, the mean estimate
 * beside the real success rate; across variants, how well the estimates order the policies.
 */
export interface EvalVariant {
  name: string;
  noise: ExpertNoise;
}

export interface EvalEpisode {
  variant: string;
  episode: number;
  seed: number;
  success: boolean;
  predicted: number;
  /** The decision point: the chunk boundary (step) the estimate was made at. */
  decision_step: number;
}

export interface EvalSummary {
  variants: { name: string; episodes: number; real: number; predicted: number }[];
  pearson: number | null;
  spearman: number | null;
  /** Episode-level: does the estimate separate successes from failures? */
  auroc: number | null;
  episodes: number;
}

interface Boundary {
  observation: Observation;
}

export async function evaluateVariant(
  devices: RigDevices,
  imagination: ImaginationClient,
  pack: PackInfo,
  variant: EvalVariant,
  options: Omit<ExpertRunOptions, 'noise'> & { episodes: number; H: number; onEpisode?: (episode: EvalEpisode) => void },
): Promise<EvalEpisode[]> {
  const L = pack.chunk_length;
  const A = pack.action_names.length;
  const runner = new ExpertEpisodes(devices, { ...options, noise: variant.noise });
  const out: EvalEpisode[] = [];
  for (let episode = 0; episode < options.episodes; episode++) {
    const boundaries: Boundary[] = [];
    const actions: number[][] = [];
    let closeStep = -1;
    let previousIntent = 0;
    let step = 0;
    const result = await runner.run(episode, {
      cycled: async (record: CycleRecord, last: boolean) => {
        const state = record.arm_state;
        if (state === null) return;
        if (step % L === 0) {
          const frames = await cameraFramesAt(devices.cameras, pack.cameras, state.capture_ns);
          boundaries.push({
            observation: {
              t_ns: state.capture_ns,
              frames: observedFrames(frames),
              proprio: [...state.ee_position_m, ...state.ee_quaternion_wxyz, record.gripper_state?.width_m ?? 0],
            },
          });
        }
        if (!last) {
          actions.push(actionVector(record.executed.sent, state, record.gripper_intent));
          // The grasp: the first open → closed edge in the policy's own steps (an exploration chunk may
          // close the gripper on the way, and the policy then holds it; that is no grasp).
          const closing = record.gripper_intent >= 0.5 && previousIntent < 0.5 && record.labels?.exploring !== true;
          if (closeStep < 0 && closing) closeStep = step;
          previousIntent = record.gripper_intent;
        }
        step++;
      },
    });
    if (result === null) break;
    // The boundary just before the grasp (or the last one, for an episode that never closed).
    const b = Math.min(boundaries.length - 1, closeStep >= 0 ? Math.floor(closeStep / L) : boundaries.length - 1);
    await imagination.reset();
    if (b > 0) await imagination.observe(boundaries[b - 1]!.observation);
    await imagination.observe(boundaries[b]!.observation);
    const chunk = new Float32Array(options.H * L * A);
    for (let s = 0; s < options.H * L; s++) {
      // After the episode's end the arm holds still with its last gripper intent.
      const a = actions[b * L + s] ?? [0, 0, 0, 0, 0, 0, actions.at(-1)?.[6] ?? 0];
      chunk.set(a.slice(0, A), s * A);
    }
    const imagined = await imagination.imagine({ K: 1, H: options.H, seed: result.seed, decode: false, candidates: { actions: chunk } });
    const row = {
      variant: variant.name,
      episode,
      seed: result.seed,
      success: result.success,
      predicted: imagined.success_prob[0] ?? NaN,
      decision_step: b * L,
    };
    out.push(row);
    options.onEpisode?.(row);
  }
  return out;
}

export function summarise(rows: readonly EvalEpisode[]): EvalSummary {
  const names = [...new Set(rows.map((r) => r.variant))];
  const variants = names.map((name) => {
    const of = rows.filter((r) => r.variant === name);
    return {
      name,
      episodes: of.length,
      real: of.filter((r) => r.success).length / of.length,
      predicted: of.reduce((a, r) => a + r.predicted, 0) / of.length,
    };
  });
  return {
    variants,
    pearson:
      variants.length >= 2
        ? pearson(
            variants.map((v) => v.predicted),
            variants.map((v) => v.real),
          )
        : null,
    spearman:
      variants.length >= 2
        ? spearman(
            variants.map((v) => v.predicted),
            variants.map((v) => v.real),
          )
        : null,
    auroc: auroc(
      rows.map((r) => r.predicted),
      rows.map((r) => (r.success ? 1 : 0)),
    ),
    episodes: rows.length,
  };
}
