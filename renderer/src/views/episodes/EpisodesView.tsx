import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { EpisodeSummary } from '../../../../shared/api/contract';
import type { RigConfig } from '../../../../shared/rig/rigConfig';
import { useAction } from '../../app/actions';
import { useConnectionState, useStudio } from '../../app/studioContext';
import { setOutcome } from '../../labels/labelModel';
import { LabelStore } from '../../labels/labelStore';
import { ConfirmDialog, EmptyState, ErrorState } from '../../ui/states';
import type { EpisodeData } from './episodeData';
import { nsAt } from './episodeData';
import { EMPTY_FILTER, isFiltered, toApiFilter, type FilterState } from './episodeFilters';
import { EpisodePlayer, type PlayerControls } from './EpisodePlayer';
import { EpisodeTable } from './EpisodeTable';
import { FilterBar } from './FilterBar';
import { ImportPanel } from './ImportPanel';
import { LabelPanel } from './LabelPanel';
import { ThumbnailCache } from './thumbnails';

type ListState =
  { state: 'loading' } | { state: 'ready'; episodes: EpisodeSummary[] } | { state: 'error'; message: string; fix?: string | undefined };
type Dialog = { kind: 'delete'; ids: number[] } | { kind: 'trim'; id: number; start_s: number; end_s: number } | null;

