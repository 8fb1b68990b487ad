import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PackMap } from '../../main/imagination/remote/msgpackNumpy';
import { NdArray } from '../../main/imagination/remote/ndarray';
import { OpenPiClient } from '../../main/imagination/remote/openpiClient';
import { RemotePolicy, type RemotePolicyObservation } from '../../main/imagination/remote/remotePolicy';
import { parseRemotePolicyConfig } from '../../main/imagination/remote/remotePolicyConfig';
import { RemotePolicyError, type RemotePolicyFailure } from '../../main/imagination/remote/remotePolicyError';
import { peers, requirePeerPython, startPeer, stopPeer, type Peer } from '../support/openpiPeer';

/**
 * The remote-policy client against openpi's websocket policy server as a Python process on loopback
 * (test/support/openpi_peer.py: openpi's connection handler, openpi_client's msgpack_numpy packer, the
 * `websockets` library), in every way a server behaves: normal, slow, malformed, error text, wrong
 * shape, no actions, a wrong action width, closing instead of replying — and nothing listening at all.
 */

async function failureOf(run: () => Promise<unknown>): Promise<RemotePolicyError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof RemotePolicyError) return error;
    throw error;
  }
  throw new Error('expected a RemotePolicyError');
}

function expectFailure(error: RemotePolicyError, failure: RemotePolicyFailure, message: RegExp): void {
  expect(error.failure, error.message).toBe(failure);
  expect(error.message).toMatch(message);
  expect(error.fix).toBeTruthy();
}

function gradient(width: number, height: number, seed: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 31 + seed * 7 + Math.floor(i / 997)) % 256;
  return rgb;
}

const observation: RemotePolicyObservation = {
  cameras: {
    front: { width: 224, height: 224, rgb: gradient(224, 224, 1) }, // 150 528 bytes: a bin32 frame
    wrist: { width: 64, height: 48, rgb: gradient(64, 48, 2) },
    side: { width: 8, height: 8, rgb: gradient(8, 8, 3) },
  },
  ee_position_m: [0.45, -0.12, 0.31],
  ee_quaternion_wxyz: [0, 1, 0, 0],
  gripper_width_m: 0.039,
  instruction: 'put the red cube in the bowl → carefully',
};

const configFor = (url: string, extra: Record<string, unknown> = {}) =>
  parseRemotePolicyConfig({ url, images: { 'observation/image': 'front', 'observation/wrist_image': 'wrist' }, chunk_length: 8, ...extra });

