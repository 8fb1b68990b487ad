import {
  dlsIkStep,
  FRANKA_DQ_MAX_RAD_S,
  FRANKA_HAND_TCP,
  FRANKA_Q_HOME_RAD,
  frankaForwardKinematics,
  clampToJointLimits,
  type TcpOffset,
} from '../../../shared/robot/frankaKinematics';
import { mat4Translation, mat4Rotation, rotationErrorAxisAngle } from '../../../shared/robot/rotation';
import type { Mat4 } from '../types';

/**
 * The robot behind the simulated deoxys server. The server does the deoxys part (sockets, watchdog,
 * controller switching, OSC delta → absolute goal in the base frame); a backend only moves a robot
 * towards the latest target and reports its state. Two calls:
 *
 * - `step(dt_s, commands)` advances the robot by `dt_s` seconds. `commands.arm` / `commands.gripper`
 *   are set only on the step right after a new command arrived; otherwise keep tracking the last one.
 * - `state()` returns the current state; the server publishes it right after each step (100 Hz).
 *
 * Conventions: base frame, metres, radians; `base_from_ee` is the TCP pose (libfranka `O_T_EE`, with
 * the Franka Hand's 0.1034 m offset), 4×4 column-major.
 */
export interface DeoxysSimBackend {
  step(dt_s: number, commands: { arm?: SimArmTarget; gripper?: SimGripperTarget }): void;
  state(): SimRobotState;
}

export type SimArmTarget =
  /** NO_CONTROL or a stopped controller: stay where you are. */
  | { kind: 'hold' }
  /** An OSC goal for the TCP (deltas are already applied to the measured pose). */
  | { kind: 'ee_pose'; base_from_ee: Mat4 }
  /** JOINT_POSITION / JOINT_IMPEDANCE target. */
  | { kind: 'joint_position'; q_rad: number[] };

export type SimGripperTarget =
  | { kind: 'move'; width_m: number; speed_m_s: number }
  | { kind: 'grasp'; width_m: number; speed_m_s: number; force_n: number; epsilon_inner_m: number; epsilon_outer_m: number }
  | { kind: 'stop' }
  | { kind: 'homing' };

export interface SimRobotState {
  arm: { q_rad: number[]; dq_rad_s: number[]; tau_nm: number[]; base_from_ee: Mat4 };
  gripper: { width_m: number; max_width_m: number; is_grasped: boolean };
}

export interface KinematicBackendOptions {
  q_rad?: readonly number[];
  tcp?: TcpOffset;
  /** Damped-least-squares iterations per step towards an OSC goal. */
  ik_iterations_per_step?: number;
  /** Width at which a grasp meets an object; undefined = nothing between the fingers. */
  object_width_m?: number;
}

const FRANKA_HAND_MAX_WIDTH_M = 0.08;

/**
 * A kinematic Franka: joints jump towards the target within their speed limits (no dynamics, no
 * contacts). OSC goals are followed by differential IK from the DH model; the hand moves at the
 * commanded speed and a grasp succeeds per libfranka's rule (final width within the epsilons).
 */
export class KinematicFrankaBackend implements DeoxysSimBackend {
  private q: number[];
  private dq: number[] = new Array<number>(7).fill(0);
  private target: SimArmTarget = { kind: 'hold' };
  private readonly tcp: TcpOffset;
  private readonly iterations: number;
  private width_m = FRANKA_HAND_MAX_WIDTH_M;
  private gripperGoal:
    { width_m: number; speed_m_s: number; grasp?: { width_m: number; epsilon_inner_m: number; epsilon_outer_m: number } } | undefined;
  private grasped = false;
  private readonly objectWidth_m: number | undefined;

  constructor(options: KinematicBackendOptions = {}) {
    this.q = [...(options.q_rad ?? FRANKA_Q_HOME_RAD)];
    this.tcp = options.tcp ?? FRANKA_HAND_TCP;
    this.iterations = options.ik_iterations_per_step ?? 4;
    this.objectWidth_m = options.object_width_m;
  }

  step(dt_s: number, commands: { arm?: SimArmTarget; gripper?: SimGripperTarget }): void {
    if (commands.arm !== undefined) this.target = commands.arm;
    if (commands.gripper !== undefined) this.applyGripper(commands.gripper);
    const before = [...this.q];
    const target = this.target;
    if (target.kind === 'ee_pose') {
      for (let i = 0; i < this.iterations; i++) {
        this.q = dlsIkStep(this.q, target.base_from_ee, {
          damping: 0.02,
          max_step_rad: FRANKA_DQ_MAX_RAD_S.map((limit, joint) =>
            Math.max(0, limit * dt_s - Math.abs((this.q[joint] ?? 0) - (before[joint] ?? 0))),
          ),
          tcp: this.tcp,
        });
      }
    } else if (target.kind === 'joint_position') {
      this.q = this.q.map((q, joint) => {
        const goal = clampToJointLimits(target.q_rad[joint] ?? q, joint);
        const step = (FRANKA_DQ_MAX_RAD_S[joint] ?? 1) * dt_s;
        return q + Math.max(-step, Math.min(step, goal - q));
      });
    }
    this.dq = dt_s > 0 ? this.q.map((q, joint) => (q - (before[joint] ?? q)) / dt_s) : this.dq.map(() => 0);
    this.stepGripper(dt_s);
  }

  private applyGripper(command: SimGripperTarget): void {
    switch (command.kind) {
      case 'move':
        this.grasped = false;
        this.gripperGoal = { width_m: command.width_m, speed_m_s: command.speed_m_s };
        break;
      case 'grasp':
        this.grasped = false;
        this.gripperGoal = { width_m: this.objectWidth_m ?? 0, speed_m_s: command.speed_m_s, grasp: command };
        break;
      case 'stop':
        this.gripperGoal = undefined;
        break;
      case 'homing':
        this.grasped = false;
        this.gripperGoal = { width_m: FRANKA_HAND_MAX_WIDTH_M, speed_m_s: 0.1 };
        break;
    }
  }

  private stepGripper(dt_s: number): void {
    const goal = this.gripperGoal;
    if (goal === undefined) return;
    const step = goal.speed_m_s * dt_s;
    const target = Math.min(FRANKA_HAND_MAX_WIDTH_M, Math.max(0, goal.width_m));
    this.width_m += Math.max(-step, Math.min(step, target - this.width_m));
    if (Math.abs(this.width_m - target) < 1e-9) {
      if (goal.grasp !== undefined) {
        const { width_m, epsilon_inner_m, epsilon_outer_m } = goal.grasp;
        this.grasped = this.width_m >= width_m - epsilon_inner_m && this.width_m <= width_m + epsilon_outer_m;
      }
      this.gripperGoal = undefined;
    }
  }

  state(): SimRobotState {
    return {
      arm: {
        q_rad: [...this.q],
        dq_rad_s: [...this.dq],
        tau_nm: new Array<number>(7).fill(0),
        base_from_ee: frankaForwardKinematics(this.q, this.tcp),
      },
      gripper: { width_m: this.width_m, max_width_m: FRANKA_HAND_MAX_WIDTH_M, is_grasped: this.grasped },
    };
  }
}

/** Distance between two TCP poses, for tests and diagnostics: metres and radians. */
export function poseDistance(a: Mat4, b: Mat4): { translation_m: number; rotation_rad: number } {
  const pa = mat4Translation(a);
  const pb = mat4Translation(b);
  return {
    translation_m: Math.hypot(pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]),
    rotation_rad: Math.hypot(...rotationErrorAxisAngle(mat4Rotation(a), mat4Rotation(b))),
  };
}
