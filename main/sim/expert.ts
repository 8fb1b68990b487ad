import type { ArmCommand, GripperCommand, Quaternion, Vec3 } from '../../shared/robot/types';
import { FRANKA } from './franka';
import { mulberry32 } from './math3d';
import { quaternionFromRotation, rotationErrorAxisAngle, rotationFromQuaternion, rotationMultiply } from '../../shared/robot/rotation';
import type { Mat3 } from './math3d';
import { CUBE_HALF_M, type SceneLayout } from './pickPlaceTask';

/** Knobs that make the scripted expert fail sometimes, so recorded data has both outcomes. */
export interface ExpertNoise {
  /** Std dev of the grasp point's horizontal error (m); the vertical error is half of it. */
  grasp_offset_m: number;
  /** Approach height above the cube top before descending (m). */
  approach_height_m: number;
  /** Relative std dev of each phase's duration; a short close phase lifts before the fingers hold. */
  timing_jitter: number;
  /** Chance that a whole chunk (`chunk_length` steps on the episode's chunk grid) is random exploration. */
  explore_fraction: number;
  /** Std dev of the gripper's yaw error at the grasp (rad). */
  grasp_yaw_rad: number;
}

/** gwm-lite §6.1: exploration ≈ 20 % of the chunks the world model learns from. */
export const DEFAULT_EXPERT_NOISE: ExpertNoise = {
  grasp_offset_m: 0.012,
  approach_height_m: 0.1,
  timing_jitter: 0.25,
  explore_fraction: 0.2,
  grasp_yaw_rad: 0.1,
};

export const NOISELESS_EXPERT: ExpertNoise = {
  grasp_offset_m: 0,
  approach_height_m: 0.1,
  timing_jitter: 0,
  explore_fraction: 0,
  grasp_yaw_rad: 0,
};

/** How the expert moves: the rig's speed limits, and the chunk grid its exploration and its end keep to. */
export interface ExpertMotion {
  max_linear_speed_m_s: number;
  max_angular_speed_rad_s: number;
  /** L: exploration comes in whole chunks of L steps, and an episode lasts a whole number of chunks. */
  chunk_length: number;
}

/** The simulated rigs' safety limits (rigs/sim.json, rigs/sim-gwm.json) and gwm-lite's L = 8. */
export const DEFAULT_EXPERT_MOTION: ExpertMotion = { max_linear_speed_m_s: 0.25, max_angular_speed_rad_s: 1.0, chunk_length: 8 };

/** Phase names in script order; a recorded phase is an index into this list. */
export const EXPERT_PHASES = [
  'settle',
  'approach',
  'descend',
  'close',
  'lift',
  'transport',
  'lower',
  'release',
  'retreat',
  'rest',
] as const;
export type ExpertPhase = (typeof EXPERT_PHASES)[number];

export interface ExpertObservation {
  sim_time_s: number;
  ee_position_m: Vec3;
  ee_quaternion_wxyz: Quaternion;
}

export interface ExpertAction {
  /** Always an `ee_delta` from the measured pose, within the speed limits: one meaning for every step. */
  arm: Extract<ArmCommand, { kind: 'ee_delta' }>;
  /** Only when the gripper command changes. */
  gripper?: GripperCommand;
  phase: ExpertPhase;
  exploring: boolean;
  /** Where the script wants the TCP at the end of this step (also while exploring, when it is ignored). */
  target: { position_m: Vec3; quaternion_wxyz: Quaternion };
}

interface Phase {
  name: ExpertPhase;
  duration_s: number;
  to?: Vec3;
  gripper?: 'open' | 'grasp';
}

const minJerk = (s: number): number => (s <= 0 ? 0 : s >= 1 ? 1 : s * s * s * (10 - 15 * s + 6 * s * s));

/** Standard normal from a uniform PRNG (Box–Muller). */
function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const CARRY_Z_M = 0.15;
/** TCP below the cube centre at the grasp: the fingertips sit 13 mm above the table. */
const GRASP_DEPTH_M = 0.012;

/** Farther than this from the script's point, the script waits for the arm (m). */
const RESUME_M = 0.02;
const MAX_WAIT_S = 1.0;
/** Chance per exploration step of toggling the gripper. */
const EXPLORE_GRIPPER_TOGGLE = 0.03;

const distance = (a: readonly number[], b: readonly number[]): number => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

/** `v` shortened to at most `max` in length. */
function clipNorm(v: Vec3, max: number): Vec3 {
  const n = Math.hypot(...v);
  return n <= max ? v : (v.map((x) => (x * max) / n) as Vec3);
}

