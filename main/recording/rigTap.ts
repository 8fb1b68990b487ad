import { DisposableStore, toDisposable } from '../../shared/base/disposable';
import type { CameraConfig } from '../../shared/rig/rigConfig';
import { frankaForwardKinematics } from '../../shared/robot/frankaKinematics';
import { mat4Rotation, mat4Translation, rotationErrorAxisAngle } from '../../shared/robot/rotation';
import type { Arm, ArmCommand, ArmState, Camera, CameraFrame, Gripper, GripperState, Quaternion, Vec3 } from '../devices/types';
import type { PrivilegedState, SegmentationLegendEntry } from '../sim/simTypes';
import type { CycleRecord } from '../control/controlLoop';
import { cycleSample } from './cycleSample';
import { OrderedEncoder } from './orderedEncoder';
import { encodePng } from './png';
import type { Recorder } from './recorder';
import { float64Bytes, jsonBytes, type StreamDef } from './streamDef';
import { armStreams, STREAMS } from './streamNames';

/** A gripper intent in [0, 1] (0 open, 1 closed), the last element of every recorded action. */
export type GripperIntent = number;

export interface CycleSample {
  /** When the cycle ran: actions and events are stamped with it. Arm and gripper state keep their own capture times. */
  t_ns: bigint;
  arm: ArmState;
  gripper: GripperState | undefined;
  requested: ArmCommand;
  executed: ArmCommand;
  gripper_intent: GripperIntent;
  clip_reasons: readonly string[];
  /** Anything else that happened this cycle (phase changes, button presses), stored as JSON events. */
  events?: readonly Record<string, unknown>[];
  /** Simulator ground truth, when recording the sim. */
  privileged?: PrivilegedState;
  /** A scripted policy's labels for this step (with the `expert` option). */
  expert?: ExpertStep;
}

export interface ExpertStep {
  /** Index into `ExpertDescription.phases`. */
  phase: number;
  exploring: boolean;
  target: { position_m: readonly number[]; quaternion_wxyz: readonly number[] };
}

/** A scripted policy driving the recording: its phase names and settings (the policy variant). */
export interface ExpertDescription {
  phases: readonly string[];
  policy: Record<string, unknown>;
}

/**
 * What the recorder declares about a simulated scene as an episode starts: the objects as replay draws
 * them, the bodies whose poses are recorded, and which body each segmentation id belongs to.
 */
export interface SceneDescription {
  objects: readonly RecordedObject[];
  /** The place target region, when the scene has one (its pose is recorded as `sim.target_pose`). */
  target?: { half_extent_m: number };
  /** Body names by body id (the rows of `sim.body_poses`). */
  bodies: readonly string[];
  legend: readonly SegmentationLegendEntry[];
}

export interface RigTapOptions {
  control_hz: number;
  /** The arm and gripper, so every state they stream is recorded, not only those a control cycle saw. */
  arm?: Arm;
  gripper?: Gripper;
  /** Each camera with its rig-config entry, which says its size, rate and whether it has depth. */
  cameras: readonly { device: Camera; config: CameraConfig }[];
  /** Record the simulator's privileged streams (poses, contact, grasp, success) and segmentation. */
  privileged: boolean;
  /** The simulated scene as each episode starts (with `privileged`). */
  scene?: () => SceneDescription;
  /** A scripted policy as each episode starts: declares its phase, exploration and target streams. */
  expert?: () => ExpertDescription;
  /** What the recorded actions mean, declared with the action streams (e.g. their per-step limits). */
  action_meta?: Record<string, unknown>;
}

/** A simulated object as replay draws it: a cube of `size_m` in `rgb` (0–1). */
export interface RecordedObject {
  name: string;
  size_m: number;
  rgb: readonly [number, number, number];
}

// ---- action layout: Δxyz (m), Δrot axis-angle (rad), gripper — gwm-lite's A = 7 ------------------

function quatMul(a: Quaternion, b: Quaternion): Quaternion {
  const [aw, ax, ay, az] = a;
  const [bw, bx, by, bz] = b;
  return [
    aw * bw - ax * bx - ay * by - az * bz,
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
  ];
}

