import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { methodNames } from '../shared/api/contract';
import { IPC_EVENT, IPC_INVOKE, IPC_STREAM, type StudioBridge } from '../shared/api/ipcChannels';
import type { RpcOutcome } from '../shared/api/transport';

/**
 * The sandboxed preload: exposes `window.studio`, one function per StudioApi method, and nothing else
 * (no ipcRenderer, no Node). Payloads are validated in the main process, not here.
 */
const invoke: Record<string, (params?: unknown) => Promise<RpcOutcome>> = {};
for (const method of methodNames) {
  invoke[method] = (params?: unknown) => ipcRenderer.invoke(IPC_INVOKE, method, params ?? {}) as Promise<RpcOutcome>;
}

const bridge: StudioBridge = {
  invoke,
  onEvent(listener) {
    const handler = (_event: IpcRendererEvent, name: string, payload: unknown) => listener(name, payload);
    ipcRenderer.on(IPC_EVENT, handler);
    return () => ipcRenderer.off(IPC_EVENT, handler);
  },
  onStreamFrame(listener) {
    const handler = (_event: IpcRendererEvent, bytes: Uint8Array) => listener(bytes);
    ipcRenderer.on(IPC_STREAM, handler);
    return () => ipcRenderer.off(IPC_STREAM, handler);
  },
};

contextBridge.exposeInMainWorld('studio', bridge);
