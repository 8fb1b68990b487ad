import WebSocket from 'ws';
import { createStudioClient, type StudioClient } from '../../shared/api/client';
import { createWsTransport, type WebSocketLike } from '../../shared/api/wsTransport';

/** StudioApi from the test process, as a script would use it: the token in the URL, no browser Origin. */
export async function connectApiClient(pageUrl: string): Promise<StudioClient> {
  const url = new URL(pageUrl);
  const transport = createWsTransport({
    url: `ws://${url.host}/api/ws?token=${url.searchParams.get('token')}`,
    createSocket: (wsUrl) => new WebSocket(wsUrl) as unknown as WebSocketLike,
  });
  const client = createStudioClient(transport);
  if (client.connectionState() !== 'connected') {
    await new Promise<void>((done) => {
      const off = client.onConnectionChange((state) => {
        if (state !== 'connected') return;
        off();
        done();
      });
    });
  }
  return client;
}
