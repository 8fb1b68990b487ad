import { createStudioClient, type StudioClient } from '../../../shared/api/client';
import type { StudioBridge } from '../../../shared/api/ipcChannels';
import { createWsTransport } from '../../../shared/api/wsTransport';
import { createIpcTransport } from './ipcTransport';

declare global {
  interface Window {
    /** Present in the Electron app (exposed by the preload); absent in web mode. */
    studio?: StudioBridge;
  }
}

/** The Electron bridge when there is one, else the WebSocket of the web-mode server that served this page. */
export function connectStudio(): StudioClient {
  if (window.studio !== undefined) return createStudioClient(createIpcTransport(window.studio));
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return createStudioClient(
    createWsTransport({
      url: `${scheme}://${window.location.host}/api/ws`,
      createSocket: (url) => new WebSocket(url),
      // Imagination calls (a K×H preview, a candidate's decode, an approved chunk playing) take seconds on a
      // CPU and tens of seconds on a loaded one; 30 s cut them off. A dead core still shows at once (the socket closes).
      requestTimeoutMs: 120_000,
      onProtocolError: (error) => console.warn('StudioApi protocol error', error),
    }),
  );
}
