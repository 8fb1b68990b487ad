import { useEffect, useState } from 'react';
import type { CoreStatus } from '../../../shared/api/contract';
import { RigOverview } from '../rig/RigOverview';
import { useConnectionState, useLoad, useStudio } from './studioContext';

const loadInfo = (studio: ReturnType<typeof useStudio>) => studio.api.app.info();

function ConnectionBadge() {
  const state = useConnectionState();
  return (
    <span className={`badge badge-${state}`} data-testid="connection-status" role="status" aria-live="polite">
      <span className="badge-dot" aria-hidden="true" />
      {state}
    </span>
  );
}

function Banner() {
  const studio = useStudio();
  const connection = useConnectionState();
  const [status, setStatus] = useState<CoreStatus | undefined>();
  useEffect(() => studio.on('core.status', setStatus), [studio]);
  if (connection === 'connected' && status?.state !== 'stopping') return null;
  const text =
    status?.state === 'stopping'
      ? 'The studio core is shutting down. Start it again with `npm run web` (or reopen the app) to continue.'
      : connection === 'connecting'
        ? 'Connecting to the studio core…'
        : 'The studio core is not reachable; retrying. If you stopped `studio web`, start it again.';
  return (
    <div className="banner" role="alert">
      {text}
    </div>
  );
}

export function App() {
  const info = useLoad(loadInfo);
  useEffect(() => {
    if (info.state === 'ready') document.title = `Foresight Studio ${info.value.version}`;
  }, [info]);

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Foresight Studio
        </div>
        <nav className="nav" aria-label="Views">
          <span className="nav-item nav-item-active">Rig</span>
        </nav>
        <div className="topbar-right">
          {info.state === 'ready' && (
            <span className="muted" title={info.value.database_path}>
              v{info.value.version} · {info.value.mode}
            </span>
          )}
          <ConnectionBadge />
        </div>
      </header>
      <Banner />
      <main className="content">
        <RigOverview info={info} />
      </main>
    </div>
  );
}
