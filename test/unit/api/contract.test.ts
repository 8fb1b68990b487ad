import { afterEach, describe, expect, test } from 'vitest';
import { createStudioClient } from '../../../shared/api/client';
import { eventNames, methodNames, streamNames, studioMethods } from '../../../shared/api/contract';
import { IPC_EVENT, IPC_INVOKE, type StudioBridge } from '../../../shared/api/ipcChannels';
import type { RpcOutcome, StudioTransport } from '../../../shared/api/transport';
import type { Core } from '../../../main/core/core';
import { registerIpcRouter } from '../../../main/electron/ipcRouter';
import { startTestCore } from '../../support/core';
import { useTempDirs } from '../../support/tempDir';
import * as electronStub from '../../stubs/electron';
import { fakeIpcMain, fakeInvokeEvent } from '../../support/fakeIpc';

/**
 * StudioApi is declared once (shared/api/contract.ts). Every transport is derived from it; these tests
 * fail when the router, the preload, the IPC router or the client lacks a method.
 */
describe('StudioApi contract', () => {
  const tempDir = useTempDirs();
  let core: Core | undefined;
  afterEach(async () => {
    await core?.close();
    core = undefined;
  });

  test('declares methods, events and streams with summaries', () => {
    expect(methodNames.length).toBeGreaterThan(0);
    expect(eventNames).toContain('core.status');
    expect(streamNames).toContain('camera.preview');
    for (const name of methodNames) {
      expect(name).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
      expect(studioMethods[name].summary.length).toBeGreaterThan(10);
    }
  });

  test('the core router has a handler for every method', () => {
    core = startTestCore(tempDir());
    const missing = methodNames.filter((name) => !core!.router.handles(name));
    expect(missing).toEqual([]);
  });

  test('the preload exposes exactly one function per method on window.studio, forwarding to the invoke channel', async () => {
    await import('../../../preload/index');
    const bridge = electronStub.exposedInMainWorld.studio as StudioBridge;
    expect(Object.keys(bridge.invoke).sort()).toEqual([...methodNames].sort());
    for (const name of methodNames) {
      electronStub.invokeCalls.length = 0;
      await bridge.invoke[name]!({ probe: name });
      expect(electronStub.invokeCalls).toEqual([{ channel: IPC_INVOKE, args: [name, { probe: name }] }]);
    }
    const seen: unknown[] = [];
    const off = bridge.onEvent((name, payload) => seen.push([name, payload]));
    electronStub.emitToRenderer(IPC_EVENT, 'core.status', { state: 'ready' });
    off();
    electronStub.emitToRenderer(IPC_EVENT, 'core.status', { state: 'stopping' });
    expect(seen).toEqual([['core.status', { state: 'ready' }]]);
    expect(electronStub.listenerCount(IPC_EVENT)).toBe(0);
  });

  test('the Electron IPC router answers every method through the core', async () => {
    core = startTestCore(tempDir());
    const ipcMain = fakeIpcMain();
    const unregister = registerIpcRouter(ipcMain, core, () => true);
    const event = fakeInvokeEvent('app://studio/index.html');
    for (const name of methodNames) {
      const outcome = (await ipcMain.invoke(IPC_INVOKE, event, name, {})) as RpcOutcome;
      // Every method exists: at worst its params are rejected, never "method not found".
      if (!outcome.ok) expect(outcome.error.code).not.toBe('method_not_found');
    }
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
  });

  test('the client has one function per method, grouped by namespace', async () => {
    const calls: [string, unknown][] = [];
    const transport: StudioTransport = {
      request: (method, params) => {
        calls.push([method, params]);
        return Promise.resolve({ ok: true, result: method });
      },
      onEvent: () => () => undefined,
      onStreamFrame: () => () => undefined,
      onConnectionChange: () => () => undefined,
      connectionState: () => 'connected',
      close: () => undefined,
    };
    const client = createStudioClient(transport) as unknown as { api: Record<string, Record<string, (p?: unknown) => Promise<unknown>>> };
    for (const name of methodNames) {
      const [namespace, fn] = name.split('.') as [string, string];
      expect(typeof client.api[namespace]?.[fn]).toBe('function');
      await expect(client.api[namespace]![fn]!({})).resolves.toBe(name);
    }
    expect(calls.map(([method]) => method).sort()).toEqual([...methodNames].sort());
  });
});
