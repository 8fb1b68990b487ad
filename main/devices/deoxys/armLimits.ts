import { FRANKA_Q_MAX_RAD, FRANKA_Q_MIN_RAD } from '../kinematics/frankaKinematics';
import type { ArmCommand, ArmState, GripperCommand, Quaternion, SentAction, Vec3 } from '../types';

/** What the deoxys arm driver enforces before anything reaches the NUC. */
export interface ArmLimits {
  /** Largest OSC translation per command (deoxys's SpaceMouse mapping asks up to 0.05 m). */
  max_translation_per_command_m: number;
  max_rotation_per_command_rad: number;
  /** Optional box for the TCP position in the base frame. */
  workspace_min_m?: Vec3 | undefined;
  workspace_max_m?: Vec3 | undefined;
  /** Joint targets stay this far inside Franka's joint limits. */
  joint_limit_margin_rad: number;
  /** Largest joint-target jump from the measured joint angles, per command. */
  max_joint_step_rad: number;
}

export const DEFAULT_ARM_LIMITS: ArmLimits = {
  max_translation_per_command_m: 0.02,
  max_rotation_per_command_rad: 0.1,
  joint_limit_margin_rad: 0.05,
  max_joint_step_rad: 0.2,
};

export class InvalidCommandError extends Error {}

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

/** Moves `position` into the workspace box, but never pulls a TCP that is already outside back in. */
function clipToWorkspace(current: Vec3, target: Vec3, limits: ArmLimits, reasons: string[]): Vec3 {
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

function clipJoints(q_rad: readonly number[], state: ArmState | undefined, limits: ArmLimits, reasons: string[]): number[] {
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
 * Clips an arm command to the limits and says why. Malformed commands (wrong length, NaN) throw
 * `InvalidCommandError` rather than being "clipped" into something the operator did not ask for.
 */
export function clipArmCommand(command: ArmCommand, state: ArmState | undefined, limits: ArmLimits): SentAction<ArmCommand> {
  const reasons: string[] = [];
  let sent: ArmCommand;
  switch (command.kind) {
    case 'ee_delta': {
      requireFinite(command.translation_m, 3, 'ee_delta translation_m');
      requireFinite(command.rotation_axis_angle_rad, 3, 'ee_delta rotation_axis_angle_rad');
      let translation = clipNorm(command.translation_m, limits.max_translation_per_command_m, 'translation', 'm', reasons);
      if (state !== undefined) {
        const current = state.ee_position_m;
        const target = clipToWorkspace(current, [current[0] + translation[0], current[1] + translation[1], current[2] + translation[2]], limits, reasons);
        translation = [target[0] - current[0], target[1] - current[1], target[2] - current[2]];
      }
      const rotation = clipNorm(command.rotation_axis_angle_rad, limits.max_rotation_per_command_rad, 'rotation', 'rad', reasons);
      sent = { kind: 'ee_delta', translation_m: translation, rotation_axis_angle_rad: rotation };
      break;
    }
    case 'ee_pose': {
      requireFinite(command.position_m, 3, 'ee_pose position_m');
      requireFinite(command.quaternion_wxyz, 4, 'ee_pose quaternion_wxyz');
      const norm = Math.hypot(...command.quaternion_wxyz);
      if (Math.abs(norm - 1) > 1e-3) throw new InvalidCommandError(`ee_pose quaternion_wxyz must have unit norm, has ${norm.toFixed(4)}`);
      if (state === undefined) throw new InvalidCommandError('ee_pose needs the measured pose first (no robot state yet)');
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
      sent = { kind: 'ee_pose', position_m: position, quaternion_wxyz: command.quaternion_wxyz.map((v) => v / norm) as Quaternion };
      break;
    }
    case 'joint_position':
    case 'joint_impedance':
      sent = { kind: command.kind, q_rad: clipJoints(command.q_rad, state, limits, reasons) };
      break;
  }
  return { requested: command, sent, clipped: reasons.length > 0, clip_reasons: reasons };
}

// ---- Franka Hand ---------------------------------------------------------------------------------

export interface GripperLimits {
  max_width_m: number;
  max_speed_m_s: number;
  max_force_n: number;
}

/** Franka Hand datasheet: 80 mm stroke, 70 N continuous force; libfranka caps speed at 0.1 m/s. */
export const FRANKA_HAND_LIMITS: GripperLimits = { max_width_m: 0.08, max_speed_m_s: 0.1, max_force_n: 70 };

function clipRange(value: number, low: number, high: number, what: string, reasons: string[]): number {
  if (!Number.isFinite(value)) throw new InvalidCommandError(`${what} is not a finite number`);
  if (value < low) {
    reasons.push(`${what} ${value} below ${low}`);
    return low;
  }
  if (value > high) {
    reasons.push(`${what} ${value} above ${high}`);
    return high;
  }
  return value;
}

export function clipGripperCommand(command: GripperCommand, limits: GripperLimits): SentAction<GripperCommand> {
  const reasons: string[] = [];
  let sent: GripperCommand;
  switch (command.kind) {
    case 'move':
      sent = {
        kind: 'move',
        width_m: clipRange(command.width_m, 0, limits.max_width_m, 'width_m', reasons),
        speed_m_s: clipRange(command.speed_m_s, 0.001, limits.max_speed_m_s, 'speed_m_s', reasons),
      };
      break;
    case 'grasp':
      sent = {
        kind: 'grasp',
        width_m: clipRange(command.width_m, 0, limits.max_width_m, 'width_m', reasons),
        speed_m_s: clipRange(command.speed_m_s, 0.001, limits.max_speed_m_s, 'speed_m_s', reasons),
        force_n: clipRange(command.force_n, 0, limits.max_force_n, 'force_n', reasons),
        epsilon_inner_m: clipRange(command.epsilon_inner_m ?? 0.08, 0, limits.max_width_m, 'epsilon_inner_m', reasons),
        epsilon_outer_m: clipRange(command.epsilon_outer_m ?? 0.08, 0, limits.max_width_m, 'epsilon_outer_m', reasons),
      };
      break;
    case 'stop':
    case 'homing':
      sent = command;
      break;
  }
  return { requested: command, sent, clipped: reasons.length > 0, clip_reasons: reasons };
}