function axisAngleOf(q: Quaternion): Vec3 {
  // The shorter way round: q and −q are the same rotation.
  const [w, x, y, z] = q[0] < 0 ? (q.map((v) => -v) as Quaternion) : q;
  const s = Math.hypot(x, y, z);
  if (s < 1e-12) return [0, 0, 0];
  const angle = 2 * Math.atan2(s, w);
  return [(x / s) * angle, (y / s) * angle, (z / s) * angle];
}

/** Any arm command as the motion it asks for from `from`: Δposition and Δrotation in the base frame. */
export function actionVector(command: ArmCommand, from: ArmState, gripper: GripperIntent): number[] {
  switch (command.kind) {
    case 'ee_delta':
      return [...command.translation_m, ...command.rotation_axis_angle_rad, gripper];
    case 'ee_pose': {
      const [w, x, y, z] = from.ee_quaternion_wxyz;
      const delta = axisAngleOf(quatMul(command.quaternion_wxyz, [w, -x, -y, -z]));
      return [...command.position_m.map((p, i) => p - from.ee_position_m[i]!), ...delta, gripper];
    }
    case 'joint_position':
    case 'joint_impedance': {
      // Never joint angles under Cartesian names: the joint target becomes the TCP motion it asks for,
      // with both poses from the same forward kinematics (so the arm's own TCP estimate plays no part).
      const goal = frankaForwardKinematics(command.q_rad);
      const now = frankaForwardKinematics(from.q_rad);
      const [gx, gy, gz] = mat4Translation(goal);
      const [nx, ny, nz] = mat4Translation(now);
      return [gx - nx, gy - ny, gz - nz, ...rotationErrorAxisAngle(mat4Rotation(goal), mat4Rotation(now)), gripper];
    }
  }
}

/**
 * The recorder wrapped around a rig: declares the streams, records each control cycle (state,
 * requested and executed action, clip reasons, ground truth) and every camera frame (colour and
 * depth as lossless PNG, segmentation ids as 16-bit PNG, the camera pose per frame). Frames are
 * encoded off the calling thread and recorded in capture order.
 */
export class RigTap {
  /** What `attach` subscribed to, released by `detach`. */
  private attached = new DisposableStore();
  private readonly encoders = new Map<string, OrderedEncoder<Uint8Array>>();
  private failures: string[] = [];
  private declared = new Set<string>();
  private lastArmNs = -1n;
  private armStreamed = false;
  private gripperStreamed = false;
  private readonly jpegCameras = new Set<string>();
  private lastGripperNs = -1n;

  constructor(
    private readonly recorder: Recorder,
    private readonly options: RigTapOptions,
  ) {}