/** Episodes: a filtered, virtualised list; the player for the current one; labels for the selection. */
export function EpisodesView({ rig, active }: { rig: RigConfig | null; active: boolean }) {
  const studio = useStudio();
  const connection = useConnectionState();
  const [filter, setFilter] = useState<FilterState>(EMPTY_FILTER);
  // Typing in the task filter stays responsive; the query follows a beat behind.
  const deferredFilter = useDeferredValue(filter);
  const [list, setList] = useState<ListState>({ state: 'loading' });
  const [reloads, setReloads] = useState(0);
  const [current, setCurrent] = useState<number | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [editError, setEditError] = useState<string | null>(null);
  const [store] = useState(() => new LabelStore(studio.api.episodes));
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const thumbStream = rig?.cameras[0] !== undefined ? `camera.${rig.cameras[0].name}.color` : null;
  const thumbnails = useMemo(() => new ThumbnailCache(studio, thumbStream), [studio, thumbStream]);
  useEffect(() => () => thumbnails.dispose(), [thumbnails]);
  const taskInputRef = useRef<HTMLInputElement>(null);
  const controls = useRef<PlayerControls | null>(null);
  const [trimMarks, setTrimMarks] = useState<{ start_s: number; end_s: number } | null>(null);
  const [playerT0, setPlayerT0] = useState<bigint | null>(null);
  const [importOpen, setImportOpen] = useState(false);
  const importInputRef = useRef<HTMLInputElement>(null);
  const openImport = useCallback(() => {
    setImportOpen(true);
    // The field exists after this render; focus it then (I, then type the path).
    requestAnimationFrame(() => importInputRef.current?.focus());
  }, []);
  const onImported = useCallback(() => setReloads((n) => n + 1), []);
  const closeImport = useCallback(() => setImportOpen(false), []);

  const apiFilter = useMemo(() => toApiFilter(deferredFilter), [deferredFilter]);
  useEffect(() => {
    if (connection !== 'connected' || !active) return;
    let live = true;
    const started = performance.now();
    studio.api.episodes.list(apiFilter).then(
      ({ episodes }) => {
        if (!live) return;
        // Newest first: the take just recorded is the one people look for.
        const sorted = [...episodes].reverse();
        store.seedSummaries(sorted);
        setList({ state: 'ready', episodes: sorted });
        performance.measure('episodes.list', { start: started });
      },
      (error: { message?: string; fix?: string }) =>
        live && setList({ state: 'error', message: error.message ?? String(error), fix: error.fix }),
    );
    return () => {
      live = false;
    };
  }, [studio, connection, apiFilter, store, reloads, active]);

  const episodes = useMemo(() => (list.state === 'ready' ? list.episodes : []), [list]);
  const shownCurrent = current !== null && episodes.some((e) => e.id === current) ? current : null;
  const targets = useMemo(() => {
    const chosen = episodes.filter((e) => selected.has(e.id)).map((e) => e.id);
    return chosen.length > 1 ? chosen : shownCurrent !== null ? [shownCurrent] : [];
  }, [episodes, selected, shownCurrent]);

  const onRowClick = useCallback(
    (id: number, mode: 'replace' | 'toggle' | 'range') => {
      if (mode === 'replace') {
        setCurrent(id);
        setSelected(new Set([id]));
        setAnchor(id);
      } else if (mode === 'toggle') {
        setSelected((s) => {
          const next = new Set(s);
          if (next.has(id)) next.delete(id);
          else next.add(id);
          return next;
        });
        setAnchor(id);
        if (current === null) setCurrent(id);
      } else {
        const a = episodes.findIndex((e) => e.id === (anchor ?? id));
        const b = episodes.findIndex((e) => e.id === id);
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        setSelected(new Set(episodes.slice(Math.max(0, lo), hi + 1).map((e) => e.id)));
      }
    },
    [episodes, anchor, current],
  );

  const move = (delta: number) => {
    if (episodes.length === 0) return;
    const at = episodes.findIndex((e) => e.id === shownCurrent);
    const next = episodes[Math.min(episodes.length - 1, Math.max(0, at < 0 ? 0 : at + delta))];
    if (next !== undefined) onRowClick(next.id, 'replace');
  };

  const onLoaded = useCallback((data: EpisodeData) => store.seedDetail(data.detail), [store]);
  const bindControls = useCallback((next: PlayerControls | null) => {
    controls.current = next;
    setTrimMarks(next?.trim ?? null);
    setPlayerT0(next?.t0_ns ?? null);
  }, []);

  const confirmDelete = async (ids: number[]) => {
    setDialog(null);
    try {
      for (const id of ids) {
        await studio.api.episodes.edit({ id, action: 'requestDelete' });
        await studio.api.episodes.edit({ id, action: 'confirmDelete' });
      }
      setCurrent(null);
      setSelected(new Set());
      setReloads((n) => n + 1);
    } catch (error) {
      setEditError(`Deleting failed: ${(error as Error).message}`);
    }
  };
  const confirmTrim = async (id: number, start_s: number, end_s: number) => {
    setDialog(null);
    const t0 = playerT0;
    if (t0 === null) return;
    try {
      await studio.api.episodes.edit({ id, action: 'requestTrim', start_ns: nsAt(t0, start_s), end_ns: nsAt(t0, end_s) });
      await studio.api.episodes.edit({ id, action: 'confirmTrim' });
      // Reload the player: its streams changed under it.
      setCurrent(null);
      setReloads((n) => n + 1);
      queueMicrotask(() => setCurrent(id));
    } catch (error) {
      setEditError(`Trimming failed: ${(error as Error).message}`);
    }
  };

  const enabled = active && dialog === null;
  useAction('episodes.next', () => move(1), enabled);
  useAction('episodes.previous', () => move(-1), enabled);
  useAction('episodes.filter', () => taskInputRef.current?.focus(), enabled);
  useAction('episodes.import', openImport, enabled);
  useAction('label.success', () => store.apply(setOutcome(snapshot.labels, targets, 'success')), enabled);
  useAction('label.failure', () => store.apply(setOutcome(snapshot.labels, targets, 'failure')), enabled);
  useAction('label.unknown', () => store.apply(setOutcome(snapshot.labels, targets, 'unknown')), enabled);
  useAction('label.tag', () => document.getElementById('tag-input')?.focus(), enabled);
  useAction('label.delete', () => targets.length > 0 && setDialog({ kind: 'delete', ids: targets }), enabled);
  useAction('undo', () => store.undo(), enabled);
  useAction('redo', () => store.redo(), enabled);

  return (
    <div className="episodes-view">
      {/* The list and, under it, the labels of its selection: beside the player, never below it (at 1280×720
          the labels sat under the player, out of sight). */}
      <div className="episodes-side">
        {importOpen && <ImportPanel inputRef={importInputRef} onImported={onImported} onClose={closeImport} />}
        <div className="episodes-list panel">
          <FilterBar
            value={filter}
            onChange={setFilter}
            taskInputRef={taskInputRef}
            shown={list.state === 'ready' ? episodes.length : null}
            onImport={openImport}
          />
          {list.state === 'loading' && <div className="muted pad">Loading episodes…</div>}
          {list.state === 'error' && (
            <ErrorState
              title="The episode list could not be loaded"
              message={list.message}
              fix={list.fix}
              action={<button onClick={() => setReloads((n) => n + 1)}>Retry</button>}
            />
          )}
          {list.state === 'ready' && episodes.length === 0 && (
            <EmptyState title={isFiltered(filter) ? 'No episodes match these filters' : 'No episodes yet'} testId="episodes-empty">
              {isFiltered(filter) ? (
                <button type="button" className="link" onClick={() => setFilter(EMPTY_FILTER)}>
                  Clear the filters
                </button>
              ) : (
                <>
                  Record one in the Teleop view (press 1, then Enter), import a LeRobot dataset (press I), or from a terminal:{' '}
                  <code>studio record --sim --expert --episodes 10</code>.
                </>
              )}
            </EmptyState>
          )}
          {list.state === 'ready' && episodes.length > 0 && (
            <EpisodeTable
              episodes={episodes}
              labels={snapshot.labels}
              current={shownCurrent}
              selected={selected}
              thumbnails={thumbnails}
              onRowClick={onRowClick}
              onToggleAll={() => setSelected((s) => (episodes.every((e) => s.has(e.id)) ? new Set() : new Set(episodes.map((e) => e.id))))}
            />
          )}
        </div>
        {targets.length > 0 && (
          <LabelPanel
            store={store}
            snapshot={snapshot}
            targets={targets}
            t0_ns={playerT0}
            onSeek={(t) => controls.current?.seek(t)}
            onDelete={() => setDialog({ kind: 'delete', ids: targets })}
            onTrim={() => {
              if (shownCurrent === null) return;
              if (trimMarks === null) {
                setEditError('Set the window to keep first: move the playhead and press “Trim in”, then “Trim out”.');
                return;
              }
              setDialog({ kind: 'trim', id: shownCurrent, ...trimMarks });
            }}
            trimLabel={trimMarks === null ? null : `Trim to ${trimMarks.start_s.toFixed(2)}–${trimMarks.end_s.toFixed(2)} s…`}
          />
        )}
      </div>
      <div className="episodes-detail">
        {editError !== null && (
          <div className="inline-error" role="alert">
            {editError}{' '}
            <button type="button" onClick={() => setEditError(null)}>
              Dismiss
            </button>
          </div>
        )}
        {shownCurrent === null ? (
          <EmptyState title="Pick an episode" testId="player-empty">
            Click a row (or press ↓) to replay it with its cameras, 3D and plots. Ctrl-click or Shift-click rows to label several at once.
          </EmptyState>
        ) : (
          <EpisodePlayer
            id={shownCurrent}
            rig={rig}
            store={store}
            labels={snapshot.labels.get(shownCurrent)}
            onLoaded={onLoaded}
            bindControls={bindControls}
          />
        )}
      </div>
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={dialog.ids.length === 1 ? `Delete episode ${dialog.ids[0]}?` : `Delete ${dialog.ids.length} episodes?`}
          confirmLabel="Delete"
          onCancel={() => setDialog(null)}
          onConfirm={() => void confirmDelete(dialog.ids)}
        >
          Their recorded samples and frames are removed from the database. This cannot be undone.
        </ConfirmDialog>
      )}
      {dialog?.kind === 'trim' && (
        <ConfirmDialog
          title={`Trim episode ${dialog.id}?`}
          confirmLabel="Trim"
          onCancel={() => setDialog(null)}
          onConfirm={() => void confirmTrim(dialog.id, dialog.start_s, dialog.end_s)}
        >
          Keeps {dialog.start_s.toFixed(2)}–{dialog.end_s.toFixed(2)} s and removes everything outside it. This cannot be undone.
        </ConfirmDialog>
      )}
    </div>
  );
}
