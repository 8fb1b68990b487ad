import type { ArmCommand, Quaternion, TeleopState, Vec3 } from '../devices/types';

/**
 * The one shared mapper from raw teleop state to arm and gripper intent. Devices report normalised
 * axes in [-1, 1] in their documented frame; this turns them into an end-effector delta for one
 * control period, in the base frame, so every device gets the same scaling and frames. Safety limits
 * are applied afterwards, separately (safety.ts).
 */
export interface MapperConfig {
  /** Speed at full deflection. */
  linear_speed_m_s: number;
  angular_speed_rad_s: number;
  /** `base`: device axes are base axes; `tool`: device axes are the end-effector's axes. */
  frame: 'base' | 'tool';
  /** Per-axis sign and scale applied to the device's axes before anything else. */
  translation_scale: Vec3;
  rotation_scale: Vec3;
  lock_translation: boolean;
  lock_rotation: boolean;
}

export const DEFAULT_MAPPER: MapperConfig = {
  linear_speed_m_s: 0.15,
  angular_speed_rad_s: 0.6,
  frame: 'base',
  translation_scale: [1, 1, 1],
  rotation_scale: [1, 1, 1],
  lock_translation: false,
  lock_rotation: false,
};

export interface MappedIntent {
  arm: Extract<ArmCommand, { kind: 'ee_delta' }>;
  /** 0 open … 1 closed, when the device controls the gripper. */
  gripper?: number;
}

function rotate(q: Quaternion, v: Vec3): Vec3 {
  const [w, x, y, z] = q;
  // v' = v + 2w(u×v) + 2u×(u×v), u = (x, y, z)
  const cx = y * v[2] - z * v[1];
  const cy = z * v[0] - x * v[2];
  const cz = x * v[1] - y * v[0];
  return [v[0] + 2 * (w * cx + y * cz - z * cy), v[1] + 2 * (w * cy + z * cx - x * cz), v[2] + 2 * (w * cz + x * cy - y * cx)];
}

const clampUnit = (v: number) => Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));

export function mapTeleop(
  state: TeleopState,
  ee_quaternion_wxyz: Quaternion,
  period_s: number,
  config: MapperConfig = DEFAULT_MAPPER,
): MappedIntent {
  const t = state.translation.map((v, i) => (config.lock_translation ? 0 : clampUnit(v) * config.translation_scale[i]!)) as Vec3;
  const r = state.rotation.map((v, i) => (config.lock_rotation ? 0 : clampUnit(v) * config.rotation_scale[i]!)) as Vec3;
  const linear = config.linear_speed_m_s * period_s;
  const angular = config.angular_speed_rad_s * period_s;
  let translation: Vec3 = [t[0] * linear, t[1] * linear, t[2] * linear];
  let rotation: Vec3 = [r[0] * angular, r[1] * angular, r[2] * angular];
  if (config.frame === 'tool') {
    translation = rotate(ee_quaternion_wxyz, translation);
    rotation = rotate(ee_quaternion_wxyz, rotation);
  }
  return {
    arm: { kind: 'ee_delta', translation_m: translation, rotation_axis_angle_rad: rotation },
    ...(state.gripper !== undefined ? { gripper: Math.max(0, Math.min(1, state.gripper)) } : {}),
  };
}
