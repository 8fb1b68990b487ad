import type { Vec3 } from '../../shared/robot/types';
import { mulberry32 } from './math3d';

/**
 * The pick-and-place task: where the cube and the target are, what colour the cube is, and when the
 * episode counts as a success. Everything is drawn from the episode seed.
 */
export interface SceneLayout {
  seed: number;
  cube_position_m: Vec3;
  cube_yaw_rad: number;
  /** Linear RGB in [0, 1]. */
  cube_rgb: Vec3;
  target_center_m: Vec3;
  /** Half the side of the square target region. */
  target_half_extent_m: number;
}

export const CUBE_HALF_M = 0.025;
export const TARGET_HALF_M = 0.05;

/** Saturated colours that stay distinct from the green target, the wood table and the white arm. */
const CUBE_PALETTE: readonly Vec3[] = [
  [0.85, 0.12, 0.1],
  [0.12, 0.3, 0.85],
  [0.9, 0.75, 0.1],
  [0.9, 0.45, 0.08],
  [0.6, 0.15, 0.75],
  [0.1, 0.7, 0.8],
];

export const LAYOUT_RANGES = {
  cube_x_m: [0.42, 0.58],
  cube_y_m: [-0.15, 0.0],
  cube_yaw_rad: [-0.5, 0.5],
  target_x_m: [0.38, 0.56],
  target_y_m: [0.14, 0.28],
} as const;

const within = (random: () => number, [lo, hi]: readonly [number, number]): number => lo + (hi - lo) * random();

export function drawLayout(seed: number): SceneLayout {
  const random = mulberry32(seed ^ 0x5eed);
  const cubeX = within(random, LAYOUT_RANGES.cube_x_m);
  const cubeY = within(random, LAYOUT_RANGES.cube_y_m);
  const yaw = within(random, LAYOUT_RANGES.cube_yaw_rad);
  const base = CUBE_PALETTE[Math.floor(random() * CUBE_PALETTE.length)] ?? [0.85, 0.12, 0.1];
  const jitter = (c: number): number => Math.min(1, Math.max(0, c + (random() - 0.5) * 0.1));
  const targetX = within(random, LAYOUT_RANGES.target_x_m);
  const targetY = within(random, LAYOUT_RANGES.target_y_m);
  return {
    seed,
    cube_position_m: [cubeX, cubeY, CUBE_HALF_M],
    cube_yaw_rad: yaw,
    cube_rgb: [jitter(base[0]), jitter(base[1]), jitter(base[2])],
    target_center_m: [targetX, targetY, 0],
    target_half_extent_m: TARGET_HALF_M,
  };
}

export interface CubeFacts {
  position_m: Vec3;
  speed_m_s: number;
  finger_contacts: number;
  /** The cube was ever held above the table by the fingers during the episode. */
  lifted: boolean;
}

export interface SuccessCheck {
  success: boolean;
  inside_target: boolean;
  resting: boolean;
  released: boolean;
  lifted: boolean;
  /** Cube centre minus target centre, in the table plane. */
  offset_m: [number, number];
}

/** Picked, lifted, placed with its centre inside the target square, at rest on the table and released. */
export function checkSuccess(layout: SceneLayout, cube: CubeFacts): SuccessCheck {
  const dx = cube.position_m[0] - layout.target_center_m[0];
  const dy = cube.position_m[1] - layout.target_center_m[1];
  const inside = Math.abs(dx) <= layout.target_half_extent_m && Math.abs(dy) <= layout.target_half_extent_m;
  const resting = Math.abs(cube.position_m[2] - CUBE_HALF_M) < 0.003 && cube.speed_m_s < 0.01;
  const released = cube.finger_contacts === 0;
  return {
    success: inside && resting && released && cube.lifted,
    inside_target: inside,
    resting,
    released,
    lifted: cube.lifted,
    offset_m: [dx, dy],
  };
}
