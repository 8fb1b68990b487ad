import type { StudioBridge } from '../../../shared/api/ipcChannels';
import { decodeStreamFrame } from '../../../shared/api/streamFrame';
import type { StudioTransport } from '../../../shared/api/transport';

/** StudioApi over Electron IPC, through the `window.studio` bridge the preload exposes. */
export function createIpcTransport(bridge: StudioBridge): StudioTransport {
  return {
    request(method, params) {
      const invoke = bridge.invoke[method];
      if (invoke === undefined) {
        return Promise.resolve({
          ok: false,
          error: { code: 'method_not_found', message: `the preload does not expose ${method}; rebuild the app` },
        });
      }
      return invoke(params);
    },
    onEvent: (listener) => bridge.onEvent(listener),
    onStreamFrame: (listener) => bridge.onStreamFrame((bytes) => listener(decodeStreamFrame(bytes))),
    // IPC to our own main process is up for as long as the window exists.
    onConnectionChange: () => () => undefined,
    connectionState: () => 'connected',
    close: () => undefined,
  };
}
