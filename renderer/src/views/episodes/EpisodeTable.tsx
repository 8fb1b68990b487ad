import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { EpisodeSummary } from '../../../../shared/api/contract';
import type { EpisodeLabels } from '../../labels/labelModel';
import type { ThumbnailCache } from './thumbnails';

export const ROW_HEIGHT_PX = 52;
const OVERSCAN_ROWS = 6;

export function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return m > 0 ? `${m}:${s.toFixed(0).padStart(2, '0')}` : `${s.toFixed(1)} s`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

function Thumbnail({ cache, id }: { cache: ThumbnailCache; id: number }) {
  const url = useSyncExternalStore(cache.subscribe, () => cache.get(id));
  if (url === undefined) return <div className="thumb thumb-loading" aria-hidden="true" />;
  if (url === null) return <div className="thumb thumb-none" title="No camera frame in this episode" aria-hidden="true" />;
  return <img className="thumb" src={url} alt="" />;
}

export interface EpisodeTableProps {
  episodes: readonly EpisodeSummary[];
  labels: ReadonlyMap<number, EpisodeLabels>;
  current: number | null;
  selected: ReadonlySet<number>;
  thumbnails: ThumbnailCache;
  onRowClick(id: number, mode: 'replace' | 'toggle' | 'range'): void;
  onToggleAll(): void;
}

/**
 * A virtualised table: only the rows on screen (plus a few) exist in the DOM, so a thousand episodes
 * cost the same to show and scroll as twenty. Row height is fixed so nothing jumps while scrolling.
 */
export function EpisodeTable({ episodes, labels, current, selected, thumbnails, onRowClick, onToggleAll }: EpisodeTableProps) {
  const bodyRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useEffect(() => {
    const body = bodyRef.current;
    if (body === null) return;
    const observer = new ResizeObserver(() => setHeight(body.clientHeight));
    observer.observe(body);
    return () => observer.disconnect();
  }, []);

  // Keep the current episode on screen when it changes from the keyboard.
  useEffect(() => {
    const body = bodyRef.current;
    if (body === null || current === null) return;
    const index = episodes.findIndex((e) => e.id === current);
    if (index < 0) return;
    const top = index * ROW_HEIGHT_PX;
    if (top < body.scrollTop) body.scrollTop = top;
    else if (top + ROW_HEIGHT_PX > body.scrollTop + body.clientHeight) body.scrollTop = top + ROW_HEIGHT_PX - body.clientHeight;
  }, [current, episodes]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT_PX) - OVERSCAN_ROWS);
  const last = Math.min(episodes.length, Math.ceil((scrollTop + height) / ROW_HEIGHT_PX) + OVERSCAN_ROWS);
  const visible = useMemo(() => episodes.slice(first, last), [episodes, first, last]);

  useEffect(() => {
    thumbnails.want(visible.map((e) => e.id));
  }, [thumbnails, visible]);

  const allSelected = episodes.length > 0 && episodes.every((e) => selected.has(e.id));
  return (
    <div className="episode-table" role="table" aria-label="Episodes" aria-rowcount={episodes.length + 1}>
      <div className="episode-row episode-head" role="row">
        <span role="columnheader" className="col-check">
          <input type="checkbox" aria-label="Select all shown episodes" checked={allSelected} onChange={onToggleAll} />
        </span>
        <span role="columnheader" className="col-thumb" />
        <span role="columnheader" className="col-id">
          #
        </span>
        <span role="columnheader" className="col-task">
          Task
        </span>
        <span role="columnheader" className="col-outcome">
          Outcome
        </span>
        <span role="columnheader" className="col-tags">
          Tags
        </span>
        <span role="columnheader" className="col-operator">
          Operator
        </span>
        <span role="columnheader" className="col-date">
          Recorded
        </span>
        <span role="columnheader" className="col-duration">
          Length
        </span>
      </div>
      <div className="episode-body" ref={bodyRef} onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}>
        <div style={{ height: episodes.length * ROW_HEIGHT_PX, position: 'relative' }}>
          {visible.map((episode, i) => {
            const label = labels.get(episode.id);
            const outcome = label?.outcome ?? episode.outcome;
            const tags = label?.tags ?? episode.tags;
            const isSelected = selected.has(episode.id);
            return (
              <div
                key={episode.id}
                role="row"
                aria-selected={isSelected}
                data-testid={`episode-row-${episode.id}`}
                className={`episode-row${episode.id === current ? ' episode-row-current' : ''}${isSelected ? ' episode-row-selected' : ''}${episode.status === 'discarded' ? ' episode-row-discarded' : ''}`}
                style={{ top: (first + i) * ROW_HEIGHT_PX, height: ROW_HEIGHT_PX }}
                onClick={(event) =>
                  onRowClick(episode.id, event.shiftKey ? 'range' : event.ctrlKey || event.metaKey ? 'toggle' : 'replace')
                }
              >
                <span role="cell" className="col-check" onClick={(event) => event.stopPropagation()}>
                  <input
                    type="checkbox"
                    aria-label={`Select episode ${episode.id}`}
                    checked={isSelected}
                    onChange={() => onRowClick(episode.id, 'toggle')}
                  />
                </span>
                <span role="cell" className="col-thumb">
                  <Thumbnail cache={thumbnails} id={episode.id} />
                </span>
                <span role="cell" className="col-id mono">
                  {episode.id}
                </span>
                <span role="cell" className="col-task" title={label?.task ?? episode.task}>
                  {label?.task ?? episode.task}
                  {episode.status !== 'saved' && <span className={`status status-${episode.status}`}>{episode.status}</span>}
                  {(label?.delete_requested ?? episode.delete_requested) && (
                    <span className="status status-discarded">delete requested</span>
                  )}
                </span>
                <span role="cell" className="col-outcome">
                  <span className={`outcome outcome-${outcome}`}>{outcome}</span>
                </span>
                <span role="cell" className="col-tags">
                  {tags.map((tag) => (
                    <span key={tag} className="chip">
                      {tag}
                    </span>
                  ))}
                </span>
                <span role="cell" className="col-operator">
                  {episode.operator}
                </span>
                <span role="cell" className="col-date">
                  {dateFormat.format(episode.started_at_unix_ms)}
                </span>
                <span
                  role="cell"
                  className="col-duration"
                  title={`${episode.frames} frames, ${episode.dropped} dropped, ${episode.late} late`}
                >
                  {formatDuration(episode.duration_s)}
                  {episode.dropped > 0 && <span className="warn-dot" title={`${episode.dropped} dropped samples`} />}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
