import { FRANKA_HAND_LIMITS, FRANKA_Q_MAX_RAD, FRANKA_Q_MIN_RAD, type GripperLimits } from './frankaLimits';
import type { ArmCommand, GripperCommand, Quaternion, SentAction, Vec3 } from './types';

/**
 * What an arm driver enforces on each command before it reaches the controller: the one clip module
 * for the simulated arm (`main/sim/engine.ts`) and the deoxys driver. The rig's safety layer
 * (`main/control/safety.ts`) limits speed per control period on top of this; these are per-command
 * bounds of the robot and its protocol. Malformed commands (NaN, wrong length, non-unit quaternion)
 * throw `InvalidCommandError` rather than being "clipped" into something nobody asked for.
 */
export interface ArmCommandLimits {
  /** Largest `ee_delta` translation per command (and largest jump of an `ee_pose` goal, given the state). */
  max_translation_per_command_m: number;
  /** Largest `ee_delta` rotation per command. */
  max_rotation_per_command_rad: number;
  /** Optional box for the TCP in the base frame: a TCP already outside may come back, never go further. */
  workspace_min_m?: Vec3 | undefined;
  workspace_max_m?: Vec3 | undefined;
  /** Joint targets stay this far inside the joint limits. */
  joint_limit_margin_rad: number;
  /** Largest joint-target jump from the measured angles per command (given the state). */
  max_joint_step_rad: number;
}

/**
 * Franka through deoxys OSC_POSE, and the simulated Franka. Translation 0.05 m: deoxys scales an
 * OSC_POSE action in [-1, 1] by `action_scale.translation` = 0.05 m, and the control loop lets its
 * target lead the arm by up to 5 cm (`control/controlLoop.ts`); a lower driver bound (the deoxys
 * driver had 0.02 m, the sim 0.05 m) would clip every lead above it, so the operator's speed would
 * depend on the controller's tracking lag. Rotation 0.5 rad likewise stays above the loop's 0.3 rad
 * lead. Speed itself is the rig's safety limit (per control period), not the driver's.
 */
export const FRANKA_COMMAND_LIMITS: ArmCommandLimits = {
  max_translation_per_command_m: 0.05,
  max_rotation_per_command_rad: 0.5,
  joint_limit_margin_rad: 0.05,
  max_joint_step_rad: 0.2,
};

export class InvalidCommandError extends Error {}

/** What the clip needs to know about the arm now; without it, only state-free bounds apply. */
export interface MeasuredArm {
  ee_position_m: Vec3;
  q_rad: readonly number[];
}

const AXES = ['x', 'y', 'z'];

function requireFinite(values: readonly number[], length: number, what: string): void {
  if (values.length !== length) throw new InvalidCommandError(`${what} needs ${length} values, got ${values.length}`);
  if (!values.every(Number.isFinite)) throw new InvalidCommandError(`${what} holds a non-finite value (${values.join(', ')})`);
}

function clipNorm(v: Vec3, max: number, what: string, unit: string, reasons: string[]): Vec3 {
  const norm = Math.hypot(...v);
  if (norm <= max) return [...v];
  reasons.push(`${what} ${norm.toFixed(4)} ${unit} exceeds ${max} ${unit} per command`);
  const scale = max / norm;
  return [v[0] * scale, v[1] * scale, v[2] * scale];
}

/**
 * Moves `target` into the workspace box, but never pulls a TCP that is already outside back in (an
 * arm pushed out must not be yanked). Without a box, the target is unchanged.
 */
export function clipToWorkspace(current: Vec3, target: Vec3, limits: ArmCommandLimits, reasons: string[]): Vec3 {
  const { workspace_min_m: min, workspace_max_m: max } = limits;
  if (min === undefined || max === undefined) return target;
  return target.map((value, axis) => {
    const low = min[axis] ?? -Infinity;
    const high = max[axis] ?? Infinity;
    const now = current[axis] ?? value;
    if (value > high && value > now) {
      reasons.push(`workspace ${AXES[axis]} max (${high} m)`);
      return Math.max(now, high);
    }
    if (value < low && value < now) {
      reasons.push(`workspace ${AXES[axis]} min (${low} m)`);
      return Math.min(now, low);
    }
    return value;
  }) as Vec3;
}

function clipJoints(q_rad: readonly number[], state: MeasuredArm | undefined, limits: ArmCommandLimits, reasons: string[]): number[] {
  requireFinite(q_rad, 7, 'joint target q_rad');
  return q_rad.map((q, joint) => {
    let value = q;
    const measured = state?.q_rad[joint];
    if (measured !== undefined && Math.abs(value - measured) > limits.max_joint_step_rad) {
      reasons.push(`joint ${joint + 1} step ${(value - measured).toFixed(3)} rad exceeds ${limits.max_joint_step_rad} rad per command`);
      value = measured + Math.sign(value - measured) * limits.max_joint_step_rad;
    }
    const low = (FRANKA_Q_MIN_RAD[joint] ?? -Infinity) + limits.joint_limit_margin_rad;
    const high = (FRANKA_Q_MAX_RAD[joint] ?? Infinity) - limits.joint_limit_margin_rad;
    if (value < low) {
      reasons.push(`joint ${joint + 1} at lower limit`);
      value = low;
    } else if (value > high) {
      reasons.push(`joint ${joint + 1} at upper limit`);
      value = high;
    }
    return value;
  });
}

/**
 * Clips an arm command to the limits and says why. With the measured `state`, `ee_delta` targets keep
 * to the workspace box, `ee_pose` goals move at most one translation step, and joint targets at most
 * one joint step; without it (a controller that ramps towards far targets itself, like the sim's),
 * only the state-free bounds apply and `ee_pose` goals are clamped to the box.
 */