describe('remote policy against an openpi websocket policy server (Python peer)', () => {
  let normal: Peer, slow: Peer, malformed: Peer, error: Peer, wrongShape: Peer, noActions: Peer, wide: Peer, closing: Peer;

  beforeAll(async () => {
    requirePeerPython();
    [normal, slow, malformed, error, wrongShape, noActions, wide, closing] = await Promise.all([
      startPeer('normal'),
      startPeer('slow', ['--delay', '30']),
      startPeer('malformed'),
      startPeer('error'),
      startPeer('wrong_shape'),
      startPeer('no_actions'),
      startPeer('normal', ['--action-dim', '8']),
      startPeer('close'),
    ]);
  });

  afterAll(async () => {
    await Promise.all(peers.map(stopPeer));
  });

  test('normal: metadata first, the request arrives intact, the chunk is computed from it', async () => {
    const policy = new RemotePolicy(configFor(normal.url));
    try {
      const metadata = await policy.connect();
      expect(metadata).toEqual({ peer: 'openpi_peer', mode: 'normal', action_horizon: 10, action_dim: 7, connection: 1 });

      const chunk = await policy.propose(observation);
      const reply = policy.last_reply!;
      expect(reply.shape).toEqual([10, 7]);
      expect(reply.actions_dtype).toBe('float32');
      expect(chunk).toHaveLength(8); // min(H = 10, chunk_length = 8)

      // What the server unpacked (openpi_client's unpacker), echoed back.
      const echo = reply.reply.echo as PackMap;
      expect(echo.keys).toEqual(['observation/image', 'observation/state', 'observation/wrist_image', 'prompt']);
      const state = [0.45, -0.12, 0.31, 0, 1, 0, 0, 0.039].map(Math.fround);
      expect(echo.state).toEqual(new NdArray('float32', [8], Float32Array.from(state)));
      expect(echo.state_dtype).toBe('<f4');
      const front = observation.cameras.front!.rgb;
      const frontMean = front.reduce((sum, value) => sum + value, 0) / front.length;
      const wrist = observation.cameras.wrist!.rgb;
      expect(echo.images).toEqual({
        'observation/image': { shape: [224, 224, 3], dtype: '|u1', mean: frontMean },
        'observation/wrist_image': { shape: [48, 64, 3], dtype: '|u1', mean: wrist.reduce((sum, value) => sum + value, 0) / wrist.length },
      });
      expect(echo.prompt).toBe(observation.instruction);

      // The peer's policy: a[h, j] = 0.001 (h+1)(j+1) + 0.01 state[j] (j < 6), a[h, 6] = mean(front) / 255, in float32.
      for (let h = 0; h < 8; h++) {
        const expected = [0, 1, 2, 3, 4, 5].map((j) => Math.fround(0.001 * (h + 1) * (j + 1) + 0.01 * state[j]!));
        expect([...chunk[h]!.translation_m, ...chunk[h]!.rotation_axis_angle_rad]).toEqual(expected);
        expect(chunk[h]!.gripper).toBe(Math.fround(frontMean / 255));
      }
      expect(reply.server_timing?.infer_ms).toBeGreaterThanOrEqual(0);
      expect(reply.server_timing?.prev_total_ms).toBeUndefined();

      // A second request on the same connection: the server now reports the previous cycle's total time.
      await policy.propose(observation);
      const second = policy.last_reply!;
      expect((second.reply.echo as PackMap).connection).toBe(1);
      expect((second.reply.echo as PackMap).request_on_connection).toBe(2);
      expect(second.server_timing?.prev_total_ms).toBeGreaterThan(0);
    } finally {
      await policy.close();
    }
  });

  test('slow: a request times out naming how long it waited; the connection is dropped and the next request reconnects', async () => {
    const client = new OpenPiClient();
    try {
      await client.connect(slow.url, { request_timeout_ms: 400 });
      const request = { 'observation/state': new NdArray('float32', [8], new Float32Array(8)), prompt: 'x' };
      const started = performance.now();
      const error = await failureOf(() => client.infer(request));
      expect(performance.now() - started).toBeGreaterThanOrEqual(390);
      expectFailure(
        error,
        'timeout',
        new RegExp(`the policy server at ${slow.url} did not reply within 400 ms; the connection was dropped`),
      );
      expect(error.code).toBe('unavailable');
      expect(client.connected).toBe(false);

      // The peer answers only its first request slowly: the retry gets a fresh connection and a reply.
      const reply = await client.infer(request, { timeout_ms: 20_000 });
      expect((reply.reply.echo as PackMap).connection).toBe(2);
      expect(client.metadata?.connection).toBe(2);
      expect(reply.shape).toEqual([10, 7]);
    } finally {
      await client.close();
    }
  });

  test('abort: a request waiting for the server, and every later one, fails at once as closed until the next connect', async () => {
    const client = new OpenPiClient();
    try {
      await client.connect(normal.url, { request_timeout_ms: 600_000 });
      const request = { 'observation/state': new NdArray('float32', [8], new Float32Array(8)), prompt: 'x' };
      const pending = failureOf(() => client.infer(request));
      client.abort();
      expectFailure(await pending, 'closed', new RegExp(`the connection to the policy server at ${normal.url} was ended by the studio`));
      expect(client.connected).toBe(false);
      // No quiet reconnection behind a stop.
      expectFailure(await failureOf(() => client.infer(request)), 'closed', /ended by the studio/);
      expect(client.connected).toBe(false);
      await client.connect(normal.url);
      const reply = await client.infer(request);
      expect(reply.shape).toEqual([10, 7]);
    } finally {
      await client.close();
    }
  });

  test('malformed: a truncated frame is an error naming what was wrong', async () => {
    const policy = new RemotePolicy(configFor(malformed.url));
    try {
      const error = await failureOf(() => policy.propose(observation));
      expectFailure(error, 'malformed', /the reply frame from ws:\/\/127\.0\.0\.1:\d+ is not msgpack-numpy: the frame ends inside/);
      expect(error.code).toBe('failed_precondition');
    } finally {
      await policy.close();
    }
  });

  test("error: the server's traceback text frame becomes the error; the server closes and the client reconnects", async () => {
    const client = new OpenPiClient();
    const policy = new RemotePolicy(configFor(error.url), client);
    try {
      const failure = await failureOf(() => policy.propose(observation));
      expectFailure(
        failure,
        'server_error',
        /the policy server at ws:\/\/127\.0\.0\.1:\d+ failed: KeyError: 'observation\/joint_position'/,
      );
      expect(failure.server_traceback).toMatch(/^Traceback \(most recent call last\):/);
      expect(client.connected).toBe(false);
      // The next request opens a new connection (the peer counts it) and fails the same way.
      const again = await failureOf(() => policy.propose(observation));
      expect(again.failure).toBe('server_error');
      expect(client.metadata?.connection).toBe(2);
    } finally {
      await policy.close();
    }
  });

  test('wrong shape, no actions, wrong width: clear errors, no actions', async () => {
    for (const [peer, failure, message] of [
      [
        wrongShape,
        'bad_reply',
        /`actions` in the reply from ws:\/\/127\.0\.0\.1:\d+ has shape \[1, 10, 7\] \(3-D\), not \[action_horizon, action_dim\]/,
      ],
      [noActions, 'bad_reply', /the reply from ws:\/\/127\.0\.0\.1:\d+ has no `actions` \(keys: action, echo, server_timing\)/],
      [wide, 'bad_reply', /returns 8 values per step; action_layout ee_delta_axis_angle_gripper takes 7/],
    ] as const) {
      const policy = new RemotePolicy(configFor(peer.url));
      try {
        expectFailure(await failureOf(() => policy.propose(observation)), failure, message);
        expect(policy.last_reply).toBeUndefined();
      } finally {
        await policy.close();
      }
    }
  });

  test('closed: the server closes instead of replying', async () => {
    const policy = new RemotePolicy(configFor(closing.url));
    try {
      const failure = await failureOf(() => policy.propose(observation));
      expectFailure(
        failure,
        'closed',
        /the connection to the policy server at ws:\/\/127\.0\.0\.1:\d+ ended before it replied \(1001: policy server shutting down\)/,
      );
    } finally {
      await policy.close();
    }
  });

  test('unreachable: nothing listening at the port', async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as { port: number };
    await new Promise<void>((done) => server.close(() => done()));
    const client = new OpenPiClient();
    const error = await failureOf(() => client.connect(`127.0.0.1:${port}`, { timeout_ms: 5_000 }));
    expectFailure(
      error,
      'unreachable',
      new RegExp(`cannot reach the policy server at ws://127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED`),
    );
    expect(error.fix).toMatch(/serve_policy\.py/);
    // A policy connects on its first proposal and fails the same way.
    const policy = new RemotePolicy(configFor(`ws://127.0.0.1:${port}`));
    expect((await failureOf(() => policy.propose(observation))).failure).toBe('unreachable');
  });

  test('a server that accepts TCP but never answers the handshake: a connect timeout', async () => {
    const held: Socket[] = [];
    const server: Server = createServer((socket) => held.push(socket));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as { port: number };
    try {
      const error = await failureOf(() => new OpenPiClient().connect(`ws://127.0.0.1:${port}`, { timeout_ms: 300 }));
      expectFailure(error, 'timeout', /did not complete the websocket handshake within 300 ms/);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});
