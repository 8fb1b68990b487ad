import type { ArmCommand, GripperCommand, SentAction, Vec3 } from '../devices/types';
import { FRANKA } from './franka';

/** What the sim arm enforces on commands before they reach the controller. */
export interface ArmLimits {
  workspace_min_m: Vec3;
  workspace_max_m: Vec3;
  /** Largest `ee_delta` translation per command (deoxys OSC_POSE scales its actions to 5 cm). */
  max_delta_translation_m: number;
  /** Largest `ee_delta` rotation per command. */
  max_delta_rotation_rad: number;
  joint_limit_margin_rad: number;
}

export const DEFAULT_ARM_LIMITS: ArmLimits = {
  workspace_min_m: [0.2, -0.5, 0.0],
  workspace_max_m: [0.8, 0.5, 0.7],
  max_delta_translation_m: 0.05,
  max_delta_rotation_rad: 0.5,
  joint_limit_margin_rad: 0.05,
};

const AXES = ['x', 'y', 'z'] as const;

function finiteAll(values: readonly number[]): boolean {
  return values.every((v) => Number.isFinite(v));
}

function scaledToNorm(v: Vec3, max: number): { v: Vec3; clipped: boolean } {
  const n = Math.hypot(...v);
  if (n <= max) return { v, clipped: false };
  const s = max / n;
  return { v: [v[0] * s, v[1] * s, v[2] * s], clipped: true };
}

/** Clamps a target position to the workspace box; reasons name the axis and bound. */
export function clipToWorkspace(p: Vec3, limits: ArmLimits, reasons: string[]): Vec3 {
  return p.map((value, axis) => {
    const lo = limits.workspace_min_m[axis] as number;
    const hi = limits.workspace_max_m[axis] as number;
    if (value < lo) reasons.push(`workspace ${AXES[axis]} min (${lo} m)`);
    if (value > hi) reasons.push(`workspace ${AXES[axis]} max (${hi} m)`);
    return Math.min(Math.max(value, lo), hi);
  }) as Vec3;
}

export class InvalidCommandError extends Error {}

/**
 * Clips what can be clipped without knowing the robot's state: delta sizes, joint limits, quaternion
 * norm. Workspace clipping of absolute targets happens in the engine, which knows the current pose.
 */
export function clipArmCommand(command: ArmCommand, limits: ArmLimits): SentAction<ArmCommand> {
  const reasons: string[] = [];
  let sent: ArmCommand;
  switch (command.kind) {
    case 'ee_delta': {
      if (!finiteAll([...command.translation_m, ...command.rotation_axis_angle_rad])) throw new InvalidCommandError('ee_delta has a non-finite value');
      const t = scaledToNorm(command.translation_m, limits.max_delta_translation_m);
      if (t.clipped) reasons.push(`delta translation over ${limits.max_delta_translation_m} m`);
      const r = scaledToNorm(command.rotation_axis_angle_rad, limits.max_delta_rotation_rad);
      if (r.clipped) reasons.push(`delta rotation over ${limits.max_delta_rotation_rad} rad`);
      sent = { kind: 'ee_delta', translation_m: t.v, rotation_axis_angle_rad: r.v };
      break;
    }
    case 'ee_pose': {
      if (!finiteAll([...command.position_m, ...command.quaternion_wxyz])) throw new InvalidCommandError('ee_pose has a non-finite value');
      const n = Math.hypot(...command.quaternion_wxyz);
      if (n < 1e-6) throw new InvalidCommandError('ee_pose quaternion has zero norm');
      if (Math.abs(n - 1) > 1e-3) reasons.push('quaternion normalised');
      const q = command.quaternion_wxyz.map((c) => c / n) as [number, number, number, number];
      sent = { kind: 'ee_pose', position_m: clipToWorkspace(command.position_m, limits, reasons), quaternion_wxyz: q };
      break;
    }
    case 'joint_position':
    case 'joint_impedance': {
      if (command.q_rad.length !== 7) throw new InvalidCommandError(`${command.kind} needs 7 joint values, got ${command.q_rad.length}`);
      if (!finiteAll(command.q_rad)) throw new InvalidCommandError(`${command.kind} has a non-finite value`);
      const q = command.q_rad.map((value, j) => {
        const lo = (FRANKA.q_min_rad[j] as number) + limits.joint_limit_margin_rad;
        const hi = (FRANKA.q_max_rad[j] as number) - limits.joint_limit_margin_rad;
        if (value < lo) reasons.push(`joint ${j + 1} at lower limit (${lo.toFixed(4)} rad)`);
        if (value > hi) reasons.push(`joint ${j + 1} at upper limit (${hi.toFixed(4)} rad)`);
        return Math.min(Math.max(value, lo), hi);
      });
      sent = { kind: command.kind, q_rad: q };
      break;
    }
  }
  return { requested: command, sent, clipped: reasons.length > 0, clip_reasons: reasons };
}

export function clipGripperCommand(command: GripperCommand): SentAction<GripperCommand> {
  const reasons: string[] = [];
  const clamp = (value: number, lo: number, hi: number, what: string, unit: string): number => {
    if (!Number.isFinite(value)) throw new InvalidCommandError(`gripper ${what} is not finite`);
    if (value < lo) reasons.push(`${what} below ${lo} ${unit}`);
    if (value > hi) reasons.push(`${what} above ${hi} ${unit}`);
    return Math.min(Math.max(value, lo), hi);
  };
  let sent: GripperCommand;
  switch (command.kind) {
    case 'move':
      sent = {
        kind: 'move',
        width_m: clamp(command.width_m, 0, FRANKA.gripper_max_width_m, 'width', 'm'),
        speed_m_s: clamp(command.speed_m_s, 0.001, FRANKA.gripper_max_speed_m_s, 'speed', 'm/s'),
      };
      break;
    case 'grasp': {
      const next: GripperCommand = {
        kind: 'grasp',
        width_m: clamp(command.width_m, 0, FRANKA.gripper_max_width_m, 'width', 'm'),
        speed_m_s: clamp(command.speed_m_s, 0.001, FRANKA.gripper_max_speed_m_s, 'speed', 'm/s'),
        force_n: clamp(command.force_n, 0, FRANKA.gripper_max_force_n, 'force', 'N'),
      };
      if (command.epsilon_inner_m !== undefined) next.epsilon_inner_m = clamp(command.epsilon_inner_m, 0, FRANKA.gripper_max_width_m, 'epsilon_inner', 'm');
      if (command.epsilon_outer_m !== undefined) next.epsilon_outer_m = clamp(command.epsilon_outer_m, 0, FRANKA.gripper_max_width_m, 'epsilon_outer', 'm');
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
