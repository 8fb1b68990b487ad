/**
 * Device interfaces, after LeRobot's Robot/Teleoperator/Camera: tiny, symmetric (connect/disconnect),
 * self-describing (`features`), read by latest value, and `sendAction` returns what was really sent
 * after clipping. Real drivers (deoxys, Robotiq, SpaceMouse, V4L2, ...) and sim drivers implement
 * exactly these; the registry (`registry.ts`) maps a rig-config `type` to a factory.
 *
 * Conventions: robot base frame, metres, radians, seconds; units in names; times are `*_ns` from the
 * studio's one monotonic clock (`Clock`); transforms are named `a_from_b`; matrices are 4×4
 * column-major (libfranka's `O_T_EE` layout); quaternions are (w, x, y, z).
 */

export type DType = 'float32' | 'float64' | 'uint8' | 'uint16' | 'int32' | 'int64' | 'bool';

/** One recorded feature: what the recorder and exporters need to store and describe it. */
export interface FeatureSpec {
  dtype: DType;
  shape: readonly number[];
  /** Per-element names for vectors, e.g. joint names; LeRobot's `names`. */
  names?: readonly string[];
  unit?: string;
}

export type Features = Readonly<Record<string, FeatureSpec>>;

/** Monotonic time in nanoseconds. Injected everywhere so tests control time. */
export interface Clock {
  now_ns(): bigint;
}

export const systemClock: Clock = { now_ns: () => process.hrtime.bigint() };

export type DeviceKind = 'arm' | 'gripper' | 'teleop' | 'camera';

export interface DeviceStatus {
  connected: boolean;
  /** The last error, phrased for the operator, with the fix when known. */
  error?: { message: string; fix?: string };
}

export interface Device {
  readonly kind: DeviceKind;
  /** The rig-config `type`, e.g. `sim-arm`, `deoxys`, `spacemouse`. */
  readonly type: string;
  /** Unique within the rig, e.g. `arm`, `front`. */
  readonly name: string;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  status(): DeviceStatus;
  /** What this device contributes to an observation or action, keyed by feature name. */
  features(): Features;
}

// ---- arm -------------------------------------------------------------------------------------------

// The robot's own vocabulary (poses, states, commands) lives on the ground floor, shared/robot/, so
// the simulator, the drivers, the control loop and the renderer all speak it without importing each other.
export type {
  ArmCommand,
  ArmState,
  GripperCommand,
  GripperState,
  Mat4,
  PinholeIntrinsics,
  Quaternion,
  SentAction,
  Vec3,
} from '../../shared/robot/types';
import type {
  ArmCommand,
  ArmState,
  GripperCommand,
  GripperState,
  Mat4,
  PinholeIntrinsics,
  SentAction,
  Vec3,
} from '../../shared/robot/types';

export interface Arm extends Device {
  readonly kind: 'arm';
  readonly dof: number;
  /** How often the arm reports its state, when known (the recorder's nominal rate for its streams). */
  readonly state_hz?: number;
  latest(): ArmState | undefined;
  /** Every state the arm reports, as it arrives (arms that stream state offer it; recording uses it). */
  onState?(listener: (state: ArmState) => void): () => void;
  sendAction(command: ArmCommand): Promise<SentAction<ArmCommand>>;
}

// ---- gripper ---------------------------------------------------------------------------------------

export interface Gripper extends Device {
  readonly kind: 'gripper';
  /** How often the gripper reports its state, when known (the recorder's nominal rate for its stream). */
  readonly state_hz?: number;
  latest(): GripperState | undefined;
  /** Every state the gripper reports, as it arrives (when the driver streams them). */
  onState?(listener: (state: GripperState) => void): () => void;
  sendAction(command: GripperCommand): Promise<SentAction<GripperCommand>>;
}

// ---- cameras ---------------------------------------------------------------------------------------

export interface CameraFrame {
  camera: string;
  capture_ns: bigint;
  width_px: number;
  height_px: number;
  /** Packed RGB, row-major, top row first. */
  rgb: Uint8Array;
  /**
   * The camera's own JPEG for this frame, when it sends MJPEG: the same picture as `rgb`, as it came
   * off the wire (standard Huffman tables added when the camera left them out), for recording without
   * re-encoding. Absent for raw and simulated cameras.
   */
  jpeg?: Uint8Array;
  /** Z-depth along the optical axis in millimetres; 0 = no return. */
  depth_mm?: Uint16Array;
  /** Ground-truth per-pixel segmentation ids (simulated cameras only); -1 = background. */
  segmentation?: Int32Array;
  intrinsics?: PinholeIntrinsics;
  /** Camera pose at capture (OpenCV convention: +z forward, +x right, +y down). */
  world_from_camera?: Mat4;
  /** Frames the driver knows it missed since the previous frame (never hidden). */
  dropped_before?: number;
}

export interface Camera extends Device {
  readonly kind: 'camera';
  latest(): CameraFrame | undefined;
  /** Every frame, in capture order; returns an unsubscribe function. */
  onFrame(listener: (frame: CameraFrame) => void): () => void;
}

// ---- teleop ----------------------------------------------------------------------------------------

/**
 * Raw teleop state: devices report what the operator did; one shared mapper (control/) turns it into
 * arm and gripper commands, so every device gets the same deadzone, scaling, frames and safety.
 */
export interface TeleopState {
  capture_ns: bigint;
  /** Normalised translation input in [-1, 1] per axis, in the device's documented axes. */
  translation: Vec3;
  /** Normalised rotation input in [-1, 1] per axis. */
  rotation: Vec3;
  /** Gripper intent: 0 open … 1 closed, or undefined if the device does not control it. */
  gripper?: number;
  /** Absolute joint targets (leader arms such as GELLO). */
  q_rad?: number[];
  buttons: Readonly<Record<string, boolean>>;
}

export interface Teleop extends Device {
  readonly kind: 'teleop';
  latest(): TeleopState | undefined;
  /** Every report as it arrives: the control loop sends a command for it at once instead of at its next tick. */
  onState?(listener: (state: TeleopState) => void): () => void;
}

export type AnyDevice = Arm | Gripper | Camera | Teleop;
