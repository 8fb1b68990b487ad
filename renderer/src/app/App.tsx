import { useCallback, useEffect, useState } from 'react';
import type { CoreStatus } from '../../../shared/api/contract';
import type { StudioClient } from '../../../shared/api/client';
import { CalibrationView } from '../views/calibration/CalibrationView';
import { EpisodesView } from '../views/episodes/EpisodesView';
import { ExportView } from '../views/export/ExportView';
import { SettingsView } from '../views/settings/SettingsView';
import { StatsView } from '../views/stats/StatsView';
import { TeleopView } from '../views/teleop/TeleopView';
import { ActionProvider, useAction } from './actions';
import { EStopButton, EStopLatchedBar, useEStop } from './EStop';
import { HelpOverlay } from './HelpOverlay';
import { useConnectionState, useLoad, useStudio } from './studioContext';

const loadInfo = (studio: StudioClient) => studio.api.app.info();
const loadRig = (studio: StudioClient) => studio.api.rig.get();

export type ViewId = 'teleop' | 'episodes' | 'settings' | 'export' | 'calibration' | 'stats';
const VIEWS: { id: ViewId; label: string; key: string }[] = [
  { id: 'teleop', label: 'Teleop / Record', key: '1' },
  { id: 'episodes', label: 'Episodes', key: '2' },
  { id: 'settings', label: 'Settings', key: '3' },
  { id: 'export', label: 'Export', key: '4' },
  { id: 'calibration', label: 'Calibration', key: '5' },
  { id: 'stats', label: 'Statistics', key: '6' },
];

function viewFromHash(): ViewId {
  const id = window.location.hash.replace(/^#\/?/, '');
  return VIEWS.some((v) => v.id === id) ? (id as ViewId) : 'teleop';
}

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

function Shell({ view, setView }: { view: ViewId; setView: (view: ViewId) => void }) {
  const info = useLoad(loadInfo);
  const rig = useLoad(loadRig);
  const [help, setHelp] = useState(false);
  const estop = useEStop();
  const closeHelp = useCallback(() => setHelp(false), []);
  useAction('view.teleop', () => setView('teleop'));
  useAction('view.episodes', () => setView('episodes'));
  useAction('view.settings', () => setView('settings'));
  useAction('view.export', () => setView('export'));
  useAction('view.calibration', () => setView('calibration'));
  useAction('view.stats', () => setView('stats'));
  useAction('help', () => setHelp((h) => !h));
  useEffect(() => {
    if (info.state === 'ready') document.title = `Foresight Studio ${info.value.version}`;
  }, [info]);
  const rigConfig = rig.state === 'ready' ? rig.value.config : null;

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Foresight Studio
        </div>
        <nav className="nav" aria-label="Views">
          {VIEWS.map((v) => (
            <button
              key={v.id}
              type="button"
              className={`nav-item${view === v.id ? ' nav-item-active' : ''}`}
              aria-current={view === v.id ? 'page' : undefined}
              onClick={() => setView(v.id)}
              title={`${v.label} (${v.key})`}
            >
              {v.label}
            </button>
          ))}
        </nav>
        <div className="topbar-right">
          {rigConfig !== null && <span className="muted rig-name">{rigConfig.name}</span>}
          {info.state === 'ready' && (
            <span className="muted topbar-version" title={info.value.database_path}>
              v{info.value.version} · {info.value.mode}
            </span>
          )}
          <button
            type="button"
            className="help-button"
            onClick={() => setHelp(true)}
            aria-label="Keyboard shortcuts"
            title="Keyboard shortcuts (?)"
          >
            ?
          </button>
          <ConnectionBadge />
          <EStopButton estop={estop} teleopKeys={view === 'teleop'} />
        </div>
      </header>
      <EStopLatchedBar estop={estop} teleopKeys={view === 'teleop'} />
      <Banner />
      <main className="content" data-view={view}>
        {view === 'teleop' && <TeleopView rig={rigConfig} />}
        {/* Kept mounted so filters, selection and the playhead survive a trip to the other views. */}
        <div className="view-host" hidden={view !== 'episodes'}>
          <EpisodesView rig={rigConfig} active={view === 'episodes'} />
        </div>
        {view === 'settings' && <SettingsView info={info} rig={rig} />}
        {view === 'export' && <ExportView />}
        {view === 'calibration' && <CalibrationView active />}
        {view === 'stats' && <StatsView active />}
      </main>
      {help && <HelpOverlay onClose={closeHelp} />}
    </div>
  );
}

export function App() {
  const [view, setViewState] = useState<ViewId>(viewFromHash);
  const setView = useCallback((next: ViewId) => {
    setViewState(next);
    window.history.replaceState(null, '', `#/${next}`);
  }, []);
  useEffect(() => {
    const onHash = () => setViewState(viewFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return (
    <ActionProvider scope={view}>
      <Shell view={view} setView={setView} />
    </ActionProvider>
  );
}
