import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { IPC_EVENT, IPC_INVOKE, IPC_STREAM } from '../../shared/api/ipcChannels';
import type { RpcOutcome } from '../../shared/api/transport';
import type { Core, CoreConnection } from '../core/core';

/** Decides whether an IPC message comes from our own top-level page (not an iframe, not a foreign URL). */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/**
 * `scheme://host[:port]` of a URL. WHATWG `URL.origin` is "null" for custom schemes such as app://, so
 * it cannot be used to recognise our own page.
 */
export function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'invalid';
  }
}

export function trustedSenderCheck(allowedOrigins: readonly string[]): SenderCheck {
  return (event) => {
    const frame = event.senderFrame;
    if (frame === null || frame.parent !== null) return false;
    return allowedOrigins.includes(originOf(frame.url));
  };
}

/**
 * The Electron transport of StudioApi: one invoke channel whose payloads go through the same router as
 * WebSocket calls. The sender frame is checked before anything else; each window is one core
 * connection, closed with the window.
 */
export function registerIpcRouter(ipcMain: IpcMain, core: Core, isTrusted: SenderCheck): () => void {
  const connections = new Map<number, CoreConnection>();

  const connectionOf = (contents: WebContents): CoreConnection => {
    let connection = connections.get(contents.id);
    if (connection === undefined) {
      connection = core.connect({
        transport: 'ipc',
        sink: { bufferedBytes: () => 0, send: (bytes) => contents.send(IPC_STREAM, bytes) },
        onEvent: (name, payload) => {
          if (!contents.isDestroyed()) contents.send(IPC_EVENT, name, payload);
        },
      });
      connections.set(contents.id, connection);
      contents.once('destroyed', () => {
        connections.get(contents.id)?.close();
        connections.delete(contents.id);
      });
    }
    return connection;
  };

  ipcMain.handle(IPC_INVOKE, (event, method: unknown, params: unknown): Promise<RpcOutcome> => {
    if (!isTrusted(event)) {
      core.log.warn(`refused a StudioApi call from an untrusted frame: ${event.senderFrame?.url ?? 'unknown'}`);
      return Promise.resolve({
        ok: false,
        error: { code: 'unauthorized', message: 'StudioApi calls are accepted only from the studio window' },
      });
    }
    return connectionOf(event.sender).call(method, params);
  });

  return () => {
    ipcMain.removeHandler(IPC_INVOKE);
    for (const connection of connections.values()) connection.close();
    connections.clear();
  };
}
