import type { ReactNode } from 'react';
import type { AppInfo, RigSnapshot } from '../../../../shared/api/contract';
import type { Loadable } from '../../app/studioContext';

function ErrorState({ message, fix }: { message: string; fix?: string | undefined }) {
  return (
    <div className="panel panel-error" role="alert">
      <h2>Something went wrong</h2>
      <p className="mono">{message}</p>
      {fix !== undefined && <p>{fix}</p>}
    </div>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="field">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function fmtVec(v: readonly number[], unit: string): string {
  return `[${v.map((x) => x.toFixed(2)).join(', ')}] ${unit}`;
}

export function RigOverview({ info, rig }: { info: Loadable<AppInfo>; rig: Loadable<RigSnapshot> }) {
  if (rig.state === 'loading' || info.state === 'loading') return <div className="panel muted">Loading the rig…</div>;
  if (rig.state === 'error') return <ErrorState message={rig.message} fix={rig.fix} />;
  if (info.state === 'error') return <ErrorState message={info.message} fix={info.fix} />;

  const { config, source } = rig.value;
  const { safety } = config;
  return (
    <div className="grid">
      <section className="panel" aria-labelledby="rig-title">
        <h2 id="rig-title">{config.name}</h2>
        {config.description !== undefined && <p className="muted">{config.description}</p>}
        <dl className="fields">
          <Field label="Config">{source}</Field>
          <Field label="Arm">{config.arm.type}</Field>
          <Field label="Gripper">{config.gripper?.type ?? 'none'}</Field>
          <Field label="Teleop">{config.teleop.map((device) => device.type).join(', ') || 'none'}</Field>
          <Field label="Recording">
            {config.recording.fps_hz} Hz, up to {config.recording.max_episode_s} s, {config.recording.reset_s} s reset
          </Field>
        </dl>
      </section>

      <section className="panel" aria-labelledby="cameras-title">
        <h2 id="cameras-title">Cameras</h2>
        {config.cameras.length === 0 ? (
          <p className="muted">No cameras configured. Add one to the rig config's "cameras" list.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Resolution</th>
                <th>Rate</th>
                <th>Depth</th>
              </tr>
            </thead>
            <tbody>
              {config.cameras.map((camera) => (
                <tr key={camera.name}>
                  <td>{camera.name}</td>
                  <td className="mono">{camera.type}</td>
                  <td>
                    {camera.width_px}×{camera.height_px}
                  </td>
                  <td>{camera.fps_hz} fps</td>
                  <td>{camera.depth ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="panel" aria-labelledby="safety-title">
        <h2 id="safety-title">Safety limits</h2>
        <dl className="fields">
          <Field label="Workspace min">{fmtVec(safety.workspace_min_m, 'm')}</Field>
          <Field label="Workspace max">{fmtVec(safety.workspace_max_m, 'm')}</Field>
          <Field label="Max speed">
            {safety.max_linear_speed_m_s} m/s, {safety.max_angular_speed_rad_s} rad/s
          </Field>
          <Field label="Gripper force">≤ {safety.max_gripper_force_n} N</Field>
          <Field label="Teleop timeout">{safety.teleop_timeout_ms} ms</Field>
        </dl>
      </section>

      <section className="panel" aria-labelledby="data-title">
        <h2 id="data-title">Data</h2>
        <dl className="fields">
          <Field label="Data directory">
            <span className="mono">{info.value.data_dir}</span>
          </Field>
          <Field label="Database">
            <span className="mono">{info.value.database_path}</span> (schema v{info.value.schema_version})
          </Field>
          <Field label="Core">
            {info.value.platform}, Node {info.value.node_version}
          </Field>
        </dl>
      </section>
    </div>
  );
}
