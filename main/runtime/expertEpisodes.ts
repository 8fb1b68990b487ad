import { StudioError } from '../../shared/api/errors';
import type { SafetyConfig } from '../../shared/rig/rigConfig';
import { ChunkSource } from '../control/chunkSource';
import { ControlLoop, type CycleRecord } from '../control/controlLoop';
import { ExpertSource } from '../control/expertSource';
import type { RigDevices } from '../devices/rigDevices';
import { SimArm } from '../devices/sim/simArm';
import type { Clock } from '../devices/types';
import type { ExpertMotion, ExpertNoise } from '../sim/expert';
import type { SceneLayout } from '../sim/pickPlaceTask';
import type { PrivilegedState } from '../sim/simTypes';

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
  readonly loop: ControlLoop;
  private readonly arm: SimArm;

  constructor(
    devices: RigDevices,
    private readonly options: ExpertRunOptions,
  ) {
    const arm = devices.arm;
    if (!(arm instanceof SimArm)) throw new StudioError({ code: 'internal', message: 'the sim rig did not create a sim-arm' });
    this.arm = arm;
    const session = arm.session;
    // The loop's clock is the simulation's: a cycle is stamped with the sim time of the state it used.
    const simClock: Clock = { now_ns: () => arm.latest()?.capture_ns ?? session.capture_ns(0) };
    // Nothing to play until an episode starts.
    const idle = new ChunkSource([]);
    this.loop = new ControlLoop({
      arm,
      ...(devices.gripper !== undefined ? { gripper: devices.gripper } : {}),
      source: idle,
      groundTruth: () => arm.privileged(),
      safety: options.safety,
      rate_hz: options.control_hz,
      clock: simClock,
    });
  }

  async run(episode: number, hooks: EpisodeHooks = {}): Promise<ExpertEpisodeResult | null> {
    const { seed: runSeed, noise, control_hz, motion, realTime } = this.options;
    const session = this.arm.session;
    const seed = episodeSeed(runSeed, episode);
    const layout = await session.reset(seed);
    const policy = { kind: 'scripted-expert', noise, motion, control_hz, run_seed: runSeed, episode, episode_seed: seed };
    const source = new ExpertSource({ layout, seed, noise, control_hz, motion, policy });
    this.loop.setSource(source, { gripper_intent: 0 });
    await hooks.starting?.({ layout, seed, origin_ns: session.capture_ns(0), policy });
    // Sim time 0, before any action: the observation before the first action is recorded.
    if (!realTime) await session.request('advance', 0);
    await waitFor(() => session.latestArm, 2000, 'the first arm state after reset');
    const started = performance.now();
    const period_ms = 1000 / control_hz;
    let nextTick = started;
    let clipped = 0;
    for (;;) {
      if (hooks.stopRequested?.() === true) return null;
      const record = await this.loop.cycle('tick');
      if (record === null) throw new StudioError({ code: 'internal', message: 'a stepped control cycle was superseded' });
      if (record.executed.clipped && !source.done()) clipped++;
      await hooks.cycled?.(record, source.done());
      // The observation after the last action closes the last chunk; nothing more is commanded.
      if (source.done()) break;
      if (realTime) {
        nextTick += period_ms;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextTick - performance.now())));
      } else {
        await session.request('advance', 1 / control_hz);
      }
    }
    const wall_ms = performance.now() - started;
    const final = this.arm.privileged();
    const sim_time_s = session.latestArm?.sim_time_s ?? 0;
    return {
      episode,
      seed,
      success: final?.success ?? false,
      steps: source.steps,
      explore_steps: source.explore_steps,
      clipped_steps: clipped,
      sim_time_s,
      wall_ms,
      real_time_factor: sim_time_s / Math.max(wall_ms / 1000, 1e-9),
      final,
    };
  }
}

async function waitFor<T>(read: () => T | undefined, timeout_ms: number, what: string): Promise<T> {
  const deadline = performance.now() + timeout_ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new StudioError({ code: 'unavailable', message: `no ${what} within ${timeout_ms} ms` });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
