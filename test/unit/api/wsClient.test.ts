import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { createStudioClient, type StudioClient } from '../../../shared/api/client';
import { StudioError } from '../../../shared/api/errors';
import type { ConnectionState } from '../../../shared/api/transport';
import { createWsTransport, type WebSocketLike } from '../../../shared/api/wsTransport';
import type { Core } from '../../../main/core/core';
import { latestSchemaVersion } from '../../../main/store/migrations';
import { startWebServer, WS_PATH, type WebServer } from '../../../main/web/webServer';
import { startTestCore } from '../../support/core';
import { writeRendererDir } from '../../support/rendererDir';
import { useTempDirs } from '../../support/tempDir';

/** Waits for the next value a subscription delivers that satisfies `accept`. */
function next<T>(subscribe: (handler: (value: T) => void) => () => void, accept: (value: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((value) => {
      if (!accept(value)) return;
      off();
      resolve(value);
    });
  });
}

describe('StudioApi client over WebSocket, against the real web server', () => {
  const tempDir = useTempDirs();
  let core: Core | undefined;
  let server: WebServer | undefined;
  let client: StudioClient | undefined;

  afterEach(async () => {
    client?.close();
    await server?.close();
    await core?.close();
    client = server = core = undefined;
  });

  async function start() {
    const dir = tempDir();
    core = startTestCore(join(dir, 'data'));
    server = await startWebServer({ core, rendererDir: writeRendererDir(join(dir, 'renderer')) });
    const transport = createWsTransport({
      url: `ws://127.0.0.1:${server.port}${WS_PATH}?token=${server.token}`,
      createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
      reconnectInitialDelayMs: 10,
    });
    client = createStudioClient(transport);
    if (client.connectionState() !== 'connected')
      await next<ConnectionState>(
        (h) => client!.onConnectionChange(h),
        (s) => s === 'connected',
      );
    return { core, server, client };
  }

  test('calls return typed results; contract violations come back as StudioError with issues', async () => {
    const { client, core } = await start();
    const info = await client.api.app.info();
    expect(info).toMatchObject({
      name: 'Foresight Studio',
      mode: 'web',
      data_dir: core.store.path.replace(/\/studio\.db$/, ''),
      schema_version: latestSchemaVersion,
    });

    const rig = await client.api.rig.get();
    expect(rig.source).toBe('built-in:rigs/sim.json');
    expect(rig.config.cameras.map((camera) => camera.name)).toEqual(['front', 'side', 'wrist']);

    const validation = await client.api.rig.validate({ text: '{"schema_version": 1, "name": ""}' });
    expect(validation.ok).toBe(false);
    expect(validation.issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(['name', 'arm', 'cameras', 'safety']));

    const error = await client.api.rig.validate({ text: 3 as unknown as string }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect(error).toMatchObject({ code: 'invalid_params', issues: [{ path: 'text' }] });
  });

  test('events reach the client', async () => {
    const { client, core } = await start();
    const status = next((h) => client.on('core.status', h));
    core.events.emit('core.status', { state: 'ready', message: 'hello' });
    expect(await status).toEqual({ state: 'ready', message: 'hello' });
  });

  test('stream frames arrive as binary after subscribing, and stop after the last handler leaves', async () => {
    const { client, core } = await start();
    const received = new Promise<{ header: unknown; payload: Uint8Array }>((resolve) => {
      const off = client.onStream('camera.preview', (message) => {
        off();
        resolve(message);
      });
    });
    // The subscription is a call on the same socket; once the core has it, frames flow.
    await client.api.app.info();
    expect(core.streams.hasSubscribers('camera.preview')).toBe(true);
    const pixels = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 10);
    core.streams.publish(
      'camera.preview',
      { camera: 'front', width_px: 2, height_px: 2, encoding: 'rgb8', capture_ns: '123456789' },
      pixels,
    );
    const message = await received;
    expect(message.header).toEqual({ camera: 'front', width_px: 2, height_px: 2, encoding: 'rgb8', capture_ns: '123456789' });
    expect([...message.payload]).toEqual([...pixels]);
    await client.api.app.info();
    expect(core.streams.hasSubscribers('camera.preview')).toBe(false);
  });

  test('a result that holds bytes arrives as those bytes (one binary frame), between ordinary responses and stream frames', async () => {
    const dir = tempDir();
    const real = startTestCore(join(dir, 'data'));
    core = real;
    // The real core, except one extra call that answers bytes the way foresight.splats does (which needs a world model).
    const gaussians = Float32Array.from({ length: 3 * 14 }, (_, i) => i * 0.25 - 3);
    const withBytes: Core = Object.assign(Object.create(real) as Core, {
      connect: (options: Parameters<Core['connect']>[0]) => {
        const connection = real.connect(options);
        return {
          ...connection,
          call: (method: unknown, params: unknown) =>
            method === 'test.bytes'
              ? Promise.resolve({
                  ok: true as const,
                  result: { N: 3, gaussians: new Uint8Array(gaussians.buffer), nested: [{ mask: Uint8Array.of(1, 0, 255) }] },
                })
              : connection.call(method, params),
        };
      },
    });
    server = await startWebServer({ core: withBytes, rendererDir: writeRendererDir(join(dir, 'renderer')) });
    const protocolErrors: Error[] = [];
    const transport = createWsTransport({
      url: `ws://127.0.0.1:${server.port}${WS_PATH}?token=${server.token}`,
      createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
      onProtocolError: (error) => protocolErrors.push(error),
    });
    client = createStudioClient(transport);
    const frames: number[][] = [];
    client.onStream('camera.preview', (message) => frames.push([...message.payload]));
    await client.api.app.info();
    const [bytes, info] = await Promise.all([transport.request('test.bytes', {}), transport.request('app.info', {})]);
    core.streams.publish(
      'camera.preview',
      { camera: 'front', width_px: 1, height_px: 1, encoding: 'rgb8', capture_ns: '1' },
      Uint8Array.of(7, 8, 9),
    );
    await client.api.app.info();
    expect(protocolErrors).toEqual([]);
    expect(info).toMatchObject({ ok: true, result: { mode: 'web' } });
    if (!bytes.ok) throw new Error(bytes.error.message);
    const result = bytes.result as { N: number; gaussians: Uint8Array; nested: { mask: Uint8Array }[] };
    expect(result.N).toBe(3);
    expect(result.gaussians).toBeInstanceOf(Uint8Array);
    // Byte for byte, in a buffer of its own (so it can be viewed as float32 in place).
    expect(result.gaussians.byteOffset).toBe(0);
    expect(Array.from(new Float32Array(result.gaussians.buffer, 0, result.gaussians.byteLength / 4))).toEqual(Array.from(gaussians));
    expect([...result.nested[0]!.mask]).toEqual([1, 0, 255]);
    // Stream frames still reach their handlers and never a pending call.
    expect(frames).toEqual([[7, 8, 9]]);
  });

  test('when the core goes away, calls fail as unavailable, and the client reconnects when it is back', async () => {
    const { client, server: first } = await start();
    const disconnected = next<ConnectionState>(
      (h) => client.onConnectionChange(h),
      (s) => s === 'disconnected',
    );
    await first.close();
    await disconnected;
    const failed = await client.api.app.info().catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 'unavailable' });

    // The same core comes back on the same port: the client reconnects by itself.
    const reconnected = next<ConnectionState>(
      (h) => client.onConnectionChange(h),
      (s) => s === 'connected',
    );
    server = await startWebServer({
      core: core!,
      rendererDir: writeRendererDir(join(tempDir(), 'renderer')),
      port: first.port,
      token: first.token,
    });
    await reconnected;
    expect(await client.api.app.info()).toMatchObject({ mode: 'web' });
  });
});
