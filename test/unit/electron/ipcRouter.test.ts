import { afterEach, describe, expect, test } from 'vitest';
import { IPC_EVENT, IPC_INVOKE, IPC_STREAM } from '../../../shared/api/ipcChannels';
import { decodeStreamFrame } from '../../../shared/api/streamFrame';
import type { RpcOutcome } from '../../../shared/api/transport';
import type { Core } from '../../../main/core/core';
import { registerIpcRouter, trustedSenderCheck } from '../../../main/electron/ipcRouter';
import { startTestCore } from '../../support/core';
import { fakeInvokeEvent, fakeIpcMain } from '../../support/fakeIpc';
import { useTempDirs } from '../../support/tempDir';

describe('Electron IPC router', () => {
  const tempDir = useTempDirs();
  let core: Core | undefined;
  afterEach(async () => {
    await core?.close();
    core = undefined;
  });

  function setup() {
    core = startTestCore(tempDir());
    const ipcMain = fakeIpcMain();
    registerIpcRouter(ipcMain, core, trustedSenderCheck(['app://studio']));
    const invoke = (event: ReturnType<typeof fakeInvokeEvent>, method: unknown, params: unknown) =>
      ipcMain.invoke(IPC_INVOKE, event, method, params) as Promise<RpcOutcome>;
    return { core, invoke };
  }

  test('answers calls from the studio page', async () => {
    const { invoke } = setup();
    const outcome = await invoke(fakeInvokeEvent('app://studio/index.html'), 'app.info', {});
    expect(outcome).toMatchObject({ ok: true, result: { name: 'Foresight Studio' } });
  });

  test('refuses calls from foreign pages and from sub-frames', async () => {
    const { invoke } = setup();
    for (const event of [
      fakeInvokeEvent('https://evil.example/'),
      fakeInvokeEvent('file:///tmp/x.html'),
      fakeInvokeEvent('app://studio/index.html', { parent: true }),
    ]) {
      const outcome = await invoke(event, 'app.info', {});
      expect(outcome).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
  });

  test('a payload that fails its schema gets a typed error and the core keeps serving', async () => {
    const { invoke } = setup();
    const event = fakeInvokeEvent('app://studio/index.html');
    const bad = await invoke(event, 'rig.validate', { text: 42 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_params', issues: [{ path: 'text' }] } });
    const unknown = await invoke(event, 'app.selfDestruct', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'method_not_found' } });
    expect(await invoke(event, 'app.info', {})).toMatchObject({ ok: true });
  });

  test('forwards core events and subscribed stream frames to the window, and forgets it when destroyed', async () => {
    const { core, invoke } = setup();
    const event = fakeInvokeEvent('app://studio/index.html');
    await invoke(event, 'stream.subscribe', { stream: 'camera.preview' });
    core.streams.publish(
      'camera.preview',
      { camera: 'front', width_px: 1, height_px: 1, encoding: 'rgb8', capture_ns: '5' },
      new Uint8Array([1, 2, 3]),
    );
    core.events.emit('core.status', { state: 'ready' });
    const frame = event.sent.find((message) => message.channel === IPC_STREAM);
    expect(decodeStreamFrame(frame!.args[0] as Uint8Array)).toMatchObject({ stream: 'camera.preview', header: { camera: 'front' } });
    expect(event.sent.filter((message) => message.channel === IPC_EVENT)).toEqual([
      { channel: IPC_EVENT, args: ['core.status', { state: 'ready' }] },
    ]);

    event.destroy();
    expect(core.streams.hasSubscribers('camera.preview')).toBe(false);
    const before = event.sent.length;
    core.events.emit('core.status', { state: 'ready' });
    expect(event.sent.length).toBe(before);
  });
});
