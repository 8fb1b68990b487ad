import { describe, expect, test } from 'vitest';
import type { NdArray } from '../../../../main/imagination/remote/ndarray';
import { normalizePolicyUrl } from '../../../../main/imagination/remote/openpiClient';
import { chunkFromReply, requestFromObservation, type RemotePolicyObservation } from '../../../../main/imagination/remote/remotePolicy';
import { parseRemotePolicyConfig } from '../../../../main/imagination/remote/remotePolicyConfig';
import { RemotePolicyError } from '../../../../main/imagination/remote/remotePolicyError';

function thrown(run: () => unknown): RemotePolicyError {
  try {
    run();
  } catch (error) {
    if (error instanceof RemotePolicyError) return error;
    throw error;
  }
  throw new Error('expected a RemotePolicyError');
}

const observation: RemotePolicyObservation = {
  cameras: {
    front: { width: 4, height: 2, rgb: Uint8Array.from({ length: 24 }, (_, i) => i) },
    wrist: { width: 2, height: 2, rgb: new Uint8Array(12).fill(9) },
  },
  ee_position_m: [0.4, 0.1, 0.3],
  // 90° about z.
  ee_quaternion_wxyz: [Math.SQRT1_2, 0, 0, Math.SQRT1_2],
  gripper_width_m: 0.05,
  instruction: 'stack the blocks',
};

const base = { url: 'gpu-box:8000', images: { 'observation/image': 'front', 'observation/wrist_image': 'wrist' }, chunk_length: 4 };

describe('remote policy config', () => {
  test("defaults follow openpi's examples", () => {
    const config = parseRemotePolicyConfig(base);
    expect(config).toMatchObject({
      url: 'ws://gpu-box:8000',
      state_key: 'observation/state',
      prompt_key: 'prompt',
      state_layout: 'ee_position_quaternion_wxyz_gripper_width',
      state_dtype: 'float32',
      action_layout: 'ee_delta_axis_angle_gripper',
      gripper_open: 0,
      gripper_closed: 1,
      request_timeout_ms: 10_000,
    });
  });

  test('every problem at once, with paths', () => {
    const error = thrown(() =>
      parseRemotePolicyConfig({
        ...base,
        chunk_length: 0,
        state_key: 'prompt',
        gripper_open: 1,
        action_layout: 'joint_position',
        extra: true,
      }),
    );
    expect(error.failure).toBe('config');
    expect(error.code).toBe('invalid_params');
    const paths = (error.issues ?? []).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['chunk_length', 'action_layout', '(root)']));
    expect(error.message).toMatch(/the remote policy config is invalid/);
  });

  test('request keys may not collide, and open ≠ closed', () => {
    const error = thrown(() => parseRemotePolicyConfig({ ...base, state_key: 'prompt', gripper_open: 1 }));
    expect(error.message).toMatch(/prompt_key: request key "prompt" is also used by state_key/);
    expect(error.message).toMatch(/gripper_closed: gripper_open and gripper_closed must differ/);
  });

  test('addresses: host:port is ws://, other schemes are refused', () => {
    expect(normalizePolicyUrl('gpu-box:8000')).toBe('ws://gpu-box:8000');
    expect(normalizePolicyUrl('ws://10.0.0.5:8000/')).toBe('ws://10.0.0.5:8000');
    expect(normalizePolicyUrl('wss://policy.lab.org/pi0')).toBe('wss://policy.lab.org/pi0');
    expect(thrown(() => normalizePolicyUrl('http://gpu-box:8000')).message).toMatch(/not a websocket address \(http\)/);
    expect(thrown(() => normalizePolicyUrl('ws://')).message).toMatch(/is not a policy server address/);
    expect(thrown(() => parseRemotePolicyConfig({ ...base, url: 'http://gpu-box:8000' })).message).toMatch(
      /url: "http:\/\/gpu-box:8000" is not a websocket address/,
    );
  });
});