/**
 * Scripted pick-and-place: approach above the cube, descend, grasp, lift, carry, lower into the target,
 * release, retreat. One action per control step: an `ee_delta` towards the point its min-jerk script
 * has reached, within the rig's speed limits, plus gripper commands at phase starts. The same script can
 * drive a real arm, and every recorded action means the same thing: the motion asked of that step.
 */
export class PickPlaceExpert {
  readonly phases: Phase[];
  readonly duration_s: number;
  private readonly random: () => number;
  private readonly graspRotation: Quaternion;
  private readonly graspMatrix: Mat3;
  private phaseIndex = -1;
  private phaseStart_s = 0;
  /** The script's own clock: it stands still while exploring and while the arm catches up. */
  private script_s = 0;
  private waited_s = 0;
  private from: Vec3 | undefined;
  private exploringChunk = false;
  private stepIndex = 0;
  private gripperClosed = false;

  constructor(
    layout: SceneLayout,
    home: Pick<ExpertObservation, 'ee_position_m' | 'ee_quaternion_wxyz'>,
    readonly noise: ExpertNoise,
    seed: number,
    readonly control_hz: number,
    readonly motion: ExpertMotion = DEFAULT_EXPERT_MOTION,
  ) {
    this.random = mulberry32(seed ^ 0xe4be47);
    const r = this.random;
    const jitter = (base: number): number => Math.max(0.25 * base, base * (1 + noise.timing_jitter * gaussian(r)));
    const [cx, cy, cz] = layout.cube_position_m;
    const gx = cx + noise.grasp_offset_m * gaussian(r);
    const gy = cy + noise.grasp_offset_m * gaussian(r);
    const gz = cz - GRASP_DEPTH_M + 0.5 * noise.grasp_offset_m * gaussian(r);
    // the hand is symmetric under a quarter turn about the cube: align with the nearest face
    const quarter = Math.PI / 2;
    const yaw = layout.cube_yaw_rad - quarter * Math.round(layout.cube_yaw_rad / quarter) + noise.grasp_yaw_rad * gaussian(r);
    const rz: Quaternion = [Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)];
    this.graspMatrix = rotationMultiply(rotationFromQuaternion(rz), rotationFromQuaternion(home.ee_quaternion_wxyz));
    this.graspRotation = quaternionFromRotation(this.graspMatrix);
    const [tx, ty] = layout.target_center_m;
    const placeZ = CUBE_HALF_M - GRASP_DEPTH_M + 0.004;
    this.phases = [
      { name: 'settle', duration_s: 0.3, gripper: 'open' },
      { name: 'approach', duration_s: jitter(1.5), to: [gx, gy, cz + CUBE_HALF_M + noise.approach_height_m] },
      { name: 'descend', duration_s: jitter(1.0), to: [gx, gy, gz] },
      { name: 'close', duration_s: jitter(0.6), gripper: 'grasp' },
      { name: 'lift', duration_s: jitter(1.0), to: [gx, gy, CARRY_Z_M] },
      { name: 'transport', duration_s: jitter(1.5), to: [tx, ty, CARRY_Z_M] },
      { name: 'lower', duration_s: jitter(1.0), to: [tx, ty, placeZ] },
      { name: 'release', duration_s: jitter(0.5), gripper: 'open' },
      { name: 'retreat', duration_s: 0.8, to: [tx, ty, CARRY_Z_M] },
      { name: 'rest', duration_s: 0.6 },
    ];
    // A segment no faster than the rig allows: a min-jerk segment's peak speed is 1.875 × its mean, and
    // the arm trails its target a little, so the peak is kept to 80 % of the limit.
    let at: Vec3 = home.ee_position_m;
    for (const phase of this.phases) {
      if (phase.to === undefined) continue;
      const distance = Math.hypot(phase.to[0] - at[0], phase.to[1] - at[1], phase.to[2] - at[2]);
      phase.duration_s = Math.max(phase.duration_s, (1.875 * distance) / (0.8 * motion.max_linear_speed_m_s));
      at = phase.to;
    }
    this.duration_s = this.phases.reduce((sum, p) => sum + p.duration_s, 0);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.stepIndex;
  }

  /**
   * The script has run its course and the episode is on a chunk boundary: an episode ends only there,
   * so whatever it achieved (e.g. the success flag) is seen at a chunk boundary.
   */
  done(): boolean {
    return this.script_s >= this.duration_s - 1e-9 && this.stepIndex % this.motion.chunk_length === 0;
  }

  act(observation: ExpertObservation): ExpertAction {
    const dt = 1 / this.control_hz;
    const maxStep_m = this.motion.max_linear_speed_m_s * dt;
    const maxTurn_rad = this.motion.max_angular_speed_rad_s * dt;
    const p = observation.ee_position_m;
    this.from ??= p;
    // Exploration is decided per chunk, on the grid the export cuts chunks on (step 0 = episode start).
    if (this.stepIndex % this.motion.chunk_length === 0)
      this.exploringChunk = this.noise.explore_fraction > 0 && this.random() < this.noise.explore_fraction;
    this.stepIndex++;
    let gripper = this.enterDuePhases();
    if (this.exploringChunk) {
      // The script's clock stands still while exploring: afterwards it resumes where it left off.
      const r = this.random;
      const step = 0.2 * dt; // 0.2 m/s random walk per axis, then the speed limit
      const arm = delta(
        clipNorm([step * gaussian(r), step * gaussian(r), step * gaussian(r)], maxStep_m),
        clipNorm([0, 0, 0.5 * dt * gaussian(r)], maxTurn_rad),
      );
      // now and then toggle the gripper as a human exploring would
      if (gripper === undefined && r() < EXPLORE_GRIPPER_TOGGLE) {
        gripper = this.gripperClosed ? OPEN : GRASP;
        this.gripperClosed = !this.gripperClosed;
      }
      return {
        arm,
        ...(gripper !== undefined ? { gripper } : {}),
        phase: this.currentPhase().name,
        exploring: true,
        target: this.pose(this.script_s),
      };
    }
    // The script moves on only while the arm keeps up with it (after exploration it first comes back),
    // but waits no longer than MAX_WAIT_S: an arm blocked by the cube or the table must not stall it.
    const onTrack = distance(p, this.pose(this.script_s).position_m) <= RESUME_M || this.waited_s >= MAX_WAIT_S - 1e-9;
    this.waited_s = onTrack ? 0 : this.waited_s + dt;
    const target = this.pose(onTrack ? this.script_s + dt : this.script_s);
    if (onTrack) this.script_s += dt;
    const translation = clipNorm([target.position_m[0] - p[0], target.position_m[1] - p[1], target.position_m[2] - p[2]], maxStep_m);
    const rotation = clipNorm(
      rotationErrorAxisAngle(this.graspMatrix, rotationFromQuaternion(observation.ee_quaternion_wxyz)),
      maxTurn_rad,
    );
    return {
      arm: delta(translation, rotation),
      ...(gripper !== undefined ? { gripper } : {}),
      phase: this.currentPhase().name,
      exploring: false,
      target,
    };
  }

  /** Enters every phase whose start the script clock has reached; the gripper command of the last one that has one. */
  private enterDuePhases(): GripperCommand | undefined {
    let gripper: GripperCommand | undefined;
    const t = this.script_s;
    while (
      this.phaseIndex < 0 ||
      (this.phaseIndex < this.phases.length - 1 && t >= this.phaseStart_s + this.currentPhase().duration_s - 1e-9)
    ) {
      if (this.phaseIndex >= 0) {
        this.phaseStart_s += this.currentPhase().duration_s;
        this.from = this.currentPhase().to ?? this.from;
      }
      this.phaseIndex++;
      const next = this.currentPhase();
      if (next.gripper === 'open') {
        gripper = OPEN;
        this.gripperClosed = false;
      } else if (next.gripper === 'grasp') {
        gripper = GRASP;
        this.gripperClosed = true;
      }
    }
    return gripper;
  }

  /** The script's TCP pose at script time `t` within the current phase (min-jerk from its start). */
  private pose(t: number): ExpertAction['target'] {
    const phase = this.currentPhase();
    const from = this.from ?? [0, 0, 0];
    const to = phase.to ?? from;
    const s = minJerk((t - this.phaseStart_s) / phase.duration_s);
    return { position_m: [0, 1, 2].map((i) => from[i]! + s * (to[i]! - from[i]!)) as Vec3, quaternion_wxyz: this.graspRotation };
  }

  private currentPhase(): Phase {
    return this.phases[Math.max(0, this.phaseIndex)] as Phase;
  }
}

const OPEN: GripperCommand = { kind: 'move', width_m: FRANKA.gripper_max_width_m, speed_m_s: FRANKA.gripper_max_speed_m_s };
const GRASP: GripperCommand = {
  kind: 'grasp',
  width_m: 2 * CUBE_HALF_M,
  speed_m_s: FRANKA.gripper_max_speed_m_s,
  force_n: FRANKA.gripper_default_force_n,
  epsilon_inner_m: 0.01,
  epsilon_outer_m: 0.01,
};

function delta(translation_m: Vec3, rotation_axis_angle_rad: Vec3): ExpertAction['arm'] {
  return { kind: 'ee_delta', translation_m, rotation_axis_angle_rad };
}
