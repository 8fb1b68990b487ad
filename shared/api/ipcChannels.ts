import type { RpcOutcome } from './transport';

/** Electron IPC channel names shared by the preload and the main-side router. */
export const IPC_INVOKE = 'studio:invoke';
export const IPC_EVENT = 'studio:event';
export const IPC_STREAM = 'studio:stream';

/** What the preload exposes as `window.studio`: raw outcomes, one function per contract method. */
export interface StudioBridge {
  readonly invoke: Readonly<Record<string, (params?: unknown) => Promise<RpcOutcome>>>;
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
  onStreamFrame(listener: (bytes: Uint8Array) => void): () => void;
}
