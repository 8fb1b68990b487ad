/**
 * Per-model ranges. Strokes are the task's (2F-85 = 85 mm, Hand-E = 50 mm); speed and force ranges are
 * from Robotiq's datasheets as commonly quoted, not from the files the protocol spec read: **verify on
 * hardware** (the spec marks Hand-E facts unverified).
 */
export type RobotiqModel = '2f-85' | 'hand-e';

export interface RobotiqModelInfo {
  label: string;
  stroke_m: number;
  min_speed_m_s: number;
  max_speed_m_s: number;
  min_force_n: number;
  max_force_n: number;
}

export const robotiqModels: Readonly<Record<RobotiqModel, RobotiqModelInfo>> = {
  '2f-85': { label: 'Robotiq 2F-85', stroke_m: 0.085, min_speed_m_s: 0.02, max_speed_m_s: 0.15, min_force_n: 20, max_force_n: 235 },
  'hand-e': { label: 'Robotiq Hand-E', stroke_m: 0.05, min_speed_m_s: 0.02, max_speed_m_s: 0.15, min_force_n: 20, max_force_n: 185 },
};

/**
 * Position counts ↔ width. `open_count`/`closed_count` default to 0/255; a calibrated gripper can use
 * the counts it really reaches (Polymetis uses 3 and 230 on its 2F-85).
 */
export interface PositionCalibration {
  open_count: number;
  closed_count: number;
}

export const defaultCalibration: PositionCalibration = { open_count: 0, closed_count: 255 };

export function widthToCount(width_m: number, stroke_m: number, calibration: PositionCalibration): number {
  const { open_count, closed_count } = calibration;
  return Math.round(open_count + (1 - width_m / stroke_m) * (closed_count - open_count));
}

export function countToWidth(count: number, stroke_m: number, calibration: PositionCalibration): number {
  const { open_count, closed_count } = calibration;
  const fraction = (count - open_count) / (closed_count - open_count);
  return Math.min(stroke_m, Math.max(0, stroke_m * (1 - fraction)));
}

/** rSP/rFR are linear over the model's range: 0 = minimum, 255 = maximum. */
export function valueToByte(value: number, min: number, max: number): number {
  return Math.round(((value - min) / (max - min)) * 255);
}

export function byteToValue(byte: number, min: number, max: number): number {
  return min + (byte / 255) * (max - min);
}
