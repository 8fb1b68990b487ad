import { ChunkSource } from '../control/chunkSource';
import { ExpertSource } from '../control/expertSource';
import { actionVector } from '../recording/rigTap';
import { episodeSeed } from '../runtime/expertEpisodes';
import type { SteppedSim } from '../runtime/steppedSim';
import type { ExpertMotion, ExpertNoise } from '../sim/expert';
import type { PrivilegedState } from '../sim/simTypes';
import { kendallTau } from './calibration';
import { imaginedObjectRise, type ObjectAtObservation } from './objectRise';
import { perturbations, type StepLimits } from './candidates';
import type { PackInfo } from './imaginationService';
import { actionsAt, observeSim } from './policyEpisodes';
import type { Observation } from './observation';
import type { ImaginationClient } from './worker/imaginationClient';

/**
 * The ranking test (GPC-RANK's question: does the world model pick the chunk that really works?): the
 * scripted expert runs an episode up to the chunk boundary just before its grasp; there the simulator's
 * state is kept. K candidates — the expert's own next H chunks and K−1 perturbations of them — are
 * imagined from what the cameras saw, and each is also executed for real from the restored state. The
 * real score of a candidate is what H chunks achieved: lifted (2), grasped (1), minus the cube's distance
 * to the target; the model's is its success estimate. Top-1: the model's pick is among the real best.
 */
export interface RankingOptions {
  K: number;
  H: number;
  seed: number;
  noise: ExpertNoise;
  motion: ExpertMotion;
  control_hz: number;
  limits: StepLimits;
  /** Perturbation per chunk and candidate. */
  scale: { translation_m: number; rotation_rad: number };
}

export interface RankingState {
  state: number;
  seed: number;
  decision_step: number;
  predicted: number[];
  real_score: number[];
  /** What each candidate really did after H chunks (`rise_m`: the object's highest rise over where it was observed). */
  real: { grasped: boolean; lifted: boolean; object_target_distance_m: number; rise_m: number }[];
  /**
   * The same rise in each candidate's imagined future (`imaginedObjectRise`), from `object_splats` of the
   * object's observed Gaussians; null when none was seen. Where a wrong estimate comes from: the dynamics
   * (it imagined a lift that did not happen) or the success head (it misread a right future).
   */
  imagined_rise_m: (number | null)[];
  object_splats: number;
  top1_hit: boolean;
  /**
   * The same question by outcome class (lifted > grasped > neither): the pick reached the best class any
   * candidate reached. Its chance is that class's share of the K candidates — often far above 1/K, since
   * several candidates lift alike and then differ only by millimetres of the cube's distance to target.
   */
  outcome_top1_hit: boolean;
  outcome_chance: number;
  kendall_tau: number | null;
}

/** A candidate's real outcome class: lifted (2), grasped (1), neither (0). */
export function outcomeClass(real: { grasped: boolean; lifted: boolean }): number {
  return real.lifted ? 2 : real.grasped ? 1 : 0;
}

/** The task's object (the first) where the simulator has it now. */
function objectNow(sim: SteppedSim): ObjectAtObservation {
  const object = sim.privileged()?.objects[0];
  if (object === undefined) throw new Error('the simulator reported no object');
  return { position_m: object.position_m, rgb: object.rgb };
}

export function realScore(p: PrivilegedState): number {
  return (p.lifted ? 2 : 0) + (p.grasped ? 1 : 0) - p.object_target_distance_m;
}

