import type { RobotState } from '../../shared/api/contract';
import { disposableInterval, toDisposable } from '../../shared/base/disposable';
import type { StreamHub } from '../api/streamHub';
import type { CycleRecord } from '../control/controlLoop';
import type { EventBus } from '../core/eventBus';
import type { CameraFrame } from '../devices/types';
import { CUBE_HALF_M } from '../sim/pickPlaceTask';
import type { RigLifecycle, RunningRig } from './rigLifecycle';

export interface LiveFeedOptions {
  lifecycle: RigLifecycle;
  events: EventBus;
  streams: StreamHub;
  /** Display rates for the UI: robot state and camera previews. */
  state_hz?: number;
  preview_hz?: number;
}

const ZERO3: [number, number, number] = [0, 0, 0];

/**
 * What the UI watches of the running rig, at display rate: `robot.state` events (~30 Hz) and
 * `camera.preview` frames (~10 fps, only while someone subscribes). Never on the recording's path:
 * the recorder gets every frame and cycle whatever is shown here.
 */
export class LiveFeed {
  private lastCycle: CycleRecord | undefined;
  private readonly lastPreviewNs = new Map<string, bigint>();

  constructor(private readonly options: LiveFeedOptions) {
    options.lifecycle.onDidStart((run) => this.attach(run));
    options.lifecycle.onCycle((cycle) => {
      this.lastCycle = cycle;
    });
  }

  private attach(run: RunningRig): void {
    this.lastCycle = undefined;
    this.lastPreviewNs.clear();
    run.disposables.add(disposableInterval(() => this.emitRobotState(run), 1000 / (this.options.state_hz ?? 30)));
    for (const camera of run.cameras.cameras) run.disposables.add(toDisposable(camera.onFrame((frame) => this.preview(frame))));
  }

  private emitRobotState(run: RunningRig): void {
    const arm = run.arm.latest();
    if (arm === undefined) return;
    const cycle = this.lastCycle;
    const privileged = run.sim?.latestPrivileged;
    const sent = cycle?.executed.sent;
    const state: RobotState = {
      t_ns: arm.capture_ns.toString(),
      q_rad: arm.q_rad,
      ee_position_m: arm.ee_position_m,
      ee_quaternion_wxyz: arm.ee_quaternion_wxyz,
      gripper_width_m: run.gripper?.latest()?.width_m ?? null,
      commanded_translation_m: sent?.kind === 'ee_delta' ? sent.translation_m : ZERO3,
      clip_reasons: cycle?.executed.clip_reasons ?? [],
      estopped: this.options.lifecycle.control.estopped,
      teleop_age_ms: cycle?.teleop_age_ms ?? null,
      objects: (privileged?.objects ?? []).map((object) => ({
        name: object.name,
        position_m: object.position_m,
        quaternion_wxyz: object.quaternion_wxyz,
        rgb: object.rgb,
        size_m: 2 * CUBE_HALF_M,
      })),
      target: privileged === undefined ? null : { center_m: privileged.target.center_m, half_extent_m: privileged.target.half_extent_m },
    };
    this.options.events.emit('robot.state', state);
  }

  /** Camera previews at display rate, only while a UI watches; the recorder gets every frame regardless. */
  private preview(frame: CameraFrame): void {
    const { streams } = this.options;
    if (!streams.hasSubscribers('camera.preview')) return;
    const minGap = BigInt(Math.round(1e9 / (this.options.preview_hz ?? 10)));
    const last = this.lastPreviewNs.get(frame.camera) ?? -minGap;
    if (frame.capture_ns - last < minGap) return;
    this.lastPreviewNs.set(frame.camera, frame.capture_ns);
    const header = { camera: frame.camera, width_px: frame.width_px, height_px: frame.height_px, capture_ns: frame.capture_ns.toString() };
    streams.publish('camera.preview', { ...header, encoding: 'rgb8' }, frame.rgb);
    if (frame.depth_mm !== undefined) {
      const depth = frame.depth_mm;
      streams.publish(
        'camera.preview',
        { ...header, encoding: 'depth_mm16' },
        new Uint8Array(depth.buffer, depth.byteOffset, depth.byteLength),
      );
    }
  }
}
