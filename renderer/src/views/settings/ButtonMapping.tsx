import { useState } from 'react';
import { buttonActions, type RigConfig } from '../../../../shared/rig/rigConfig';
import { useStudio } from '../../app/studioContext';
import { EmptyState } from '../../ui/states';

/** SpaceMouse buttons by the names the driver reports (main/devices/spacemouse/products.ts). */
const SPACEMOUSE_BUTTONS = ['left', 'right', 'button_1', 'button_2', 'button_3', 'button_4', 'button_5', 'button_6'] as const;

const ACTION_LABELS: Record<(typeof buttonActions)[number], string> = {
  estop: 'Emergency stop',
  release_estop: 'Release the e-stop',
  toggle_recording: 'Start / stop recording',
  save_success: 'Save as success',
  save_failure: 'Save as failure',
  discard: 'Discard the episode',
  rerecord: 'Re-record',
};

type Mapping = Record<string, (typeof buttonActions)[number]>;

/**
 * Which studio action each SpaceMouse button runs. The mapping lives in the rig config
 * (`teleop[i].button_actions`) and runs in the core, so it works with no UI open; applying restarts
 * the rig with it.
 */
export function ButtonMapping({ rig }: { rig: RigConfig }) {
  const studio = useStudio();
  const index = rig.teleop.findIndex((entry) => entry.type === 'spacemouse');
  const [mapping, setMapping] = useState<Mapping>(() => ({ ...(rig.teleop[index]?.button_actions ?? {}) }));
  const [state, setState] = useState<'idle' | 'busy' | { error: string }>('idle');

  if (index === -1) {
    return (
      <section className="panel" aria-labelledby="buttons-title">
        <h2 id="buttons-title">SpaceMouse buttons</h2>
        <EmptyState title="No SpaceMouse in this rig">
          Add {'{ "type": "spacemouse" }'} to the rig config's teleop list below, apply it, then map its buttons here.
        </EmptyState>
      </section>
    );
  }

  const set = (button: string, action: string) => {
    const next = { ...mapping };
    if (action === '') delete next[button];
    else next[button] = action as Mapping[string];
    setMapping(next);
  };
  const apply = () => {
    setState('busy');
    const teleop = rig.teleop.map((entry, i) => (i === index ? { ...entry, button_actions: mapping } : entry));
    studio.api.rig.apply({ text: JSON.stringify({ ...rig, teleop }) }).then(
      () => window.location.reload(),
      (error: Error) => setState({ error: error.message }),
    );
  };
  const unchanged = JSON.stringify(mapping) === JSON.stringify(rig.teleop[index]?.button_actions ?? {});

  return (
    <section className="panel" aria-labelledby="buttons-title">
      <h2 id="buttons-title">SpaceMouse buttons</h2>
      <p className="muted">
        Map buttons to studio actions so a take needs no keyboard; the core runs them, so they work with no UI open. The gripper button is
        set in the rig config (<code>gripper_button</code>).
      </p>
      <table className="table">
        <tbody>
          {SPACEMOUSE_BUTTONS.map((button) => (
            <tr key={button}>
              <td className="mono">{button}</td>
              <td>
                <select
                  aria-label={`Action for SpaceMouse ${button}`}
                  value={mapping[button] ?? ''}
                  onChange={(e) => set(button, e.currentTarget.value)}
                >
                  <option value="">— nothing —</option>
                  {buttonActions.map((action) => (
                    <option key={action} value={action}>
                      {ACTION_LABELS[action]}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row-buttons">
        <button type="button" className="primary" onClick={apply} disabled={unchanged || state === 'busy'}>
          {state === 'busy' ? 'Applying…' : 'Apply and restart the rig'}
        </button>
        {typeof state === 'object' && <span className="bad">{state.error}</span>}
      </div>
    </section>
  );
}