  streams(): StreamDef[] {
    const { control_hz } = this.options;
    // Devices that stream their state are recorded at their own rate; the others once per cycle.
    const { arm, gripper } = this.options;
    const actionMeta = this.options.action_meta;
    const streams = armStreams(control_hz, {
      arm_hz: arm?.onState !== undefined ? arm.state_hz : undefined,
      gripper_hz: gripper?.onState !== undefined ? gripper.state_hz : undefined,
    }).map((stream) =>
      actionMeta !== undefined && (stream.name === STREAMS.actionRequested || stream.name === STREAMS.actionExecuted)
        ? { ...stream, meta: { ...stream.meta, ...actionMeta } }
        : stream,
    );
    this.jpegCameras.clear();
    for (const { config, device } of this.options.cameras) {
      // Cameras that deliver JPEG (UVC MJPEG) are stored as delivered; the rest as lossless PNG.
      const jpeg = device.latest()?.jpeg !== undefined;
      if (jpeg) this.jpegCameras.add(config.name);
      // Calibration travels with the stream; a camera on the hand also gets its pose per frame.
      const meta = {
        camera: config.name,
        type: config.type,
        role: config.role ?? 'train',
        intrinsics: config.intrinsics ?? null,
        ...(config.world_from_camera !== undefined ? { world_from_camera: config.world_from_camera } : {}),
      };
      const image = { kind: 'image' as const, nominal_rate_hz: config.fps_hz, meta };
      const size = [config.height_px, config.width_px];
      streams.push({
        name: STREAMS.cameraColor(config.name),
        dtype: 'uint8',
        shape: [...size, 3],
        encoding: jpeg ? 'jpeg' : 'png',
        ...image,
      });
      if (config.depth)
        streams.push({ name: STREAMS.cameraDepth(config.name), dtype: 'uint16', shape: size, unit: 'mm', encoding: 'png16', ...image });
      if (this.options.privileged) {
        streams.push({
          name: STREAMS.cameraSegmentation(config.name),
          dtype: 'uint16',
          shape: size,
          encoding: 'png16',
          ...image,
          meta: { ...meta, value: 'MuJoCo geom id + 1; 0 = background' },
        });
      }
      if (config.flange_from_camera !== undefined) {
        streams.push({
          name: STREAMS.cameraPose(config.name),
          kind: 'lowdim',
          dtype: 'float64',
          shape: [4, 4],
          nominal_rate_hz: config.fps_hz,
          meta: {
            camera: config.name,
            flange_from_camera: config.flange_from_camera,
            layout: 'world_from_camera, 4×4 column-major, OpenCV axes (+z forward, +y down)',
          },
        });
      }
    }
    if (this.options.privileged) {
      const scene = this.options.scene?.() ?? { objects: [], bodies: [], legend: [] };
      const pose = ['x_m', 'y_m', 'z_m', 'qw', 'qx', 'qy', 'qz'];
      streams.push({
        name: STREAMS.simObjectPoses,
        kind: 'lowdim',
        dtype: 'float64',
        shape: [Math.max(1, scene.objects.length), 7],
        names: pose,
        nominal_rate_hz: control_hz,
        meta: { objects: scene.objects, layout: 'one row per object: position (m) and quaternion wxyz in the base frame' },
      });
      if (scene.bodies.length > 0) {
        streams.push({
          name: STREAMS.simBodyPoses,
          kind: 'lowdim',
          dtype: 'float64',
          shape: [scene.bodies.length, 7],
          names: pose,
          nominal_rate_hz: control_hz,
          meta: {
            bodies: scene.bodies,
            segmentation_legend: scene.legend,
            layout: 'one row per body id: position (m) and quaternion wxyz in the base frame; segmentation value − 1 = geom id',
          },
        });
      }
      streams.push({
        name: STREAMS.simObjectTargetDistance,
        kind: 'lowdim',
        dtype: 'float64',
        shape: [1],
        unit: 'm',
        nominal_rate_hz: control_hz,
      });
      streams.push({ name: STREAMS.simContact, kind: 'lowdim', dtype: 'float64', shape: [1], nominal_rate_hz: control_hz });
      streams.push({ name: STREAMS.simGrasped, kind: 'lowdim', dtype: 'float64', shape: [1], nominal_rate_hz: control_hz });
      streams.push({ name: STREAMS.simSuccess, kind: 'lowdim', dtype: 'float64', shape: [1], nominal_rate_hz: control_hz });
      const target = scene.target;
      if (target !== undefined) {
        streams.push({
          name: STREAMS.simTargetPose,
          kind: 'lowdim',
          dtype: 'float64',
          shape: [7],
          names: pose,
          nominal_rate_hz: control_hz,
          meta: {
            half_extent_m: target.half_extent_m,
            layout:
              'the place target region: centre (m) and quaternion wxyz in the base frame; success needs the object centre within half_extent_m of it in x and y',
          },
        });
      }
    }
    const expert = this.options.expert?.();
    if (expert !== undefined) {
      streams.push({
        name: STREAMS.expertPhase,
        kind: 'lowdim',
        dtype: 'float64',
        shape: [1],
        nominal_rate_hz: control_hz,
        meta: { phases: expert.phases, policy: expert.policy, layout: 'index into phases of the step starting at this instant' },
      });
      streams.push({
        name: STREAMS.expertExploring,
        kind: 'lowdim',
        dtype: 'float64',
        shape: [1],
        nominal_rate_hz: control_hz,
        meta: { layout: '1 = this step is random exploration, 0 = it follows the script' },
      });
      streams.push({
        name: STREAMS.expertTargetPose,
        kind: 'lowdim',
        dtype: 'float64',
        shape: [7],
        names: ['x_m', 'y_m', 'z_m', 'qw', 'qx', 'qy', 'qz'],
        nominal_rate_hz: control_hz,
        meta: { layout: 'the TCP pose the script wants at the end of this step, base frame' },
      });
    }
    this.declared = new Set(streams.map((stream) => stream.name));
    this.lastArmNs = -1n;
    this.lastGripperNs = -1n;
    return streams;
  }

