import { RAD_PER_TICK } from '../dynamixel/controlTable';

const TWO_PI = 2 * Math.PI;

export function ticksToRad(ticks: number): number {
  return ticks * RAD_PER_TICK;
}

/** Classic GELLO (`gello_agent.py`): `joint = (raw − offset) · sign`. */
export function jointFromRaw(raw_rad: number, offset_rad: number, sign: number): number {
  return (raw_rad - offset_rad) * sign;
}

/**
 * Present Position restarts within one turn at power-up, so an offset is only known modulo 2π. As
 * GELLO does at start-up, shift each offset by whole turns so the joint reads closest to the pose the
 * leader is known to be in.
 */
export function alignOffsets(
  raw_rad: readonly number[],
  offsets_rad: readonly number[],
  signs: readonly number[],
  start_rad: readonly number[],
): number[] {
  return offsets_rad.map((offset, index) => {
    const sign = signs[index] ?? 1;
    const joint = jointFromRaw(raw_rad[index] ?? 0, offset, sign);
    const turns = Math.round((joint - (start_rad[index] ?? 0)) / TWO_PI) * sign;
    return offset + TWO_PI * turns;
  });
}

/** Gripper trigger: `(pos − open)/(closed − open)` clipped to [0, 1] (0 open … 1 closed). */
export function gripperFraction(raw_rad: number, open_rad: number, closed_rad: number): number {
  const fraction = (raw_rad - open_rad) / (closed_rad - open_rad);
  return Math.min(1, Math.max(0, fraction));
}
