import { useEffect, useState } from 'react';
import type { RecordingStatus, RigStatus } from '../../../shared/api/contract';
import { useConnectionState, useStudio } from '../app/studioContext';

export type Live<T> =
  { state: 'loading' } | { state: 'ready'; value: T } | { state: 'unavailable'; message: string; fix?: string | undefined };

function useLive<T>(load: 'rig' | 'recording'): Live<T> {
  const studio = useStudio();
  const connection = useConnectionState();
  const [value, setValue] = useState<Live<T>>({ state: 'loading' });
  useEffect(() => {
    if (connection !== 'connected') return;
    let live = true;
    const set = (next: T) => live && setValue({ state: 'ready', value: next });
    // Subscribe before asking, so a change between the answer and the subscription is not lost.
    const off = load === 'rig' ? studio.on('rig.status', (s) => set(s as T)) : studio.on('recording.status', (s) => set(s as T));
    const request = load === 'rig' ? studio.api.rig.status() : studio.api.recording.status();
    (request as Promise<T>).then(set, (error: { message?: string; fix?: string }) => {
      if (live) setValue({ state: 'unavailable', message: error.message ?? String(error), fix: error.fix });
    });
    return () => {
      live = false;
      off();
    };
  }, [studio, connection, load]);
  return value;
}

/** Devices, control loop and e-stop, kept current by the `rig.status` event. */
export const useRigStatus = (): Live<RigStatus> => useLive<RigStatus>('rig');
/** The recording lifecycle, kept current by the `recording.status` event. */
export const useRecordingStatus = (): Live<RecordingStatus> => useLive<RecordingStatus>('recording');
