import { useEffect, useRef, useState, type RefObject } from 'react';
import type { ImportJob } from '../../../../shared/api/contract';
import { useStudio } from '../../app/studioContext';

/** The last folder imported from, so a lab re-importing a dataset types it once per machine. */
const LAST_SOURCE_KEY = 'episodes.importSource';

function storedSource(): string {
  try {
    return globalThis.localStorage?.getItem(LAST_SOURCE_KEY) ?? '';
  } catch {
    return '';
  }
}

function progressText(job: ImportJob): string {
  const p = job.progress;
  if (p === null) return 'Starting…';
  switch (p.phase) {
    case 'checking':
      return `Checking the dataset: ${p.total_episodes} episodes, ${p.total_frames} frames — every file and video before anything is written…`;
    case 'episodes':
      return `Episode ${Math.min(p.done_episodes + 1, p.total_episodes)} of ${p.total_episodes} · ${p.done_frames} / ${p.total_frames} frames${
        p.eta_s !== null ? ` · about ${Math.ceil(p.eta_s)} s left` : ''
      }`;
    case 'committing':
      return 'Moving the episodes into the store (one transaction)…';
    case 'done':
      return 'Done.';
  }
}

/**
 * Import a LeRobot dataset folder (v2.1 or v3.0) from the Episodes view: `import.start`, the same import
 * as `studio import --format lerobot DIR` (checked first, staged, moved in with one transaction), in a
 * worker of the core, with its progress and a cancel. The folder is a path on the machine running the
 * core — in web mode the browser's own file picker would upload files, not name a folder the core can
 * read, and the Electron bridge has no folder dialog, so it is typed (or pasted).
 */
export function ImportPanel({
  inputRef,
  onImported,
  onClose,
}: {
  inputRef: RefObject<HTMLInputElement | null>;
  onImported: (episode_ids: number[]) => void;
  onClose: () => void;
}) {
  const studio = useStudio();
  const [source, setSource] = useState(storedSource);
  const [job, setJob] = useState<ImportJob | null>(null);
  const [startError, setStartError] = useState<{ message: string; fix?: string | undefined } | null>(null);
  // Events can arrive before `import.start` answers: keep the newest per job until we know our id.
  const latest = useRef(new Map<number, ImportJob>());
  const current = useRef<number | null>(null);
  const onImportedRef = useRef(onImported);
  useEffect(() => {
    onImportedRef.current = onImported;
  });

  useEffect(
    () =>
      studio.on('import.progress', (next) => {
        latest.current.set(next.id, next);
        if (next.id !== current.current) return;
        setJob(next);
        if (next.state === 'done' && next.summary !== null) onImportedRef.current(next.summary.episode_ids);
      }),
    [studio],
  );

  const running = job?.state === 'running';
  const start = () => {
    const folder = source.trim();
    setStartError(null);
    if (folder === '') {
      setStartError({ message: 'No folder given.', fix: 'Type the dataset folder: the one that holds meta/info.json.' });
      return;
    }
    try {
      globalThis.localStorage?.setItem(LAST_SOURCE_KEY, folder);
    } catch {
      // Storage can be unavailable (private mode); the path is only a convenience.
    }
    studio.api.import.start({ source: folder }).then(
      (started) => {
        current.current = started.id;
        const seen = latest.current.get(started.id) ?? started;
        setJob(seen);
        if (seen.state === 'done' && seen.summary !== null) onImportedRef.current(seen.summary.episode_ids);
      },
      (error: { message?: string; fix?: string }) => setStartError({ message: error.message ?? String(error), fix: error.fix }),
    );
  };
  const cancel = () => {
    if (job === null) return;
    studio.api.import.cancel({ id: job.id }).catch((error: Error) => setStartError({ message: `Cancel failed: ${error.message}` }));
  };

  const p = job?.progress ?? null;
  return (
    <section className="panel import-panel" aria-labelledby="import-title" data-testid="import-panel">
      <div className="panel-head">
        <h2 id="import-title">Import a LeRobot dataset</h2>
        <button type="button" className="link" onClick={onClose} disabled={running} title="Close (the import goes on if it is running)">
          Close
        </button>
      </div>
      <form
        className="import-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (!running) start();
        }}
      >
        <input
          ref={inputRef}
          type="text"
          value={source}
          onChange={(event) => setSource(event.currentTarget.value)}
          onKeyDown={(event) => event.key === 'Escape' && event.currentTarget.blur()}
          placeholder="/path/to/dataset (the folder holding meta/info.json)"
          aria-label="Dataset folder"
          data-testid="import-source"
          spellCheck={false}
          disabled={running}
        />
        {running ? (
          <button type="button" onClick={cancel} data-testid="import-cancel">
            Cancel
          </button>
        ) : (
          <button type="submit" className="primary" data-testid="import-start">
            Import
          </button>
        )}
      </form>
      <p className="hint muted">
        LeRobot v2.1 or v3.0, on the machine running the studio. Every file is checked first; the episodes arrive all at once or not at all.
      </p>
      {startError !== null && (
        <div className="inline-error" role="alert" data-testid="import-error">
          {startError.message}
          {startError.fix !== undefined && <div className="fix">{startError.fix}</div>}
        </div>
      )}
      {job !== null && (
        <div className="import-status" data-testid="import-status" data-state={job.state} data-job={job.id}>
          {job.state === 'running' && (
            <>
              {/* Indeterminate while checking: nothing is counted before the first frame is written. */}
              <progress
                className="import-progress"
                value={p === null || p.phase === 'checking' || p.total_frames === 0 ? undefined : p.done_frames}
                max={p === null || p.phase === 'checking' || p.total_frames === 0 ? undefined : p.total_frames}
                aria-label="Import progress"
              />
              <div className="muted" data-testid="import-progress-text" data-phase={p?.phase ?? 'starting'}>
                {progressText(job)}
              </div>
            </>
          )}
          {job.state === 'done' && job.summary !== null && (
            <p className="ok" data-testid="import-done">
              Imported {job.summary.episode_ids.length} episodes ({job.summary.frames} frames at {job.summary.fps} fps, LeRobot{' '}
              {job.summary.codebase_version}) in {job.summary.elapsed_s.toFixed(1)} s: episodes {job.summary.episode_ids[0]}–
              {job.summary.episode_ids.at(-1)}, tagged <code>imported</code>, at the top of the list.
            </p>
          )}
          {job.state === 'done' && job.summary !== null && job.summary.warnings.length > 0 && (
            <ul className="import-warnings warn">
              {job.summary.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          {job.state === 'cancelled' && (
            <p className="muted" data-testid="import-cancelled">
              Import cancelled; nothing was added to the store.
            </p>
          )}
          {job.state === 'failed' && job.error !== null && (
            <div className="inline-error" role="alert" data-testid="import-error">
              Import failed; nothing was added. {job.error.message}
              {job.error.fix !== undefined && <div className="fix">{job.error.fix}</div>}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
