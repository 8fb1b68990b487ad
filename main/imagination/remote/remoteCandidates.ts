import { StudioError } from '../../../shared/api/errors';
import type { RemotePolicy, RemotePolicyObservation } from './remotePolicy';

/** The pack's action layout: H imagined chunks of L steps, A values per step. */
export interface ChunkShape {
  H: number;
  L: number;
  A: number;
}

/** Any camera frame with packed RGB (a rig camera's latest, or a frame the world model observed). */
export interface RgbFrame {
  camera: string;
  width_px: number;
  height_px: number;
  rgb: Uint8Array;
}

/** What a remote policy is sent: the frames' colour by camera name and the reference pack's proprio (x y z, qw qx qy qz, gripper width). */
export function remoteObservation(frames: readonly RgbFrame[], proprio: readonly number[], instruction: string): RemotePolicyObservation {
  const cameras: RemotePolicyObservation['cameras'] = Object.fromEntries(
    frames.map((f) => [f.camera, { width: f.width_px, height: f.height_px, rgb: f.rgb }]),
  );
  const [x = 0, y = 0, z = 0, qw = 1, qx = 0, qy = 0, qz = 0, width = 0] = proprio;
  return { cameras, ee_position_m: [x, y, z], ee_quaternion_wxyz: [qw, qx, qy, qz], gripper_width_m: width, instruction };
}

/**
 * K candidate action sequences from a remote policy for the world model to imagine (K × H × L × A,
 * row-major): K requests, since a sampling policy answers differently each time, and each answer held
 * over the H imagined chunks — a remote policy cannot be asked about imagined scenes.
 */
export async function remoteCandidates(
  remote: RemotePolicy,
  observation: RemotePolicyObservation,
  K: number,
  shape: ChunkShape,
): Promise<Float32Array> {
  const { H, L, A } = shape;
  const out = new Float32Array(K * H * L * A);
  for (let k = 0; k < K; k++) {
    const chunk = await remote.propose(observation);
    if (chunk.length < L) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `the remote policy answered ${chunk.length} steps; the world model imagines chunks of ${L}`,
        fix: `Set the remote config's chunk_length to ${L} and serve a policy with an action horizon of at least ${L}.`,
      });
    }
    for (let h = 0; h < H; h++) {
      for (let s = 0; s < L; s++) {
        const a = chunk[s]!;
        out.set([...a.translation_m, ...a.rotation_axis_angle_rad, a.gripper], ((k * H + h) * L + s) * A);
      }
    }
  }
  return out;
}