/** One test state from episode `index`; null when the expert never grasped (no decision point). */
export async function rankingState(
  sim: SteppedSim,
  imagination: ImaginationClient,
  pack: PackInfo,
  index: number,
  options: RankingOptions,
): Promise<RankingState | null> {
  const { K, H, control_hz, motion, noise } = options;
  const L = pack.chunk_length;
  const A = pack.action_names.length;
  const seed = episodeSeed(options.seed, index);
  let expert: ExpertSource | undefined;
  await sim.reset(seed, (layout) => (expert = new ExpertSource({ layout, seed, noise, control_hz, motion, policy: {} })));
  await sim.settle();
  // Run the expert, keeping each chunk boundary's state and observation, until H chunks after its grasp decision.
  const boundaries: { snapshot: number; observation: Observation; object: ObjectAtObservation }[] = [];
  const actions: number[][] = [];
  let closeStep = -1;
  let previousIntent = 0;
  for (let step = 0; ; step++) {
    if (step % L === 0) {
      const decided = closeStep >= 0 ? Math.floor(closeStep / L) : -1;
      if (decided >= 0 && step >= (decided + H) * L) break;
      boundaries.push({ snapshot: await sim.snapshot(), observation: await observeSim(sim, pack.cameras), object: objectNow(sim) });
    }
    if (expert!.done()) return null;
    const record = await sim.cycle();
    if (record.arm_state !== null) actions.push(actionVector(record.executed.sent, record.arm_state, record.gripper_intent));
    const closing = record.gripper_intent >= 0.5 && previousIntent < 0.5 && record.labels?.exploring !== true;
    if (closeStep < 0 && closing) closeStep = step;
    previousIntent = record.gripper_intent;
    await sim.advance();
  }
  const b = Math.floor(closeStep / L);
  const base = Float32Array.from(actions.slice(b * L, (b + H) * L).flatMap((a) => a.slice(0, A)));
  const candidates = perturbations(base, K, { H, L, A }, seed, options.scale, options.limits);

  await imagination.reset();
  if (b > 0) await imagination.observe(boundaries[b - 1]!.observation);
  await imagination.observe(boundaries[b]!.observation);
  const imagined = await imagination.imagine({ K, H, seed, decode: true, candidates: { actions: candidates } });
  const predicted = Array.from(imagined.success_prob);
  const object = boundaries[b]!.object;
  const imaginedRise =
    imagined.gaussians === null
      ? { splats: 0, rise_m: predicted.map(() => null) }
      : imaginedObjectRise(
          imagined.observed_gaussians,
          imagined.observed_mask,
          imagined.gaussians,
          { K, H, N: pack.num_gaussians },
          object,
        );

  const real: RankingState['real'] = [];
  const scores: number[] = [];
  for (let k = 0; k < K; k++) {
    const source = new ChunkSource(actionsAt(candidates, k * H * L, H * L, A), { kind: 'chunk' });
    await sim.restore(boundaries[b]!.snapshot, source);
    // The rise measured at each chunk boundary, as the imagined one is.
    let rise_m = -Infinity;
    for (let step = 1; !source.done(); step++) {
      await sim.cycle();
      await sim.advance();
      if (step % L === 0) rise_m = Math.max(rise_m, objectNow(sim).position_m[2]! - object.position_m[2]!);
    }
    const p = sim.privileged();
    if (p === undefined) throw new Error('the simulator reported no ground truth');
    real.push({ grasped: p.grasped, lifted: p.lifted, object_target_distance_m: p.object_target_distance_m, rise_m });
    scores.push(realScore(p));
  }
  const pick = predicted.indexOf(Math.max(...predicted));
  const best = Math.max(...scores);
  const classes = real.map(outcomeClass);
  const bestClass = Math.max(...classes);
  return {
    state: index,
    seed,
    decision_step: b * L,
    predicted,
    real_score: scores,
    real,
    imagined_rise_m: imaginedRise.rise_m,
    object_splats: imaginedRise.splats,
    // Ties in reality (several candidates equally good) all count as the best.
    top1_hit: (scores[pick] ?? -Infinity) >= best - 1e-9,
    outcome_top1_hit: classes[pick] === bestClass,
    outcome_chance: classes.filter((c) => c === bestClass).length / K,
    kendall_tau: kendallTau(predicted, scores),
  };
}
