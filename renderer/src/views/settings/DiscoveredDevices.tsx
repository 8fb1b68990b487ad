import { useState } from 'react';
import type { Discovery } from '../../../../shared/api/contract';
import { useStudio } from '../../app/studioContext';
import { EmptyState } from '../../ui/states';

/**
 * What is plugged into the machine the core runs on: SpaceMice and game controllers, serial ports
 * (Robotiq, GELLO adapters) and cameras, each with the rig-config type that drives it and the stable
 * path to put in the config.
 */
export function DiscoveredDevices() {
  const studio = useStudio();
  const [found, setFound] = useState<Discovery | { error: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const scan = () => {
    setBusy(true);
    studio.api.devices
      .discover()
      .then(
        (discovery) => setFound(discovery),
        (error: Error) => setFound({ error: error.message }),
      )
      .finally(() => setBusy(false));
  };
  const nothing = found !== null && !('error' in found) && found.hid.length + found.serial.length + found.cameras.length === 0;

  return (
    <section className="panel" aria-labelledby="discovered-title">
      <div className="panel-head">
        <h2 id="discovered-title">Plugged-in devices</h2>
        <button type="button" onClick={scan} disabled={busy} data-testid="devices-scan">
          {busy ? 'Scanning…' : found === null ? 'Scan' : 'Scan again'}
        </button>
      </div>
      {found === null ? (
        <p className="muted">Scan to list SpaceMice, gamepads, serial ports and cameras on the machine running the studio.</p>
      ) : 'error' in found ? (
        <p className="bad">{found.error}</p>
      ) : nothing ? (
        <EmptyState title="Nothing found" testId="devices-none">
          No SpaceMouse, game controller, serial port or camera is visible. Plug one in and scan again; on Linux, check the udev rules and
          the <code>dialout</code> and <code>video</code> groups (README, Troubleshooting).
        </EmptyState>
      ) : (
        <table className="table" data-testid="devices-found">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Name</th>
              <th>Path for the rig config</th>
              <th>Type</th>
            </tr>
          </thead>
          <tbody>
            {found.hid.map((d) => (
              <tr key={`hid-${d.vendor_id}-${d.product_id}-${d.path ?? ''}`}>
                <td>{d.kind}</td>
                <td>{d.name}</td>
                <td className="mono">{d.path ?? `${d.vendor_id}:${d.product_id}`}</td>
                <td className="mono">{d.teleop_type ?? '—'}</td>
              </tr>
            ))}
            {found.serial.map((p) => (
              <tr key={`serial-${p.path}`}>
                <td>serial</td>
                <td>{p.manufacturer ?? '—'}</td>
                <td className="mono">{p.by_id ?? p.path}</td>
                <td className="mono">robotiq / gello</td>
              </tr>
            ))}
            {found.cameras.map((c) => (
              <tr key={`camera-${c.path}`}>
                <td>camera</td>
                <td>{c.name ?? '—'}</td>
                <td className="mono">{c.by_id[0] ?? c.path}</td>
                <td className="mono">{c.camera_type ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {found !== null && !('error' in found) && found.problems.length > 0 && (
        <ul className="muted issues" data-testid="devices-problems">
          {found.problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
