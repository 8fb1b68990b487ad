import type { ArmCommand } from '../../shared/robot/types';
import type { ExpertMotion, ExpertNoise } from './expert';

/**
 * How a recording made by the scripted expert describes itself: the policy variant it came from, and
 * what its recorded actions mean. Exports pass both on (GWM `operator`, `policy`, `actions`), so a
 * trainer can tell variants apart and knows the action units without reading this code.
 */

/** What recorded `ee_delta` actions mean, declared with the action streams (and exported). */
export interface ActionMeaning {
  semantics: 'delta_from_measured';
  /** Per-step bounds: the rig's speed limits over one control period. */
  max_translation_m: number;
  max_rotation_rad: number;
  description: string;
}

export function actionMeaning(motion: ExpertMotion, control_hz: number): ActionMeaning & Record<string, unknown> {
  return {
    semantics: 'delta_from_measured',
    max_translation_m: motion.max_linear_speed_m_s / control_hz,
    max_rotation_rad: motion.max_angular_speed_rad_s / control_hz,
    description:
      'the motion asked of one control step, applied to the TCP pose measured at its start: goal position = measured + Δxyz (m), goal rotation = R(Δrot axis-angle, rad) · measured rotation, both in the base frame; gripper 0 open … 1 closed',
  };
}

/** The default operator of an expert recording: the settings that make it one policy variant. */
export function expertVariantName(noise: ExpertNoise, motion: ExpertMotion): string {
  const knobs = Object.entries(noise).map(([key, value]) => `${key}=${value}`);
  return `expert ${knobs.join(' ')} max_linear_speed_m_s=${motion.max_linear_speed_m_s} chunk_length=${motion.chunk_length}`;
}

/** Recorded after the last action: the episode ends and nothing more is asked of the arm. */
export const HOLD: Extract<ArmCommand, { kind: 'ee_delta' }> = {
  kind: 'ee_delta',
  translation_m: [0, 0, 0],
  rotation_axis_angle_rad: [0, 0, 0],
};
