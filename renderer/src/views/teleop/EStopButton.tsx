import { useAction } from '../../app/actions';
import { useStudio } from '../../app/studioContext';
import { Kbd } from '../../ui/states';

/** The e-stop: always visible, the largest control on the view, reachable with Esc from anywhere in it. */
export function EStopButton({ estopped, fault, onError }: { estopped: boolean; fault: string | null; onError: (message: string | null) => void }) {
  const studio = useStudio();
  const stop = () => studio.api.control.estop().then(() => onError(null), (e: Error) => onError(`E-stop failed: ${e.message}. Use the hardware e-stop.`));
  const release = () => studio.api.control.release().then(() => onError(null), (e: Error) => onError(`Release failed: ${e.message}`));
  useAction('estop', () => void stop());
  useAction('estop.release', () => void release());
  return (
    <div className={`estop${estopped ? ' estop-latched' : ''}`}>
      <button type="button" className="estop-button" onClick={() => void stop()} aria-label="Emergency stop" data-testid="estop">
        STOP
        <span className="estop-key">
          <Kbd>Esc</Kbd>
        </span>
      </button>
      {estopped && (
        <button type="button" className="estop-release" onClick={() => void release()} data-testid="estop-release">
          E-stopped — release <Kbd>Shift + Esc</Kbd>
        </button>
      )}
      {estopped && fault !== null && (
        <div className="inline-error" role="alert" data-testid="estop-fault">
          Stopped by a device fault: {fault}. Fix it, then release.
        </div>
      )}
    </div>
  );
}