  /**
   * Starts taking camera frames, and every arm state when the arm streams them (otherwise the state
   * seen by each control cycle is recorded); both only while an episode is recording.
   */
  attach(): void {
    for (const { device } of this.options.cameras) this.attached.add(toDisposable(device.onFrame((frame) => this.recordFrame(frame))));
    const arm = this.options.arm;
    if (arm?.onState !== undefined) {
      this.armStreamed = true;
      this.attached.add(toDisposable(arm.onState((state) => this.recordArm(state))));
    }
    const gripper = this.options.gripper;
    if (gripper?.onState !== undefined) {
      this.gripperStreamed = true;
      this.attached.add(toDisposable(gripper.onState((state) => this.recordGripper(state))));
    }
  }

  private recordGripper(state: GripperState): void {
    if (this.recorder.status().phase !== 'recording' || state.capture_ns <= this.lastGripperNs) return;
    this.lastGripperNs = state.capture_ns;
    this.recorder.record(STREAMS.gripperWidth, state.capture_ns, float64Bytes([state.width_m]));
  }

  private recordArm(state: ArmState): void {
    if (this.recorder.status().phase !== 'recording' || state.capture_ns <= this.lastArmNs) return;
    this.lastArmNs = state.capture_ns;
    const t = state.capture_ns;
    this.recorder.record(STREAMS.armQ, t, float64Bytes(state.q_rad));
    this.recorder.record(STREAMS.armDq, t, float64Bytes(state.dq_rad_s));
    this.recorder.record(STREAMS.armEePose, t, float64Bytes([...state.ee_position_m, ...state.ee_quaternion_wxyz]));
  }

  detach(): void {
    this.attached.dispose();
    this.attached = new DisposableStore();
  }

  /** A cycle as the control loop reports it; recorded only while an episode is recording. */
  recordCycleRecord(record: CycleRecord): void {
    if (this.recorder.status().phase !== 'recording') return;
    const sample = cycleSample(record);
    if (sample !== null) this.recordCycle(sample);
  }