export function clipArmCommand(command: ArmCommand, state: MeasuredArm | undefined, limits: ArmCommandLimits): SentAction<ArmCommand> {
  const reasons: string[] = [];
  let sent: ArmCommand;
  switch (command.kind) {
    case 'ee_delta': {
      requireFinite(command.translation_m, 3, 'ee_delta translation_m');
      requireFinite(command.rotation_axis_angle_rad, 3, 'ee_delta rotation_axis_angle_rad');
      let translation = clipNorm(command.translation_m, limits.max_translation_per_command_m, 'delta translation', 'm', reasons);
      if (state !== undefined) {
        const current = state.ee_position_m;
        const target = clipToWorkspace(
          current,
          [current[0] + translation[0], current[1] + translation[1], current[2] + translation[2]],
          limits,
          reasons,
        );
        translation = [target[0] - current[0], target[1] - current[1], target[2] - current[2]];
      }
      const rotation = clipNorm(command.rotation_axis_angle_rad, limits.max_rotation_per_command_rad, 'delta rotation', 'rad', reasons);
      sent = { kind: 'ee_delta', translation_m: translation, rotation_axis_angle_rad: rotation };
      break;
    }
    case 'ee_pose': {
      requireFinite(command.position_m, 3, 'ee_pose position_m');
      requireFinite(command.quaternion_wxyz, 4, 'ee_pose quaternion_wxyz');
      const norm = Math.hypot(...command.quaternion_wxyz);
      if (Math.abs(norm - 1) > 1e-3) throw new InvalidCommandError(`ee_pose quaternion_wxyz must have unit norm, has ${norm.toFixed(4)}`);
      const quaternion = command.quaternion_wxyz.map((v) => v / norm) as Quaternion;
      if (state === undefined) {
        // No measured pose to step from: the goal itself is kept inside the box.
        sent = { kind: 'ee_pose', position_m: clampToBox(command.position_m, limits, reasons), quaternion_wxyz: quaternion };
        break;
      }
      const current = state.ee_position_m;
      // An absolute goal is limited like a delta from where the TCP is now.
      const step = clipNorm(
        [command.position_m[0] - current[0], command.position_m[1] - current[1], command.position_m[2] - current[2]],
        limits.max_translation_per_command_m,
        'translation',
        'm',
        reasons,
      );
      const position = clipToWorkspace(current, [current[0] + step[0], current[1] + step[1], current[2] + step[2]], limits, reasons);
      sent = { kind: 'ee_pose', position_m: position, quaternion_wxyz: quaternion };
      break;
    }
    case 'joint_position':
    case 'joint_impedance':
      sent = { kind: command.kind, q_rad: clipJoints(command.q_rad, state, limits, reasons) };
      break;
  }
  return { requested: command, sent, clipped: reasons.length > 0, clip_reasons: reasons };
}

/** A goal with no measured pose to compare with: clamped into the box outright. */
function clampToBox(p: Vec3, limits: ArmCommandLimits, reasons: string[]): Vec3 {
  const { workspace_min_m: min, workspace_max_m: max } = limits;
  if (min === undefined || max === undefined) return p;
  return p.map((value, axis) => {
    const low = min[axis] ?? -Infinity;
    const high = max[axis] ?? Infinity;
    if (value < low) reasons.push(`workspace ${AXES[axis]} min (${low} m)`);
    if (value > high) reasons.push(`workspace ${AXES[axis]} max (${high} m)`);
    return Math.min(Math.max(value, low), high);
  }) as Vec3;
}

function clipRange(value: number, low: number, high: number, what: string, unit: string, reasons: string[]): number {
  if (!Number.isFinite(value)) throw new InvalidCommandError(`gripper ${what} is not finite`);
  if (value < low) {
    reasons.push(`${what} below ${low} ${unit}`);
    return low;
  }
  if (value > high) {
    reasons.push(`${what} above ${high} ${unit}`);
    return high;
  }
  return value;
}

/** Width, speed and force kept within the hand's ranges; `stop` and `homing` pass. */
export function clipGripperCommand(command: GripperCommand, limits: GripperLimits = FRANKA_HAND_LIMITS): SentAction<GripperCommand> {
  const reasons: string[] = [];
  let sent: GripperCommand;
  switch (command.kind) {
    case 'move':
      sent = {
        kind: 'move',
        width_m: clipRange(command.width_m, 0, limits.max_width_m, 'width', 'm', reasons),
        speed_m_s: clipRange(command.speed_m_s, 0.001, limits.max_speed_m_s, 'speed', 'm/s', reasons),
      };
      break;
    case 'grasp': {
      const next: GripperCommand = {
        kind: 'grasp',
        width_m: clipRange(command.width_m, 0, limits.max_width_m, 'width', 'm', reasons),
        speed_m_s: clipRange(command.speed_m_s, 0.001, limits.max_speed_m_s, 'speed', 'm/s', reasons),
        force_n: clipRange(command.force_n, 0, limits.max_force_n, 'force', 'N', reasons),
      };
      // Tolerances stay absent when not given: each driver has its own default (libfranka's examples differ).
      if (command.epsilon_inner_m !== undefined)
        next.epsilon_inner_m = clipRange(command.epsilon_inner_m, 0, limits.max_width_m, 'epsilon_inner', 'm', reasons);
      if (command.epsilon_outer_m !== undefined)
        next.epsilon_outer_m = clipRange(command.epsilon_outer_m, 0, limits.max_width_m, 'epsilon_outer', 'm', reasons);
      sent = next;
      break;
    }
    case 'stop':
    case 'homing':
      sent = command;
      break;
  }
  return { requested: command, sent, clipped: reasons.length > 0, clip_reasons: reasons };
}
