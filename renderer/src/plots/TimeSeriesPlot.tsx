import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Colours that stay apart on the dark theme, one per series (joints 1..7 use all of them). */
export const SERIES_COLORS = ['#5aa9ff', '#3ccf8e', '#f5b94a', '#ff6b6b', '#c792ea', '#4dd0e1', '#ffd166', '#9aa5b8'];

export interface TimeSeriesPlotProps {
  title: string;
  /** One name per value column. */
  names: readonly string[];
  /** uPlot's column layout: [x (s), ...one array per series]. */
  data: uPlot.AlignedData;
  unit?: string;
  height_px?: number;
  /** Replay: a vertical line at this time, and clicks seek. */
  cursor_s?: number;
  onSeek?: (t_s: number) => void;
  /** Live: show only the last N seconds. */
  window_s?: number;
  testId?: string;
}

/** The smallest and largest finite value over every series (not time): what the plot's y axis must show. */
export function valueRange(data: uPlot.AlignedData): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (let k = 1; k < data.length; k++) {
    for (const v of data[k] ?? []) {
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? { min, max } : null;
}

/**
 * The y range a plot shows for data spanning [min, max]. A signal at rest (an arm holding still)
 * varies by a few ulps; uPlot then picks a tick step below the values' floating-point resolution, its
 * tick loop never advances and it throws "Invalid array length". A span under a millionth of the
 * values' size is shown as a flat line with a readable margin instead.
 */
export function yRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const size = Math.max(Math.abs(min), Math.abs(max));
  const span = max - min;
  if (span <= size * 1e-6 || span < 1e-12) {
    const half = Math.max(size * 0.05, 1e-3);
    return [(min + max) / 2 - half, (min + max) / 2 + half];
  }
  return [min - span * 0.05, max + span * 0.05];
}

/**
 * A fast time-series plot (uPlot draws ~100k points per frame on canvas). The chart is created once
 * per set of series and then fed with setData, so live updates do not rebuild DOM.
 */
export function TimeSeriesPlot({ title, names, data, unit, height_px = 130, cursor_s, onSeek, window_s, testId }: TimeSeriesPlotProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const cursorRef = useRef<number | undefined>(cursor_s);
  const seekRef = useRef(onSeek);
  useEffect(() => {
    seekRef.current = onSeek;
    cursorRef.current = cursor_s;
  });
  const namesKey = names.join('|');

  useEffect(() => {
    const host = hostRef.current;
    if (host === null) return;
    const options: uPlot.Options = {
      width: Math.max(200, host.clientWidth),
      height: height_px,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: { x: { time: false }, y: { range: (_plot, min, max) => yRange(min, max) } },
      axes: [
        // Both axes carry their unit: a bare number line reads as anything.
        {
          stroke: '#8b93a5',
          grid: { stroke: '#232833' },
          ticks: { stroke: '#2a2f3a' },
          size: 24,
          label: 'time (s)',
          labelSize: 14,
          labelGap: 0,
        },
        { stroke: '#8b93a5', grid: { stroke: '#232833' }, ticks: { stroke: '#2a2f3a' }, size: 48, label: unit, labelSize: 14 },
      ],
      series: [
        { label: 't (s)' },
        ...namesKey.split('|').map((name, i) => ({ label: name, stroke: SERIES_COLORS[i % SERIES_COLORS.length], width: 1.25 })),
      ],
      hooks: {
        draw: [
          (u) => {
            const t = cursorRef.current;
            if (t === undefined) return;
            const x = Math.round(u.valToPos(t, 'x', true));
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = '#e6e8ee';
            ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.restore();
          },
        ],
      },
    };
    const plot = new uPlot(options, [[]], host);
    plotRef.current = plot;
    const over = plot.over;
    const onClick = (event: MouseEvent) => {
      const seek = seekRef.current;
      if (seek === undefined) return;
      seek(plot.posToVal(event.clientX - over.getBoundingClientRect().left, 'x'));
    };
    over.addEventListener('click', onClick);
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(200, host.clientWidth), height: height_px }));
    observer.observe(host);
    return () => {
      observer.disconnect();
      over.removeEventListener('click', onClick);
      plot.destroy();
      plotRef.current = null;
    };
  }, [namesKey, height_px, unit]);

  useEffect(() => {
    const plot = plotRef.current;
    if (plot === null) return;
    plot.setData(data, window_s === undefined);
    if (window_s !== undefined) {
      const xs = data[0];
      const end = xs.length > 0 ? (xs[xs.length - 1] ?? 0) : 0;
      plot.setScale('x', { min: end - window_s, max: end });
    }
  }, [data, window_s, namesKey]);

  useEffect(() => {
    plotRef.current?.redraw(false, false);
  }, [cursor_s]);

  // On the element so a test (or a curious user's inspector) can read what the canvas shows.
  const range = useMemo(() => valueRange(data), [data]);
  return (
    <figure className="plot" data-testid={testId} data-min={range?.min} data-max={range?.max}>
      <figcaption>
        {title}
        {unit !== undefined && <span className="muted"> ({unit})</span>}
      </figcaption>
      <div ref={hostRef} className="plot-host" />
    </figure>
  );
}
