import { useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';

type AnyPointerEvent = ReactPointerEvent<HTMLElement>;
import type { SegmentValue } from '../../labels/labelModel';
import { nsAt, secondsFrom } from './episodeData';

export interface TimelineProps {
  duration_s: number;
  t_s: number;
  t0_ns: bigint;
  segments: Readonly<Record<string, SegmentValue>>;
  /** A segment start marked with M, waiting for its end. */
  pendingStart_s: number | null;
  trim: { start_s: number; end_s: number } | null;
  onSeek(t_s: number): void;
  onPutSegment(key: string, value: SegmentValue | null, description: string): void;
}

type Drag = { key: string; edge: 'start' | 'end'; value: SegmentValue } | { key: null };

/**
 * The episode's time axis: scrub by clicking or dragging, segments as blocks whose edges drag to
 * resize and whose names edit in place. A resize is one undo step, committed when the drag ends.
 */
export function Timeline({ duration_s, t_s, t0_ns, segments, pendingStart_s, trim, onSeek, onPutSegment }: TimelineProps) {
  const trackRef = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  const [preview, setPreview] = useState<{ key: string; value: SegmentValue } | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const span = Math.max(duration_s, 1e-6);
  const pct = (t: number) => `${(Math.min(Math.max(t, 0), span) / span) * 100}%`;

  const timeAt = (clientX: number) => {
    const rect = trackRef.current?.getBoundingClientRect();
    if (rect === undefined || rect.width === 0) return 0;
    return ((clientX - rect.left) / rect.width) * span;
  };

  const onPointerDown = (event: AnyPointerEvent, next: Drag) => {
    event.stopPropagation();
    event.currentTarget.setPointerCapture(event.pointerId);
    setDrag(next);
    if (next.key === null) onSeek(timeAt(event.clientX));
  };
  const onPointerMove = (event: AnyPointerEvent) => {
    if (drag === null) return;
    const t = timeAt(event.clientX);
    if (drag.key === null) {
      onSeek(t);
      return;
    }
    const start = secondsFrom(t0_ns, drag.value.start_ns);
    const end = secondsFrom(t0_ns, drag.value.end_ns);
    const value =
      drag.edge === 'start'
        ? { ...drag.value, start_ns: nsAt(t0_ns, Math.min(Math.max(0, t), end - 0.01)) }
        : { ...drag.value, end_ns: nsAt(t0_ns, Math.max(Math.min(span, t), start + 0.01)) };
    setPreview({ key: drag.key, value });
  };
  const onPointerUp = () => {
    if (drag !== null && drag.key !== null && preview !== null)
      onPutSegment(preview.key, preview.value, `resize segment "${preview.value.label}"`);
    setDrag(null);
    setPreview(null);
  };

  const shown = Object.entries(segments).map(([key, value]) => [key, preview?.key === key ? preview.value : value] as const);
  return (
    <div className="timeline">
      <div
        className="timeline-track"
        ref={trackRef}
        data-testid="timeline"
        onPointerDown={(event) => onPointerDown(event, { key: null })}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        {trim !== null && (
          <>
            <div className="timeline-trimmed" style={{ left: 0, width: pct(trim.start_s) }} />
            <div className="timeline-trimmed" style={{ left: pct(trim.end_s), right: 0 }} />
          </>
        )}
        {shown.map(([key, value]) => {
          const start = secondsFrom(t0_ns, value.start_ns);
          const end = secondsFrom(t0_ns, value.end_ns);
          return (
            <div
              key={key}
              className="segment"
              data-testid="segment"
              style={{ left: pct(start), width: `calc(${pct(end)} - ${pct(start)})` }}
              onPointerDown={(event) => event.stopPropagation()}
              onDoubleClick={() => setRenaming(key)}
              title={`${value.label}: ${start.toFixed(2)}–${end.toFixed(2)} s (double-click to rename, drag the edges to resize)`}
            >
              <span
                className="segment-handle segment-handle-start"
                onPointerDown={(event) => onPointerDown(event, { key, edge: 'start', value })}
                onPointerMove={onPointerMove}
                onPointerUp={onPointerUp}
              />
              {renaming === key ? (
                <input
                  className="segment-rename"
                  aria-label="Segment name"
                  defaultValue={value.label}
                  autoFocus
                  onBlur={(event) => {
                    const label = event.currentTarget.value.trim();
                    if (label !== '' && label !== value.label) onPutSegment(key, { ...value, label }, `rename segment to "${label}"`);
                    setRenaming(null);
                  }}
                  onKeyDown={(event) => {
                    if (event.key === 'Enter') event.currentTarget.blur();
                    if (event.key === 'Escape') setRenaming(null);
                  }}
                />
              ) : (
                <span className="segment-label">{value.label}</span>
              )}
              <span
                className="segment-handle segment-handle-end"
                onPointerDown={(event) => onPointerDown(event, { key, edge: 'end', value })}
                onPointerMove={onPointerMove}
                onPointerUp={onPointerUp}
              />
            </div>
          );
        })}
        {pendingStart_s !== null && (
          <div className="timeline-mark" style={{ left: pct(pendingStart_s) }} title="Segment start: press M again at its end" />
        )}
        <div className="timeline-playhead" style={{ left: pct(t_s) }} />
      </div>
      <input
        className="timeline-range"
        type="range"
        aria-label="Playhead"
        min={0}
        max={span}
        step={0.001}
        value={Math.min(t_s, span)}
        onChange={(event) => onSeek(Number(event.currentTarget.value))}
      />
    </div>
  );
}
