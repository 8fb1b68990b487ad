import { StudioError } from '../../shared/api/errors';
import type { SafetyConfig } from '../../shared/rig/rigConfig';
import type { ControlLoop, CycleRecord } from '../control/controlLoop';
import { ExpertSource } from '../control/expertSource';
import type { RigDevices } from '../devices/rigDevices';
import type { ExpertMotion, ExpertNoise } from '../sim/expert';
import type { SceneLayout } from '../sim/pickPlaceTask';
import type { PrivilegedState } from '../sim/simTypes';
import { SteppedSim } from './steppedSim';

/**
 * Headless expert episodes on the simulated rig: the control loop the control worker runs, with the
 * scripted expert as its action source, so its commands pass the same safety limits, clipping and
 * e-stop as teleop's and its cycles are recorded the same way (`RigTap.recordCycleRecord`). The loop
 * is stepped rather than scheduled: one cycle, then the simulation advances one control period, as
 * fast as it goes (or, with `realTime`, as the simulation's own clock paces it).
 * `studio record --sim --expert` records these episodes; `studio sim expert` only counts them.
 */
export interface ExpertRunOptions {
  seed: number;
  noise: ExpertNoise;
  control_hz: number;
  motion: ExpertMotion;
  safety: SafetyConfig;
  realTime?: boolean;
}

export interface ExpertEpisodeResult {
  episode: number;
  seed: number;
  success: boolean;
  /** Actions taken (the final observation's hold not counted). */
  steps: number;
  explore_steps: number;
  /** Cycles whose command safety or the arm changed. */
  clipped_steps: number;
  sim_time_s: number;
  wall_ms: number;
  real_time_factor: number;
  final: PrivilegedState | undefined;
}

export interface EpisodeHooks {
  /** After the reset, before the first state: the recording's episode starts here (on the sim clock's origin). */
  starting?: (episode: { layout: SceneLayout; seed: number; origin_ns: bigint; policy: Record<string, unknown> }) => Promise<void>;
  /** After each cycle (the recorder's tick, progress lines). */
  /** After each cycle (the recorder's tick, progress lines); `last` for the final observation's cycle. */
  cycled?: (record: CycleRecord, last: boolean) => Promise<void> | void;
  /** Stop between cycles (SIGINT). */
  stopRequested?: () => boolean;
}

/** A stable per-episode seed (so episode 7 of seed 1 is the same scene whatever N is). */
export function episodeSeed(seed: number, episode: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(episode + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

export class ExpertEpisodes {
  private readonly sim: SteppedSim;

  constructor(
    devices: RigDevices,
    private readonly options: ExpertRunOptions,
  ) {
    this.sim = new SteppedSim(devices, {
      control_hz: options.control_hz,
      safety: options.safety,
      ...(options.realTime !== undefined ? { realTime: options.realTime } : {}),
    });
  }

  get loop(): ControlLoop {
    return this.sim.loop;
  }

  async run(episode: number, hooks: EpisodeHooks = {}): Promise<ExpertEpisodeResult | null> {
    const { seed: runSeed, noise, control_hz, motion } = this.options;
    const seed = episodeSeed(runSeed, episode);
    const policy = { kind: 'scripted-expert', noise, motion, control_hz, run_seed: runSeed, episode, episode_seed: seed };
    // The scene first (the expert plans from its layout), then the expert as the loop's source.
    let source: ExpertSource | undefined;
    const { layout, origin_ns } = await this.sim.reset(
      seed,
      (layout: SceneLayout) => (source = new ExpertSource({ layout, seed, noise, control_hz, motion, policy })),
    );
    if (source === undefined) throw new StudioError({ code: 'internal', message: 'the expert source was not created' });
    const expert: ExpertSource = source;
    await hooks.starting?.({ layout, seed, origin_ns, policy });
    // Sim time 0, before any action: the observation before the first action is recorded.
    await this.sim.settle();
    const started = performance.now();
    let clipped = 0;
    for (;;) {
      if (hooks.stopRequested?.() === true) return null;
      const record = await this.sim.cycle();
      if (record.executed.clipped && !expert.done()) clipped++;
      await hooks.cycled?.(record, expert.done());
      // The observation after the last action closes the last chunk; nothing more is commanded.
      if (expert.done()) break;
      await this.sim.advance();
    }
    const wall_ms = performance.now() - started;
    const final = this.sim.privileged();
    const sim_time_s = this.sim.sim_time_s;
    return {
      episode,
      seed,
      success: final?.success ?? false,
      steps: expert.steps,
      explore_steps: expert.explore_steps,
      clipped_steps: clipped,
      sim_time_s,
      wall_ms,
      real_time_factor: sim_time_s / Math.max(wall_ms / 1000, 1e-9),
      final,
    };
  }
}
