/**
 * Stand-in for the `electron` module under vitest (see vitest.config.mts): the real package would try to
 * download its binary. It records what the preload exposes and what it sends, nothing more; the
 * Electron shell itself is exercised by test/electron/ where a binary exists.
 */
type Listener = (...args: unknown[]) => void;

export const exposedInMainWorld: Record<string, unknown> = {};

export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown): void {
    exposedInMainWorld[key] = api;
  },
};

export const invokeCalls: { channel: string; args: unknown[] }[] = [];
const rendererListeners = new Map<string, Set<Listener>>();

export const ipcRenderer = {
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    invokeCalls.push({ channel, args });
    return Promise.resolve({ ok: true, result: { echoed: args } });
  },
  on(channel: string, listener: Listener) {
    let set = rendererListeners.get(channel);
    if (set === undefined) rendererListeners.set(channel, (set = new Set()));
    set.add(listener);
    return ipcRenderer;
  },
  off(channel: string, listener: Listener) {
    rendererListeners.get(channel)?.delete(listener);
    return ipcRenderer;
  },
};

/** Delivers a main → renderer message to the preload's listeners, as Electron would. */
export function emitToRenderer(channel: string, ...args: unknown[]): void {
  for (const listener of rendererListeners.get(channel) ?? []) listener({ sender: null }, ...args);
}

export function listenerCount(channel: string): number {
  return rendererListeners.get(channel)?.size ?? 0;
}
