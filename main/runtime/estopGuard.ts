import { StudioError } from '../../shared/api/errors';

/**
 * The error every way of starting a take gets while the e-stop is latched (the UI, the web API, a
 * mapped device button): a lab expects a stopped arm to stay stopped, and a take recorded against a
 * latched arm would be a demonstration of nothing. It names the cause and how to clear it.
 */
export function recordingRefusedWhileEstopped(fault: string | null): StudioError {
  return new StudioError({
    code: 'failed_precondition',
    message: `E-stop is latched${fault !== null ? ` (by a device fault: ${fault})` : ''} — release it (button / hotkey) before recording`,
    fix: `${fault !== null ? 'Fix the fault, then release' : 'Release'} the e-stop: the release button under STOP, Shift+Esc in the Teleop view, a device button mapped to release_estop, or control.release; then start recording again.`,
  });
}