describe('observation → request', () => {
  test('images as uint8 [H, W, 3] under their request keys, then state and prompt', () => {
    const request = requestFromObservation(observation, parseRemotePolicyConfig(base));
    expect(Object.keys(request)).toEqual(['observation/image', 'observation/wrist_image', 'observation/state', 'prompt']);
    const image = request['observation/image'] as NdArray<'uint8'>;
    expect(image.shape).toEqual([2, 4, 3]);
    expect(image.data).toBe(observation.cameras.front!.rgb); // no copy
    const state = request['observation/state'] as NdArray<'float32'>;
    expect(state.dtype).toBe('float32');
    expect(Array.from(state.data)).toEqual([0.4, 0.1, 0.3, Math.SQRT1_2, 0, 0, Math.SQRT1_2, 0.05].map(Math.fround));
    expect(request.prompt).toBe('stack the blocks');
  });

  test('axis-angle state in float64; state and prompt can be left out', () => {
    const request = requestFromObservation(
      observation,
      parseRemotePolicyConfig({ ...base, state_layout: 'ee_position_axis_angle_gripper_width', state_dtype: 'float64', prompt_key: null }),
    );
    const state = request['observation/state'] as NdArray<'float64'>;
    expect(state.dtype).toBe('float64');
    expect(state.shape).toEqual([7]);
    const values = Array.from(state.data);
    expect(values.slice(0, 3)).toEqual([0.4, 0.1, 0.3]);
    expect(values[3]).toBeCloseTo(0, 12);
    expect(values[4]).toBeCloseTo(0, 12);
    expect(values[5]).toBeCloseTo(Math.PI / 2, 12);
    expect(values[6]).toBe(0.05);
    expect('prompt' in request).toBe(false);
    expect('observation/state' in requestFromObservation(observation, parseRemotePolicyConfig({ ...base, state_key: null }))).toBe(false);
  });

  test('a camera the rig does not have, or a frame of the wrong size', () => {
    const missing = thrown(() =>
      requestFromObservation(observation, parseRemotePolicyConfig({ ...base, images: { 'observation/image': 'exterior_1' } })),
    );
    expect(missing.failure).toBe('config');
    expect(missing.message).toBe(
      'the remote policy\'s images["observation/image"] names camera "exterior_1", which the rig does not have (cameras: front, wrist)',
    );
    const short = { ...observation, cameras: { ...observation.cameras, front: { width: 4, height: 2, rgb: new Uint8Array(20) } } };
    expect(thrown(() => requestFromObservation(short, parseRemotePolicyConfig(base))).message).toMatch(
      /camera "front" gave 20 bytes for a 4×2 RGB image \(24 expected\)/,
    );
  });

  test('a non-finite state is refused', () => {
    const broken = { ...observation, gripper_width_m: NaN };
    expect(thrown(() => requestFromObservation(broken, parseRemotePolicyConfig(base))).message).toMatch(/non-finite value at index 7/);
  });
});

describe('reply → action chunk', () => {
  const reply = (rows: number[][]) => ({
    actions: Float32Array.from(rows.flat()),
    shape: [rows.length, rows[0]?.length ?? 7] as [number, number],
  });

  test('the first chunk_length steps, in metres, radians and gripper 0…1', () => {
    const rows = Array.from({ length: 6 }, (_, h) => [0.01 * h, -0.02, 0.5, 0.1, 0, -0.25, h / 5]);
    const chunk = chunkFromReply(reply(rows), parseRemotePolicyConfig(base));
    expect(chunk).toHaveLength(4);
    expect(chunk[2]).toEqual({
      translation_m: [Math.fround(0.02), Math.fround(-0.02), 0.5],
      rotation_axis_angle_rad: [Math.fround(0.1), 0, -0.25],
      gripper: Math.fround(0.4),
    });
    // Fewer steps than chunk_length: all of them.
    expect(chunkFromReply(reply(rows.slice(0, 2)), parseRemotePolicyConfig(base))).toHaveLength(2);
  });

  test("scales and the policy's gripper range (LIBERO: -1 open, 1 closed), clamped", () => {
    const config = parseRemotePolicyConfig({
      ...base,
      translation_scale_m: 0.05,
      rotation_scale_rad: 0.5,
      gripper_open: -1,
      gripper_closed: 1,
    });
    const chunk = chunkFromReply(
      reply([
        [1, -1, 0.5, 1, 0, -0.5, -1],
        [0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 3],
      ]),
      config,
    );
    expect(chunk[0]!.translation_m).toEqual([0.05, -0.05, 0.025]);
    expect(chunk[0]!.rotation_axis_angle_rad).toEqual([0.5, 0, -0.25]);
    expect(chunk.map((step) => step.gripper)).toEqual([0, 0.5, 1, 1]);
  });

  test('a width that does not fit the layout, an empty chunk, a NaN', () => {
    const config = parseRemotePolicyConfig(base);
    const wide = thrown(() => chunkFromReply(reply([[0, 0, 0, 0, 0, 0, 0, 0]]), config));
    expect(wide.failure).toBe('bad_reply');
    expect(wide.message).toBe(
      'the policy at ws://gpu-box:8000 returns 8 values per step; action_layout ee_delta_axis_angle_gripper takes 7 (Δx Δy Δz in m, Δrotation axis-angle in rad, gripper)',
    );
    expect(thrown(() => chunkFromReply({ actions: new Float32Array(0), shape: [0, 7] }, config)).message).toMatch(/empty action chunk/);
    expect(
      thrown(() =>
        chunkFromReply(
          reply([
            [0, 0, 0, 0, 0, 0, 0],
            [0, 0, NaN, 0, 0, 0, 0],
          ]),
          config,
        ),
      ).message,
    ).toMatch(/non-finite action \(NaN at step 1, value 2\)/);
  });
});
