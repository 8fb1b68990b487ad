import { StudioError } from '../../shared/api/errors';
import type { SafetyConfig } from '../../shared/rig/rigConfig';
import { ChunkSource } from '../control/chunkSource';
import type { ActionSource } from '../control/actionSource';
import { ControlLoop, type CycleRecord } from '../control/controlLoop';
import type { RigDevices } from '../devices/rigDevices';
import { SimArm } from '../devices/sim/simArm';
import type { Camera, CameraFrame, Clock, GripperState } from '../devices/types';
import type { SceneLayout } from '../sim/pickPlaceTask';
import type { PrivilegedState } from '../sim/simTypes';

/**
 * The simulated rig driven in lockstep, for headless episodes (the scripted expert, a policy): the
 * control loop the control worker runs — its source's commands through the same safety limits,
 * clipping and e-stop — stepped one cycle at a time, the simulation advancing one control period after
 * each, as fast as it goes (or, with `realTime`, paced by the wall clock). The loop's clock is the
 * simulation's: a cycle is stamped with the sim time of the state it used.
 */
export class SteppedSim {
  readonly loop: ControlLoop;
  readonly arm: SimArm;
  private readonly period_ms: number;
  private nextTick = 0;

  constructor(
    private readonly devices: RigDevices,
    private readonly options: { control_hz: number; safety: SafetyConfig; realTime?: boolean },
  ) {
    const arm = devices.arm;
    if (!(arm instanceof SimArm)) throw new StudioError({ code: 'internal', message: 'the sim rig did not create a sim-arm' });
    this.arm = arm;
    const session = arm.session;
    const simClock: Clock = { now_ns: () => arm.latest()?.capture_ns ?? session.capture_ns(0) };
    this.period_ms = 1000 / options.control_hz;
    this.loop = new ControlLoop({
      arm,
      ...(devices.gripper !== undefined ? { gripper: devices.gripper } : {}),
      // Nothing to play until an episode starts.
      source: new ChunkSource([]),
      groundTruth: () => arm.privileged(),
      safety: options.safety,
      rate_hz: options.control_hz,
      clock: simClock,
    });
  }

  /**
   * A new scene from `seed` with `source` driving (or the source made for its layout, for a scripted
   * policy that plans from the scene); the episode's clock origin is sim time 0.
   */
  async reset(
    seed: number,
    source: ActionSource | ((layout: SceneLayout) => ActionSource),
  ): Promise<{ layout: SceneLayout; origin_ns: bigint }> {
    const session = this.arm.session;
    const layout = await session.reset(seed);
    this.loop.setSource(typeof source === 'function' ? source(layout) : source, { gripper_intent: 0 });
    return { layout, origin_ns: session.capture_ns(0) };
  }

  /** Keeps the simulation's state now (physics, controller, schedule); see `restore`. */
  snapshot(): Promise<number> {
    return this.arm.session.snapshot();
  }

  /** Back to a snapshot with `source` driving; the restored state is published before this returns. */
  async restore(id: number, source: ActionSource): Promise<void> {
    await this.arm.session.restore(id);
    this.loop.setSource(source);
    await this.settle();
  }

  /** Publishes the state at the current sim time (after `reset`, the observation before the first action). */
  async settle(): Promise<void> {
    if (!this.options.realTime) await this.arm.session.request('advance', 0);
    await waitFor(() => this.arm.session.latestArm, 2000, 'the first arm state after reset');
    this.nextTick = performance.now();
  }

  /** One control cycle on the latest state. */
  async cycle(): Promise<CycleRecord> {
    const record = await this.loop.cycle('tick');
    if (record === null) throw new StudioError({ code: 'internal', message: 'a stepped control cycle was superseded' });
    return record;
  }

  /** One control period of simulated time. */
  async advance(): Promise<void> {
    if (this.options.realTime) {
      this.nextTick += this.period_ms;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, this.nextTick - performance.now())));
    } else {
      await this.arm.session.request('advance', this.period_ms / 1000);
    }
  }

  setSource(source: ActionSource): void {
    this.loop.setSource(source);
  }

  gripperState(): GripperState | undefined {
    return this.devices.gripper?.latest();
  }

  privileged(): PrivilegedState | undefined {
    return this.arm.privileged();
  }

  get sim_time_s(): number {
    return this.arm.session.latestArm?.sim_time_s ?? 0;
  }

  /** The named cameras' frames captured at `capture_ns` (see `cameraFramesAt`). */
  framesAt(names: readonly string[], capture_ns: bigint, timeout_ms = 5000): Promise<CameraFrame[]> {
    return cameraFramesAt(this.devices.cameras, names, capture_ns, timeout_ms);
  }
}

/**
 * The named cameras' frames captured at `capture_ns` or later (a simulated rig's render thread draws
 * them asynchronously, so they may arrive after the state): waits for each, at most `timeout_ms`.
 */
export function cameraFramesAt(
  all: readonly Camera[],
  names: readonly string[],
  capture_ns: bigint,
  timeout_ms = 5000,
): Promise<CameraFrame[]> {
  const cameras = names.map((name) => {
    const camera = all.find((c) => c.name === name);
    if (camera === undefined) throw new StudioError({ code: 'failed_precondition', message: `the rig has no camera "${name}"` });
    return camera;
  });
  return Promise.all(
    cameras.map(
      (camera) =>
        new Promise<CameraFrame>((resolve, reject) => {
          const latest = camera.latest();
          if (latest !== undefined && latest.capture_ns >= capture_ns) {
            resolve(latest);
            return;
          }
          const timer = setTimeout(() => {
            unsubscribe();
            const last = camera.latest();
            reject(
              new StudioError({
                code: 'unavailable',
                message: `camera "${camera.name}" gave no frame for ${Number(capture_ns) / 1e9} s within ${timeout_ms} ms (its last: ${last === undefined ? 'none' : `${Number(last.capture_ns) / 1e9} s`})`,
              }),
            );
          }, timeout_ms);
          const unsubscribe = camera.onFrame((frame) => {
            if (frame.capture_ns < capture_ns) return;
            clearTimeout(timer);
            unsubscribe();
            resolve(frame);
          });
        }),
    ),
  );
}

export async function waitFor<T>(read: () => T | undefined, timeout_ms: number, what: string): Promise<T> {
  const deadline = performance.now() + timeout_ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new StudioError({ code: 'unavailable', message: `no ${what} within ${timeout_ms} ms` });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
