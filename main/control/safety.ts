import type { SafetyConfig } from '../../shared/rig/rigConfig';
import type { ArmCommand, GripperCommand, SentAction, Vec3 } from '../devices/types';

/**
 * Safety between intent and the robot: teleop staleness, e-stop, workspace box, speed limits,
 * joint-limit margins and gripper force. Every change to a command is reported as a clip reason, so
 * the recorder stores what was asked, what was sent, and why they differ.
 */
export interface SafetyContext {
  period_s: number;
  ee_position_m: Vec3;
  q_rad?: readonly number[];
  /** Joint limits of the arm, for joint-space commands. */
  q_min_rad?: readonly number[];
  q_max_rad?: readonly number[];
  /** Age of the newest teleop input; undefined when the command does not come from teleop. */
  teleop_age_ms?: number;
  estopped: boolean;
}

const norm = (v: readonly number[]) => Math.hypot(...v);
const SLACK = 1e-9;
const scale = (v: Vec3, k: number): Vec3 => [v[0] * k, v[1] * k, v[2] * k];

const ZERO_DELTA: Extract<ArmCommand, { kind: 'ee_delta' }> = {
  kind: 'ee_delta',
  translation_m: [0, 0, 0],
  rotation_axis_angle_rad: [0, 0, 0],
};

export function limitArmCommand(command: ArmCommand, limits: SafetyConfig, context: SafetyContext): SentAction<ArmCommand> {
  const reasons: string[] = [];
  if (context.estopped) return { requested: command, sent: ZERO_DELTA, clipped: true, clip_reasons: ['e-stop engaged'] };
  if (context.teleop_age_ms !== undefined && context.teleop_age_ms > limits.teleop_timeout_ms) {
    return {
      requested: command,
      sent: ZERO_DELTA,
      clipped: true,
      clip_reasons: [`teleop input ${Math.round(context.teleop_age_ms)} ms old (limit ${limits.teleop_timeout_ms} ms)`],
    };
  }
  switch (command.kind) {
    case 'ee_delta': {
      let translation = command.translation_m.map((v) => (Number.isFinite(v) ? v : 0)) as Vec3;
      let rotation = command.rotation_axis_angle_rad.map((v) => (Number.isFinite(v) ? v : 0)) as Vec3;
      if (translation.some((v, i) => v !== command.translation_m[i]) || rotation.some((v, i) => v !== command.rotation_axis_angle_rad[i]))
        reasons.push('non-finite values zeroed');
      // Keep the target inside the workspace box.
      const target = translation.map((d, i) => context.ee_position_m[i]! + d);
      const clamped = target.map((v, i) => Math.min(limits.workspace_max_m[i]!, Math.max(limits.workspace_min_m[i]!, v)));
      translation = translation.map((d, i) => {
        if (clamped[i] === target[i]) return d;
        reasons.push(`workspace ${'xyz'[i]} ${clamped[i] === limits.workspace_max_m[i] ? 'max' : 'min'}`);
        return clamped[i]! - context.ee_position_m[i]!;
      }) as Vec3;
      // Then the speed limits, which also bound how fast an arm outside the box is brought back in.
      // A step at exactly the limit (a source that keeps to it, like the expert) is not a clip, whatever
      // the last bit of its rounding: a relative slack of 1e-9 is far below any physical meaning.
      const maxStep = limits.max_linear_speed_m_s * context.period_s;
      if (norm(translation) > maxStep * (1 + SLACK)) {
        translation = scale(translation, maxStep / norm(translation));
        reasons.push('linear speed');
      }
      const maxTurn = limits.max_angular_speed_rad_s * context.period_s;
      if (norm(rotation) > maxTurn * (1 + SLACK)) {
        rotation = scale(rotation, maxTurn / norm(rotation));
        reasons.push('angular speed');
      }
      return {
        requested: command,
        sent: { kind: 'ee_delta', translation_m: translation, rotation_axis_angle_rad: rotation },
        clipped: reasons.length > 0,
        clip_reasons: reasons,
      };
    }
    case 'joint_position':
    case 'joint_impedance': {
      const { q_min_rad: qMin, q_max_rad: qMax, q_rad: q } = context;
      const maxJointStep = limits.max_angular_speed_rad_s * context.period_s;
      const sent = command.q_rad.map((target, i) => {
        let v = Number.isFinite(target) ? target : (q?.[i] ?? 0);
        if (qMin?.[i] !== undefined && v < qMin[i] + limits.joint_limit_margin_rad) {
          v = qMin[i] + limits.joint_limit_margin_rad;
          reasons.push(`joint ${i + 1} lower limit`);
        }
        if (qMax?.[i] !== undefined && v > qMax[i] - limits.joint_limit_margin_rad) {
          v = qMax[i] - limits.joint_limit_margin_rad;
          reasons.push(`joint ${i + 1} upper limit`);
        }
        const current = q?.[i];
        if (current !== undefined && Math.abs(v - current) > maxJointStep) {
          v = current + Math.sign(v - current) * maxJointStep;
          reasons.push(`joint ${i + 1} speed`);
        }
        return v;
      });
      return { requested: command, sent: { kind: command.kind, q_rad: sent }, clipped: reasons.length > 0, clip_reasons: reasons };
    }
    case 'ee_pose': {
      const position = command.position_m.map((v, i) => {
        const c = Math.min(limits.workspace_max_m[i]!, Math.max(limits.workspace_min_m[i]!, v));
        if (c !== v) reasons.push(`workspace ${'xyz'[i]} ${c === limits.workspace_max_m[i] ? 'max' : 'min'}`);
        return c;
      }) as Vec3;
      return { requested: command, sent: { ...command, position_m: position }, clipped: reasons.length > 0, clip_reasons: reasons };
    }
  }
}

export function limitGripperCommand(command: GripperCommand, limits: SafetyConfig, estopped: boolean): SentAction<GripperCommand> {
  if (estopped && command.kind !== 'stop')
    return { requested: command, sent: { kind: 'stop' }, clipped: true, clip_reasons: ['e-stop engaged'] };
  if (command.kind === 'grasp' && command.force_n > limits.max_gripper_force_n) {
    return {
      requested: command,
      sent: { ...command, force_n: limits.max_gripper_force_n },
      clipped: true,
      clip_reasons: [`gripper force ${command.force_n} N > ${limits.max_gripper_force_n} N`],
    };
  }
  return { requested: command, sent: command, clipped: false, clip_reasons: [] };
}