  recordCycle(cycle: CycleSample): void {
    const { recorder } = this;
    const t = cycle.t_ns;
    // State is recorded once per new reading: a loop faster than the arm reports sees the same one twice.
    if (!this.armStreamed) this.recordArm(cycle.arm);
    if (!this.gripperStreamed && cycle.gripper !== undefined) this.recordGripper(cycle.gripper);
    recorder.record(STREAMS.actionRequested, t, float64Bytes(actionVector(cycle.requested, cycle.arm, cycle.gripper_intent)));
    recorder.record(STREAMS.actionExecuted, t, float64Bytes(actionVector(cycle.executed, cycle.arm, cycle.gripper_intent)));
    const events = [...(cycle.events ?? []), ...(cycle.clip_reasons.length > 0 ? [{ type: 'clip', reasons: cycle.clip_reasons }] : [])];
    if (events.length > 0) recorder.record(STREAMS.events, t, jsonBytes(events));
    const truth = cycle.privileged;
    if (this.options.privileged && truth !== undefined) {
      recorder.record(
        STREAMS.simObjectPoses,
        t,
        float64Bytes(truth.objects.flatMap((object) => [...object.position_m, ...object.quaternion_wxyz])),
      );
      if (this.declared.has(STREAMS.simBodyPoses)) recorder.record(STREAMS.simBodyPoses, t, float64Bytes(truth.body_poses));
      recorder.record(STREAMS.simObjectTargetDistance, t, float64Bytes([truth.object_target_distance_m]));
      recorder.record(STREAMS.simContact, t, float64Bytes([truth.contact.gripper_object ? 1 : 0]));
      recorder.record(STREAMS.simGrasped, t, float64Bytes([truth.grasped ? 1 : 0]));
      recorder.record(STREAMS.simSuccess, t, float64Bytes([truth.success ? 1 : 0]));
      if (this.declared.has(STREAMS.simTargetPose))
        recorder.record(STREAMS.simTargetPose, t, float64Bytes([...truth.target.center_m, 1, 0, 0, 0]));
    }
    const expert = cycle.expert;
    if (expert !== undefined && this.declared.has(STREAMS.expertPhase)) {
      recorder.record(STREAMS.expertPhase, t, float64Bytes([expert.phase]));
      recorder.record(STREAMS.expertExploring, t, float64Bytes([expert.exploring ? 1 : 0]));
      recorder.record(STREAMS.expertTargetPose, t, float64Bytes([...expert.target.position_m, ...expert.target.quaternion_wxyz]));
    }
  }

  /** Resolves when every frame handed in so far is encoded and recorded. */
  async idle(): Promise<void> {
    await Promise.all([...this.encoders.values()].map((encoder) => encoder.idle()));
  }

  /** Frames that failed to encode, with the reason; never silent. */
  encodeFailures(): readonly string[] {
    return this.failures;
  }

  private encoder(stream: string): OrderedEncoder<Uint8Array> {
    let encoder = this.encoders.get(stream);
    if (encoder === undefined) {
      encoder = new OrderedEncoder(
        (t, png) => this.recorder.record(stream, t, png),
        (t, error) => {
          this.failures.push(`${stream} @ ${t}: ${error.message}`);
          this.recorder.markDropped(stream, 1);
        },
      );
      this.encoders.set(stream, encoder);
    }
    return encoder;
  }

  private recordFrame(frame: CameraFrame): void {
    if (this.recorder.status().phase !== 'recording') return;
    const t = frame.capture_ns;
    const { width_px: width, height_px: height } = frame;
    const color = STREAMS.cameraColor(frame.camera);
    if (this.jpegCameras.has(frame.camera)) {
      const jpeg = frame.jpeg;
      // Through the encoder queue too, so colour frames stay in capture order with the PNG ones.
      this.encoder(color).push(t, () =>
        jpeg !== undefined ? Promise.resolve(jpeg) : Promise.reject(new Error('the camera stopped delivering JPEG frames')),
      );
    } else {
      this.encoder(color).push(t, () => encodePng({ width, height, kind: 'rgb8', data: frame.rgb }));
    }
    const depth = frame.depth_mm;
    if (depth !== undefined && this.declared.has(STREAMS.cameraDepth(frame.camera)))
      this.encoder(STREAMS.cameraDepth(frame.camera)).push(t, () => encodePng({ width, height, kind: 'gray16', data: depth }));
    const segmentation = frame.segmentation;
    if (segmentation !== undefined && this.declared.has(STREAMS.cameraSegmentation(frame.camera))) {
      this.encoder(STREAMS.cameraSegmentation(frame.camera)).push(t, () => {
        const ids = new Uint16Array(segmentation.length);
        for (let i = 0; i < ids.length; i++) ids[i] = Math.max(0, Math.min(65535, segmentation[i]! + 1));
        return encodePng({ width, height, kind: 'gray16', data: ids });
      });
    }
    if (frame.world_from_camera !== undefined && this.declared.has(STREAMS.cameraPose(frame.camera))) {
      this.recorder.record(STREAMS.cameraPose(frame.camera), t, float64Bytes(frame.world_from_camera));
    }
  }
}
