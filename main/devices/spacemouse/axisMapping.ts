import type { Vec3 } from '../types';
import { SPACEMOUSE_AXIS_RANGE } from './reportParser';

/**
 * How raw HID axes become the normalised teleop input (docs/devices/spacemouse.md).
 * Output axes: a right-handed z-up frame seen by the operator facing the device: +x right, +y away
 * from the operator, +z up; rotations about those axes by the right-hand rule. HID is +x right,
 * +y toward the user, +z down, i.e. this frame turned 180° about x: (x, −y, −z) for both vectors.
 */
export interface AxisMappingOptions {
  /** |value| below this (after normalising to [-1, 1]) reads 0; the rest is rescaled to stay continuous. */
  deadzone: number;
  /** Multiplies every axis after the deadzone (then clipped to [-1, 1]). */
  sensitivity: number;
  /** Per axis ±1, in the order x, y, z, rx, ry, rz of the output frame. */
  axis_sign: readonly number[];
  /** Per axis scale, same order. */
  axis_scale: readonly number[];
  lock_translation: boolean;
  lock_rotation: boolean;
}

function shape(value: number, options: AxisMappingOptions, axis: number): number {
  let v = Math.max(-1, Math.min(1, value / SPACEMOUSE_AXIS_RANGE));
  const magnitude = Math.abs(v);
  v = magnitude <= options.deadzone ? 0 : (Math.sign(v) * (magnitude - options.deadzone)) / (1 - options.deadzone);
  v *= options.sensitivity * (options.axis_sign[axis] ?? 1) * (options.axis_scale[axis] ?? 1);
  // + 0 turns −0 into 0, so "no input" compares equal to zero everywhere.
  return Math.max(-1, Math.min(1, v)) + 0;
}

export function mapAxes(rawTranslation: Vec3, rawRotation: Vec3, options: AxisMappingOptions): { translation: Vec3; rotation: Vec3 } {
  const t: Vec3 = [rawTranslation[0], -rawTranslation[1], -rawTranslation[2]];
  const r: Vec3 = [rawRotation[0], -rawRotation[1], -rawRotation[2]];
  return {
    translation: options.lock_translation ? [0, 0, 0] : [shape(t[0], options, 0), shape(t[1], options, 1), shape(t[2], options, 2)],
    rotation: options.lock_rotation ? [0, 0, 0] : [shape(r[0], options, 3), shape(r[1], options, 4), shape(r[2], options, 5)],
  };
}
