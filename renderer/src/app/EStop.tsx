import { useCallback, useState } from 'react';
import { useRigStatus } from '../live/useLiveStatus';
import { Kbd } from '../ui/states';
import { useAction } from './actions';
import { useStudio } from './studioContext';

export interface EStopState {
  estopped: boolean;
  /** Why the e-stop engaged by itself (a device fault), until it is released. */
  fault: string | null;
  /** A stop or release the core did not confirm, with what to do. */
  error: string | null;
  stop(): void;
  release(): void;
}

/**
 * The e-stop's state and actions for the app shell. It lives above the views (not in Teleop) so the
 * stop, its latched state and its keys exist in every view, and a view change cannot unmount them.
 */
export function useEStop(): EStopState {
  const studio = useStudio();
  const rig = useRigStatus();
  const [error, setError] = useState<string | null>(null);
  const status = rig.state === 'ready' ? rig.value : null;
  const stop = useCallback(() => {
    studio.api.control.estop().then(
      () => setError(null),
      (e: Error) => setError(`E-stop failed: ${e.message}. Use the hardware e-stop.`),
    );
  }, [studio]);
  const release = useCallback(() => {
    studio.api.control.release().then(
      () => setError(null),
      (e: Error) => setError(`Release failed: ${e.message}`),
    );
  }, [studio]);
  useAction('estop', stop);
  useAction('estop.release', release);
  return { estopped: status?.control.estopped ?? false, fault: status?.control.fault ?? null, error, stop, release };
}

/**
 * STOP, pinned in the top bar: the top bar never scrolls, and the button sits above modal dialogs, so
 * it is on screen and clickable at every window size, in every view, with anything open.
 */
export function EStopButton({ estop, teleopKeys }: { estop: EStopState; teleopKeys: boolean }) {
  return (
    <button
      type="button"
      className={`estop-button${estop.estopped ? ' estop-button-latched' : ''}`}
      onClick={estop.stop}
      aria-label="Emergency stop"
      title="Emergency stop (Esc in the Teleop view, Pause in every view)"
      data-testid="estop"
    >
      STOP
      <Kbd>{teleopKeys ? 'Esc' : 'Pause'}</Kbd>
    </button>
  );
}

/**
 * The latched state, a non-scrolling row under the top bar while the e-stop holds: what happened (with
 * a device fault's reason), what recording does meanwhile, and the release. `teleopKeys`: the Teleop
 * view, where Esc / Shift+Esc are the e-stop keys (elsewhere Esc closes and blurs things, so only the
 * unambiguous Pause stops, and releasing takes a click: an accidental release is the worse mistake).
 */
export function EStopLatchedBar({ estop, teleopKeys }: { estop: EStopState; teleopKeys: boolean }) {
  if (!estop.estopped && estop.error === null) return null;
  return (
    <div className={`estop-bar${estop.estopped ? ' estop-bar-latched' : ''}`} role="alert" data-testid="estop-latched">
      {estop.estopped && (
        <>
          <span className="estop-bar-title">E-STOPPED</span>
          <span className="estop-bar-text">
            {estop.fault !== null ? (
              <span data-testid="estop-fault">Stopped by a device fault: {estop.fault}. Fix it, then release.</span>
            ) : (
              'The arm is held; teleop is ignored and recording cannot start until you release.'
            )}
          </span>
          <button type="button" className="estop-release" onClick={estop.release} data-testid="estop-release">
            Release{teleopKeys && <Kbd>Shift + Esc</Kbd>}
          </button>
        </>
      )}
      {estop.error !== null && <span className="estop-bar-error">{estop.error}</span>}
    </div>
  );
}
