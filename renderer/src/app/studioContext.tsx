import { createContext, useCallback, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { StudioClient } from '../../../shared/api/client';
import type { ConnectionState } from '../../../shared/api/transport';

const StudioContext = createContext<StudioClient | null>(null);

export function StudioProvider({ client, children }: { client: StudioClient; children: ReactNode }) {
  return <StudioContext.Provider value={client}>{children}</StudioContext.Provider>;
}

/** The StudioApi client; the only way renderer code talks to the core. */
export function useStudio(): StudioClient {
  const client = useContext(StudioContext);
  if (client === null) throw new Error('useStudio() outside <StudioProvider>');
  return client;
}

export function useConnectionState(): ConnectionState {
  const studio = useStudio();
  const subscribe = useCallback((onChange: () => void) => studio.onConnectionChange(onChange), [studio]);
  return useSyncExternalStore(subscribe, () => studio.connectionState());
}

export type Loadable<T> =
  { state: 'loading' } | { state: 'ready'; value: T } | { state: 'error'; message: string; fix?: string | undefined };

/**
 * Runs `load` whenever the connection (re)opens, so views refresh after the core restarts. Pass a
 * module-level function: a new `load` each render would reload each render.
 */
export function useLoad<T>(load: (studio: StudioClient) => Promise<T>): Loadable<T> {
  const studio = useStudio();
  const connection = useConnectionState();
  const [value, setValue] = useState<Loadable<T>>({ state: 'loading' });
  useEffect(() => {
    if (connection !== 'connected') return;
    let live = true;
    load(studio).then(
      (result) => live && setValue({ state: 'ready', value: result }),
      (error: unknown) => {
        const { message, fix } = error as { message?: string; fix?: string };
        if (live) setValue({ state: 'error', message: message ?? String(error), fix });
      },
    );
    return () => {
      live = false;
    };
  }, [studio, connection, load]);
  return value;
}
