import type { StudioErrorPayload } from './errors';
import type { StreamFrame } from './streamFrame';

/** The result of one call, as every transport carries it: no exceptions cross a process boundary. */
export type RpcOutcome = { ok: true; result: unknown } | { ok: false; error: StudioErrorPayload };

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export type Unsubscribe = () => void;

/**
 * What a StudioApi client needs from a transport. Two implementations: Electron IPC through the
 * preload (`renderer/src/api/ipcTransport.ts`) and WebSocket (`shared/api/wsTransport.ts`).
 */
export interface StudioTransport {
  request(method: string, params: unknown): Promise<RpcOutcome>;
  onEvent(listener: (name: string, payload: unknown) => void): Unsubscribe;
  onStreamFrame(listener: (frame: StreamFrame) => void): Unsubscribe;
  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe;
  connectionState(): ConnectionState;
  close(): void;
}
