import { useState } from 'react';
import { SHORTCUTS, type ActionId } from '../../app/shortcuts';
import { loadBindings, saveBindings, SPACEMOUSE_BUTTONS, type ButtonBindings } from './spacemouseBindings';

/** Which action each SpaceMouse button runs (kept in this browser profile). */
export function ButtonMapping() {
  const [bindings, setBindings] = useState<ButtonBindings>(loadBindings);
  const actions = SHORTCUTS.filter((s) => s.scope !== 'episodes');
  const set = (button: (typeof SPACEMOUSE_BUTTONS)[number], action: string) => {
    const next = { ...bindings };
    if (action === '') delete next[button];
    else next[button] = action as ActionId;
    setBindings(next);
    saveBindings(next);
  };
  return (
    <section className="panel" aria-labelledby="buttons-title">
      <h2 id="buttons-title">SpaceMouse buttons</h2>
      <p className="muted">
        Map buttons to recording actions so a take needs no keyboard. The gripper button is set in the rig config (<code>gripper_button</code>).
      </p>
      <table className="table">
        <tbody>
          {SPACEMOUSE_BUTTONS.map((button) => (
            <tr key={button}>
              <td className="mono">{button}</td>
              <td>
                <select aria-label={`Action for SpaceMouse ${button}`} value={bindings[button] ?? ''} onChange={(e) => set(button, e.currentTarget.value)}>
                  <option value="">— nothing —</option>
                  {actions.map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.label}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
