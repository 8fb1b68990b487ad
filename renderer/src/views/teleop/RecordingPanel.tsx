import { useState } from 'react';
import type { RecordingStatus } from '../../../../shared/api/contract';
import { useAction } from '../../app/actions';
import { useStudio } from '../../app/studioContext';
import { SourceDropList } from '../../live/SourceDrops';
import { isSimulatedTake, sourceHealth, sourceTotals } from '../../live/streamHealth';
import type { Live } from '../../live/useLiveStatus';
import { Kbd } from '../../ui/states';

function seconds(s: number): string {
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;
}

/**
 * The recording lifecycle: start → recording → stop → save | discard | re-record, then the reset
 * phase (unrecorded; the next take starts when the operator says so). Every button has a key (shown
 * on it) so a take needs no mouse.
 */
export function RecordingPanel({
  status,
  defaultTask,
  estopped,
  enabled,
  simulated,
  onNewScene,
  onError,
}: {
  status: Live<RecordingStatus>;
  defaultTask: string;
  /** The e-stop is latched: the core refuses to start a take, so Start is disabled and says why. */
  estopped: boolean;
  enabled: boolean;
  /** A simulated rig: the panel offers a new scene (N), and says a save sets one. */
  simulated: boolean;
  onNewScene: () => void;
  onError: (message: string | null) => void;
}) {
  const studio = useStudio();
  const [task, setTask] = useState<string | null>(null);
  // Bumped when a key asks for a take the e-stop forbids, so the reason visibly answers the key press.
  const [refusals, setRefusals] = useState(0);
  // A new latch starts with a clean note (React's "adjust state while rendering" pattern, no effect).
  const [latchSeen, setLatchSeen] = useState(estopped);
  if (latchSeen !== estopped) {
    setLatchSeen(estopped);
    setRefusals(0);
  }
  const [operator, setOperator] = useState('');
  const ready = status.state === 'ready' ? status.value : null;
  const phase = ready?.phase ?? 'idle';
  const shownTask = task ?? (ready !== null && ready.task !== '' ? ready.task : defaultTask);

  const run = (what: string, call: () => Promise<unknown>) => {
    call().then(
      () => onError(null),
      (error: { message?: string; fix?: string }) =>
        onError(`${what} failed: ${error.message ?? String(error)}${error.fix !== undefined ? ` — ${error.fix}` : ''}`),
    );
  };
  const canStart = ready !== null && (phase === 'idle' || phase === 'resetting' || phase === 'failed');
  const hasEpisode = phase === 'recording' || phase === 'stopped';
  const refuse = () => setRefusals((n) => n + 1);
  const start = () =>
    run('Start', () => studio.api.recording.start({ task: shownTask, ...(operator.trim() !== '' ? { operator: operator.trim() } : {}) }));
  const toggle = () =>
    phase === 'recording' ? run('Stop', () => studio.api.recording.stop()) : !canStart ? undefined : estopped ? refuse() : start();
  const save = (outcome: 'success' | 'failure') => hasEpisode && run('Save', () => studio.api.recording.save({ outcome }));
  const discard = () => hasEpisode && run('Discard', () => studio.api.recording.discard());
  // Re-record starts a take, so the e-stop forbids it too (and the take in hand is kept).
  const rerecord = () => hasEpisode && (estopped ? refuse() : run('Re-record', () => studio.api.recording.rerecord()));

  useAction('record.toggle', toggle, enabled);
  useAction('record.saveSuccess', () => save('success'), enabled);
  useAction('record.saveFailure', () => save('failure'), enabled);
  useAction('record.discard', discard, enabled);
  useAction('record.rerecord', rerecord, enabled);

  // The core reports the take in hand only: between takes there is nothing to count.
  const streams = ready?.streams ?? {};
  const sources = sourceHealth(streams, ready?.elapsed_s ?? 0, isSimulatedTake(Object.keys(streams)));
  const totals = sourceTotals(sources);
  const troubled = sources.filter((source) => source.cause !== null);
  return (
    <section className={`panel recording-panel phase-${phase}`} aria-labelledby="recording-title" data-testid="recording-panel">
      <div className="panel-head">
        <h2 id="recording-title">Recording</h2>
        <span className={`pill pill-${phase}`} data-testid="recording-phase">
          {phase === 'recording' && <span className="rec-dot" aria-hidden="true" />}
          {phase}
        </span>
        <span className="episode-counter" data-testid="episode-counter" title="Episodes saved in this session">
          {ready?.saved_count ?? 0} saved
        </span>
      </div>
      {status.state === 'unavailable' && <p className="muted">Recording is not available from this core: {status.message}</p>}
      <label className="field-label" htmlFor="task-input">
        Task
      </label>
      <input
        id="task-input"
        className="task-input"
        value={shownTask}
        onChange={(e) => setTask(e.currentTarget.value)}
        disabled={phase === 'recording'}
        placeholder="What the operator should do, e.g. “Put the red cube on the green square.”"
      />
      <label className="field-label" htmlFor="operator-input">
        Operator
      </label>
      <input
        id="operator-input"
        value={operator}
        onChange={(e) => setOperator(e.currentTarget.value)}
        disabled={phase === 'recording'}
        placeholder="your name (stored with the session)"
      />

      <div className="recording-clock" aria-live="off">
        {phase === 'recording' || phase === 'stopped' ? (
          <>
            <span
              className="mono big"
              data-testid="recording-elapsed"
              title={phase === 'stopped' ? 'The length of the take' : 'Time since the start'}
            >
              {seconds(ready?.elapsed_s ?? 0)}
            </span>
            {phase === 'stopped' && <span className="muted"> take length</span>}
            {ready !== null && ready.max_duration_s !== null && <span className="muted"> / {seconds(ready.max_duration_s)} max</span>}
            {ready !== null && ready.episode_id !== null && <span className="muted"> · episode {ready.episode_id}</span>}
          </>
        ) : phase === 'resetting' ? (
          // Nothing starts by itself when the countdown ends: the operator starts the next take.
          <span className="countdown" data-testid="reset-countdown">
            Reset phase (not recorded): <span className="mono big">{Math.ceil(ready?.reset_remaining_s ?? 0)}</span> s left.{' '}
            {simulated ? 'A new scene is set. ' : 'Reset the scene. '}
            Press <Kbd>Enter</Kbd> to start the next take.
          </span>
        ) : (
          <span className="muted" data-testid="recording-ready">
            {estopped ? 'E-stopped: release the e-stop to record.' : 'Ready. Press Enter to start recording.'}
          </span>
        )}
      </div>

      <div className="record-buttons">
        {phase === 'recording' ? (
          <button type="button" className="primary" onClick={toggle}>
            Stop <Kbd>Enter</Kbd>
          </button>
        ) : (
          <button
            type="button"
            className="primary record"
            onClick={toggle}
            disabled={!canStart || estopped}
            aria-describedby={estopped ? 'record-blocked' : undefined}
            data-testid="record-start"
          >
            {phase === 'resetting' ? 'Start now' : 'Start recording'} <Kbd>Enter</Kbd>
          </button>
        )}
        <button type="button" className="ok-button" onClick={() => save('success')} disabled={!hasEpisode}>
          Save ✓ success <Kbd>G</Kbd>
        </button>
        <button type="button" className="bad-button" onClick={() => save('failure')} disabled={!hasEpisode}>
          Save ✗ failure <Kbd>B</Kbd>
        </button>
        <button type="button" onClick={discard} disabled={!hasEpisode}>
          Discard <Kbd>⌫</Kbd>
        </button>
        <button type="button" onClick={rerecord} disabled={!hasEpisode || estopped}>
          Re-record <Kbd>T</Kbd>
        </button>
        {simulated && (
          <button
            type="button"
            onClick={onNewScene}
            disabled={phase === 'recording'}
            title="Place the cube and target anew and send the arm home (the simulated rig only)"
            data-testid="new-scene"
          >
            New scene <Kbd>N</Kbd>
          </button>
        )}
      </div>

      {estopped && phase !== 'recording' && (
        // The key/press counter re-mounts the note, replaying its flash: the key was heard and refused.
        <p
          key={refusals}
          id="record-blocked"
          className={`record-blocked${refusals > 0 ? ' record-blocked-refused' : ''}`}
          role="status"
          data-testid="record-blocked"
          data-refusals={refusals}
        >
          E-stop is latched — release it (button / <Kbd>Shift + Esc</Kbd>) before recording.
          {refusals > 0 && ' Not started.'}
        </p>
      )}
      {phase === 'stopped' && ready?.stop_reason === 'estop' && (
        <p className="record-estop-stopped" role="status" data-testid="record-stopped-by-estop">
          The e-stop latched during this take: recording stopped and everything recorded is kept. Save it (<Kbd>G</Kbd> / <Kbd>B</Kbd>) or
          discard it.
        </p>
      )}
      {phase === 'stopped' && ready?.stop_reason === 'max_duration' && <p className="muted">Stopped at the maximum duration.</p>}
      {ready !== null && ready.failure !== null && (
        <div className="inline-error" role="alert">
          {ready.failure.message}
          {ready.failure.fix !== undefined && <div className="fix">{ready.failure.fix}</div>}
        </div>
      )}
      <div className="recording-health muted" data-testid="recording-health">
        {hasEpisode ? (
          <>
            <span className={totals.dropped > 0 ? 'warn' : ''} data-testid="take-dropped" data-dropped={totals.dropped}>
              {totals.dropped} dropped
            </span>{' '}
            · <span className={totals.late > 0 ? 'warn' : ''}>{totals.late} late</span> this take
          </>
        ) : (
          'no take in hand'
        )}{' '}
        · writer lag{' '}
        <span className={(ready?.durable_lag_ms ?? 0) > 1000 ? 'warn' : ''}>
          {ready === null || ready.durable_lag_ms === null ? '—' : `${ready.durable_lag_ms.toFixed(0)} ms`}
        </span>
        {ready !== null && ready.queued_ops > 0 && ` · ${ready.queued_ops} queued`}
      </div>
      {hasEpisode && troubled.length > 0 && <SourceDropList sources={troubled} testId="take-drops" />}
    </section>
  );
}
