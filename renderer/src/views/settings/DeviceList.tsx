import type { RigConfig } from '../../../../shared/rig/rigConfig';
import type { Live } from '../../live/useLiveStatus';
import type { RigStatus } from '../../../../shared/api/contract';
import { gamepadStateText, useGamepadPresence } from '../../live/gamepadPresence';

/**
 * The rig's devices with their live state and, for a failed one, the error and its fix. Discovery of
 * devices that are plugged in but not configured needs a core API (see docs/ui.md).
 */
export function DeviceList({ rig, status }: { rig: RigConfig; status: Live<RigStatus> }) {
  const configured = [
    { name: 'arm', kind: 'arm', type: rig.arm.type },
    ...(rig.gripper !== undefined ? [{ name: 'gripper', kind: 'gripper', type: rig.gripper.type }] : []),
    ...rig.teleop.map((t, i) => ({ name: `teleop ${i + 1}`, kind: 'teleop', type: t.type })),
    ...rig.cameras.map((c) => ({ name: c.name, kind: 'camera', type: c.type })),
  ];
  const devices = status.state === 'ready' ? status.value.devices : null;
  // A gamepad is fed by this UI: the core calls it connected whenever the rig runs; the browser knows.
  const gamepad = gamepadStateText(useGamepadPresence());
  return (
    <section className="panel" aria-labelledby="devices-title">
      <div className="panel-head">
        <h2 id="devices-title">Devices</h2>
        {status.state === 'ready' && (
          <span className={`pill pill-${status.value.state}`}>
            rig {status.value.state}
            {status.value.simulated ? ' · simulated' : ''}
          </span>
        )}
      </div>
      {status.state === 'unavailable' && (
        <p className="muted">Live device status is not available from this core ({status.message}). Showing the configured devices.</p>
      )}
      {status.state === 'ready' && status.value.error !== undefined && (
        <div className="inline-error" role="alert">
          {status.value.error.message}
          {status.value.error.fix !== undefined && <div className="fix">{status.value.error.fix}</div>}
        </div>
      )}
      <table className="table" data-testid="device-table">
        <thead>
          <tr>
            <th>Device</th>
            <th>Kind</th>
            <th>Type</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {(
            devices ??
            configured.map((d) => ({
              ...d,
              connected: null as boolean | null,
              error: undefined as { message: string; fix?: string | undefined } | undefined,
            }))
          ).map((device) => (
            <tr key={`${device.kind}:${device.name}`} data-testid={`device-${device.name}`}>
              <td>{device.name}</td>
              <td>{device.kind}</td>
              <td className="mono">{device.type}</td>
              <td>
                {device.error !== undefined ? (
                  <div>
                    <span className="bad">error</span> — {device.error.message}
                    {device.error.fix !== undefined && <div className="fix">Fix: {device.error.fix}</div>}
                  </div>
                ) : device.type === 'gamepad' ? (
                  <span className={gamepad.tone} data-testid="gamepad-state">
                    {gamepad.text}
                  </span>
                ) : device.connected === null ? (
                  <span className="muted">configured</span>
                ) : device.connected ? (
                  <span className="ok">connected</span>
                ) : (
                  <span className="warn">not connected</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
