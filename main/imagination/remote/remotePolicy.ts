import { axisAngleFromRotation, rotationFromQuaternion } from '../../../shared/robot/rotation';
import type { Quaternion, Vec3 } from '../../../shared/robot/types';
import type { ChunkAction } from '../../control/chunkSource';
import type { PackMap, PackValue } from './msgpackNumpy';
import { NdArray } from './ndarray';
import { OpenPiClient, type OpenPiReply } from './openpiClient';
import { actionLayouts, type RemotePolicyConfig } from './remotePolicyConfig';
import { RemotePolicyError } from './remotePolicyError';

/**
 * A policy served elsewhere (openpi's websocket policy server on a GPU box) as a source of action
 * chunks: the studio's observation → the policy's request keys, the reply's `actions` → `ChunkAction`s.
 * Any failure — unreachable, slow, malformed, a server error, a reply that does not fit the layout — is
 * a RemotePolicyError and no actions: the arm never moves on a failed prediction.
 */

/** One camera's colour image: uint8 RGB, H×W×3, row-major. */
export interface CameraRgb {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** What the studio has at a step, for a remote policy. */
export interface RemotePolicyObservation {
  /** By rig camera name. */
  cameras: Readonly<Record<string, CameraRgb>>;
  ee_position_m: Vec3;
  ee_quaternion_wxyz: Quaternion;
  gripper_width_m: number;
  /** The task instruction. */
  instruction: string;
}

function stateVector(observation: RemotePolicyObservation, config: RemotePolicyConfig): number[] {
  const position = observation.ee_position_m;
  switch (config.state_layout) {
    case 'ee_position_quaternion_wxyz_gripper_width':
      return [...position, ...observation.ee_quaternion_wxyz, observation.gripper_width_m];
    case 'ee_position_axis_angle_gripper_width':
      return [...position, ...axisAngleFromRotation(rotationFromQuaternion(observation.ee_quaternion_wxyz)), observation.gripper_width_m];
  }
}

/** The request openpi's server unpacks: images (uint8 [H, W, 3]), the state vector, the prompt — in that order. */
export function requestFromObservation(observation: RemotePolicyObservation, config: RemotePolicyConfig): PackMap {
  const request: Record<string, PackValue> = {};
  for (const [requestKey, cameraName] of Object.entries(config.images)) {
    const camera = observation.cameras[cameraName];
    if (camera === undefined) {
      const have = Object.keys(observation.cameras);
      throw new RemotePolicyError(
        'config',
        `the remote policy's images["${requestKey}"] names camera "${cameraName}", which the rig does not have (cameras: ${have.length > 0 ? have.join(', ') : 'none'})`,
        "Name one of the rig's cameras for each request key in the remote policy's images.",
      );
    }
    const expected = camera.width * camera.height * 3;
    if (camera.rgb.length !== expected) {
      throw new RemotePolicyError(
        'config',
        `camera "${cameraName}" gave ${camera.rgb.length} bytes for a ${camera.width}×${camera.height} RGB image (${expected} expected)`,
        'The camera frame must be uint8 RGB, H×W×3, row-major.',
      );
    }
    request[requestKey] = new NdArray('uint8', [camera.height, camera.width, 3], camera.rgb);
  }
  if (config.state_key !== null) {
    const state = stateVector(observation, config);
    const nonFinite = state.findIndex((value) => !Number.isFinite(value));
    if (nonFinite >= 0)
      throw new RemotePolicyError(
        'config',
        `the state for the remote policy has a non-finite value at index ${nonFinite} (${config.state_layout})`,
        'Check the arm and gripper state the rig reports.',
      );
    request[config.state_key] =
      config.state_dtype === 'float32'
        ? new NdArray('float32', [state.length], Float32Array.from(state))
        : new NdArray('float64', [state.length], Float64Array.from(state));
  }
  if (config.prompt_key !== null) request[config.prompt_key] = observation.instruction;
  return request;
}

/**
 * The reply's action chunk in the studio's layout: the first `chunk_length` steps (or all, when fewer),
 * scaled to metres and radians, the gripper mapped from the policy's open…closed to 0…1 and clamped.
 */
export function chunkFromReply(reply: Pick<OpenPiReply, 'actions' | 'shape'>, config: RemotePolicyConfig): ChunkAction[] {
  const [horizon, width] = reply.shape;
  const expectedWidth = actionLayouts[config.action_layout];
  const fix = `Serve a policy whose output is [action_horizon, ${expectedWidth}] in ${config.action_layout} (Δx Δy Δz, Δrotation axis-angle, gripper), or change the remote policy's action_layout.`;
  if (width !== expectedWidth) {
    throw new RemotePolicyError(
      'bad_reply',
      `the policy at ${config.url} returns ${width} values per step; action_layout ${config.action_layout} takes ${expectedWidth} (Δx Δy Δz in m, Δrotation axis-angle in rad, gripper)`,
      fix,
    );
  }
  if (horizon === 0)
    throw new RemotePolicyError('bad_reply', `the policy at ${config.url} returned an empty action chunk (shape [0, ${width}])`, fix);
  const bad = reply.actions.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    throw new RemotePolicyError(
      'bad_reply',
      `the policy at ${config.url} returned a non-finite action (${reply.actions[bad]} at step ${Math.floor(bad / width)}, value ${bad % width})`,
      'Check the policy server: its model or normalisation statistics produce NaN/Inf.',
    );
  }
  const steps = Math.min(horizon, config.chunk_length);
  const chunk: ChunkAction[] = [];
  const at = (step: number, index: number): number => reply.actions[step * width + index] ?? 0;
  for (let step = 0; step < steps; step++) {
    const gripper = (at(step, 6) - config.gripper_open) / (config.gripper_closed - config.gripper_open);
    chunk.push({
      translation_m: [
        at(step, 0) * config.translation_scale_m,
        at(step, 1) * config.translation_scale_m,
        at(step, 2) * config.translation_scale_m,
      ],
      rotation_axis_angle_rad: [
        at(step, 3) * config.rotation_scale_rad,
        at(step, 4) * config.rotation_scale_rad,
        at(step, 5) * config.rotation_scale_rad,
      ],
      gripper: Math.min(1, Math.max(0, gripper)),
    });
  }
  return chunk;
}

export class RemotePolicy {
  private lastReply: OpenPiReply | undefined;

  constructor(
    readonly config: RemotePolicyConfig,
    private readonly client: OpenPiClient = new OpenPiClient(),
  ) {}

  /** Connects and returns the server's metadata. */
  connect(): Promise<PackMap> {
    return this.client.connect(this.config.url, {
      timeout_ms: this.config.connect_timeout_ms,
      request_timeout_ms: this.config.request_timeout_ms,
      ...(this.config.api_key !== undefined ? { api_key: this.config.api_key } : {}),
    });
  }

  get metadata(): PackMap | undefined {
    return this.client.metadata;
  }

  /** The last successful reply (timings, other keys), for the record. */
  get last_reply(): OpenPiReply | undefined {
    return this.lastReply;
  }

  /** One observation → the next action chunk (min(H, chunk_length) steps). Connects first when needed. */
  async propose(observation: RemotePolicyObservation): Promise<ChunkAction[]> {
    const request = requestFromObservation(observation, this.config);
    if (this.client.url === undefined) await this.connect();
    const reply = await this.client.infer(request);
    const chunk = chunkFromReply(reply, this.config);
    this.lastReply = reply;
    return chunk;
  }

  /** Ends the connection at once; a `propose` waiting for the server fails (the arm never moves on it). */
  abort(): void {
    this.client.abort();
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
