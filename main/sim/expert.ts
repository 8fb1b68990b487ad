import type { ArmCommand, GripperCommand, Quaternion, Vec3 } from '../devices/types';
import { FRANKA } from './franka';
import { mulberry32 } from './math3d';
import { quaternionFromRotation, rotationFromQuaternion, rotationMultiply } from '../devices/kinematics/rotation';
import { CUBE_HALF_M, type SceneLayout } from './pickPlaceTask';

/** Knobs that make the scripted expert fail sometimes, so recorded data has both outcomes. */
export interface ExpertNoise {
  /** Std dev of the grasp point's horizontal error (m); the vertical error is half of it. */
  grasp_offset_m: number;
  /** Approach height above the cube top before descending (m). */
  approach_height_m: number;
  /** Relative std dev of each phase's duration; a short close phase lifts before the fingers hold. */
  timing_jitter: number;
  /** Probability that a chunk of `explore_chunk_steps` actions is replaced by random exploration. */
  explore_prob: number;
  /** Std dev of the gripper's yaw error at the grasp (rad). */
  grasp_yaw_rad: number;
}

export const DEFAULT_EXPERT_NOISE: ExpertNoise = {
  grasp_offset_m: 0.012,
  approach_height_m: 0.1,
  timing_jitter: 0.25,
  explore_prob: 0.1,
  grasp_yaw_rad: 0.1,
};

export const NOISELESS_EXPERT: ExpertNoise = { grasp_offset_m: 0, approach_height_m: 0.1, timing_jitter: 0, explore_prob: 0, grasp_yaw_rad: 0 };

export interface ExpertObservation {
  sim_time_s: number;
  ee_position_m: Vec3;
  ee_quaternion_wxyz: Quaternion;
}

export interface ExpertAction {
  arm: ArmCommand;
  /** Only when the gripper command changes. */
  gripper?: GripperCommand;
  phase: string;
  exploring: boolean;
}

interface Phase {
  name: string;
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
export const EXPLORE_CHUNK_STEPS = 8;

/**
 * Scripted pick-and-place: approach above the cube, descend, grasp, lift, carry, lower into the target,
 * release, retreat. Produces one action per control step (absolute `ee_pose` along min-jerk segments,
 * plus gripper commands at phase starts), so the same script can drive a real arm.
 */
export class PickPlaceExpert {
  readonly phases: Phase[];
  readonly duration_s: number;
  private readonly random: () => number;
  private readonly graspRotation: Quaternion;
  private phaseIndex = -1;
  private phaseStart_s = 0;
  private from: Vec3 | undefined;
  private exploreLeft = 0;
  private stepIndex = 0;
  private gripperClosed = false;

  constructor(
    layout: SceneLayout,
    homeQuaternion: Quaternion,
    readonly noise: ExpertNoise,
    seed: number,
    readonly control_hz: number,
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
    this.graspRotation = quaternionFromRotation(rotationMultiply(rotationFromQuaternion(rz), rotationFromQuaternion(homeQuaternion)));
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
    this.duration_s = this.phases.reduce((sum, p) => sum + p.duration_s, 0);
  }

  done(sim_time_s: number): boolean {
    return sim_time_s >= this.duration_s - 1e-9;
  }

  act(observation: ExpertObservation): ExpertAction {
    const dt = 1 / this.control_hz;
    const t = observation.sim_time_s;
    let gripper: GripperCommand | undefined;
    this.from ??= observation.ee_position_m;
    while (this.phaseIndex < 0 || (this.phaseIndex < this.phases.length - 1 && t >= this.phaseStart_s + this.currentPhase().duration_s - 1e-9)) {
      if (this.phaseIndex >= 0) {
        this.phaseStart_s += this.currentPhase().duration_s;
        this.from = this.currentPhase().to ?? this.from;
      }
      this.phaseIndex++;
      const next = this.currentPhase();
      if (next.gripper === 'open') {
        gripper = { kind: 'move', width_m: FRANKA.gripper_max_width_m, speed_m_s: FRANKA.gripper_max_speed_m_s };
        this.gripperClosed = false;
      } else if (next.gripper === 'grasp') {
        gripper = { kind: 'grasp', width_m: 2 * CUBE_HALF_M, speed_m_s: FRANKA.gripper_max_speed_m_s, force_n: FRANKA.gripper_default_force_n, epsilon_inner_m: 0.01, epsilon_outer_m: 0.01 };
        this.gripperClosed = true;
      }
    }
    const phase = this.currentPhase();
    const stepIndex = this.stepIndex++;
    if (stepIndex % EXPLORE_CHUNK_STEPS === 0 && this.exploreLeft === 0 && this.noise.explore_prob > 0 && this.random() < this.noise.explore_prob) {
      this.exploreLeft = EXPLORE_CHUNK_STEPS;
    }
    if (this.exploreLeft > 0) {
      this.exploreLeft--;
      const r = this.random;
      const step = 0.2 * dt; // 0.2 m/s random walk
      const arm: ArmCommand = { kind: 'ee_delta', translation_m: [step * gaussian(r), step * gaussian(r), step * gaussian(r)], rotation_axis_angle_rad: [0, 0, 0.5 * dt * gaussian(r)] };
      // occasionally toggle the gripper as a human exploring would
      if (gripper === undefined && r() < 0.05) {
        gripper = this.gripperClosed
          ? { kind: 'move', width_m: FRANKA.gripper_max_width_m, speed_m_s: FRANKA.gripper_max_speed_m_s }
          : { kind: 'grasp', width_m: 2 * CUBE_HALF_M, speed_m_s: FRANKA.gripper_max_speed_m_s, force_n: FRANKA.gripper_default_force_n, epsilon_inner_m: 0.01, epsilon_outer_m: 0.01 };
        this.gripperClosed = !this.gripperClosed;
      }
      return gripper === undefined ? { arm, phase: phase.name, exploring: true } : { arm, gripper, phase: phase.name, exploring: true };
    }
    const from = this.from;
    const to = phase.to ?? from;
    const s = minJerk((t + dt - this.phaseStart_s) / phase.duration_s);
    const position: Vec3 = [from[0] + s * (to[0] - from[0]), from[1] + s * (to[1] - from[1]), from[2] + s * (to[2] - from[2])];
    const arm: ArmCommand = { kind: 'ee_pose', position_m: position, quaternion_wxyz: this.graspRotation };
    return gripper === undefined ? { arm, phase: phase.name, exploring: false } : { arm, gripper, phase: phase.name, exploring: false };
  }

  private currentPhase(): Phase {
    return this.phases[Math.max(0, this.phaseIndex)] as Phase;
  }
}
