import { useEffect } from 'react';
import { Kbd } from '../ui/states';
import { keyLabel, SHORTCUTS, type Scope } from './shortcuts';

const TELEOP_KEYS: [string, string][] = [
  ['W / S', 'Move +x / −x (away from / towards the base)'],
  ['A / D', 'Move +y / −y'],
  ['R / F', 'Move up / down'],
  ['Q / E', 'Yaw + / −'],
  ['I / K', 'Pitch + / −'],
  ['J / L', 'Roll + / −'],
  ['Space', 'Gripper: open / close'],
  ['Shift (held)', 'Precision: half speed'],
];

const SCOPE_TITLES: Record<Scope, string> = {
  global: 'Everywhere',
  teleop: 'Teleop / Record',
  foresight: 'Imagination: while candidates are shown',
  episodes: 'Episodes, replay and labels',
  settings: 'Settings',
  export: 'Export',
  calibration: 'Calibration',
  stats: 'Statistics',
};

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.code === 'Escape') {
        // Closing the help must not also e-stop: the overlay eats this Escape.
        event.stopPropagation();
        event.preventDefault();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal help" role="dialog" aria-modal="true" aria-labelledby="help-title" onClick={(event) => event.stopPropagation()}>
        <div className="help-head">
          <h2 id="help-title">Keyboard shortcuts</h2>
          <button type="button" onClick={onClose} aria-label="Close help">
            Close <Kbd>Esc</Kbd>
          </button>
        </div>
        <div className="help-columns">
          <section>
            <h3>Arm (Teleop view, keys held)</h3>
            <table className="help-table">
              <tbody>
                {TELEOP_KEYS.map(([keys, label]) => (
                  <tr key={keys}>
                    <td>
                      <Kbd>{keys}</Kbd>
                    </td>
                    <td>{label}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          {(['global', 'teleop', 'foresight', 'episodes'] as const).map((scope) => (
            <section key={scope}>
              <h3>{SCOPE_TITLES[scope]}</h3>
              <table className="help-table">
                <tbody>
                  {SHORTCUTS.filter((s) => s.scope === scope).map((s) => (
                    <tr key={`${s.id}:${s.keys.join()}`}>
                      <td>
                        {s.keys.map((k, i) => (
                          <span key={k}>
                            {i > 0 && ' '}
                            <Kbd>{keyLabel(k)}</Kbd>
                          </span>
                        ))}
                      </td>
                      <td>{s.label}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ))}
        </div>
        <p className="muted">SpaceMouse buttons can run any of these actions: map them in Settings.</p>
      </div>
    </div>
  );
}
