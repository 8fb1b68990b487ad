import type { ArmCommand, SentAction } from '../../shared/robot/types';
import type { SimEngine } from './engine';
import { DEFAULT_EXPERT_MOTION, PickPlaceExpert, type ExpertMotion, type ExpertNoise } from './expert';
import type { PrivilegedState } from './simTypes';

export interface EpisodeOptions {
  episode: number;
  /** The run's seed; each episode's layout and noise come from (seed, episode). */
  seed: number;
  noise: ExpertNoise;
  control_hz: number;
  /** Speed limits and chunk length (default: the simulated rigs' limits, L = 8). */
  motion?: ExpertMotion;
  /** Called after every control step (recording, tests). */
  onStep?: (step: EpisodeStep) => void;
}

export interface EpisodeStep {
  index: number;
  sim_time_s: number;
  phase: string;
  exploring: boolean;
  action: ReturnType<PickPlaceExpert['act']>;
  /** The command as the arm took it (after clipping to the workspace). */
  sent: SentAction<ArmCommand>;
}

export interface EpisodeResult {
  episode: number;
  seed: number;
  success: boolean;
  steps: number;
  sim_time_s: number;
  wall_ms: number;
  real_time_factor: number;
  lifted: boolean;
  explore_steps: number;
  clipped_steps: number;
  object_target_distance_m: number;
  final: PrivilegedState;
}

/** A stable per-episode seed (so episode 7 of seed 1 is the same scene whatever N is). */
export function episodeSeed(seed: number, episode: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(episode + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** Runs one scripted episode as fast as the CPU allows (sim time, not wall time). */
export function runExpertEpisode(engine: SimEngine, options: EpisodeOptions): EpisodeResult {
  const seed = episodeSeed(options.seed, options.episode);
  const layout = engine.reset(seed);
  engine.commandPeriod_s = 1 / options.control_hz;
  const home = engine.armReading();
  const expert = new PickPlaceExpert(layout, home, options.noise, seed, options.control_hz, options.motion ?? DEFAULT_EXPERT_MOTION);
  const stepsPerControl = Math.max(1, Math.round(1 / (options.control_hz * engine.timestep_s)));
  const started = performance.now();
  let steps = 0, exploreSteps = 0, clippedSteps = 0;
  while (!expert.done()) {
    const arm = engine.armReading();
    const action = expert.act(arm);
    const sent = engine.sendArm(action.arm);
    if (sent.clipped) clippedSteps++;
    if (action.gripper !== undefined) engine.sendGripper(action.gripper);
    if (action.exploring) exploreSteps++;
    options.onStep?.({ index: steps, sim_time_s: arm.sim_time_s, phase: action.phase, exploring: action.exploring, action, sent });
    engine.step(stepsPerControl);
    steps++;
  }
  const wall_ms = performance.now() - started;
  const final = engine.privileged();
  return {
    episode: options.episode,
    seed,
    success: final.success,
    steps,
    sim_time_s: engine.sim_time_s,
    wall_ms,
    real_time_factor: engine.sim_time_s / Math.max(wall_ms / 1000, 1e-9),
    lifted: final.lifted,
    explore_steps: exploreSteps,
    clipped_steps: clippedSteps,
    object_target_distance_m: final.object_target_distance_m,
    final,
  };
}
