import { useLayoutEffect, useRef, useState, type ReactNode, type RefObject } from 'react';

/**
 * Small SVG charts for dataset statistics: stacked columns (histograms, per-day counts), lines (rates
 * per day) and horizontal bars (per group). Drawn at the element's measured pixel width so text stays
 * crisp and legible at every window size; no chart library (uPlot is for time series, and these are
 * a few dozen rectangles). Every mark carries its numbers in data attributes, which the browser tests
 * read, and a <title> for hover.
 */

const AXIS = '#8b93a5';
const GRID = '#232833';
const FONT = 11;

export interface Series {
  key: string;
  color: string;
}

/** The element's content width, following resizes (ResizeObserver). */
function useWidth(): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const element = ref.current;
    if (element === null) return;
    setWidth(element.clientWidth);
    const observer = new ResizeObserver(() => setWidth(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/** Round ticks from 0 to at least `max` (1, 2, 5 × 10^k), at most about `count` of them. */
export function ticks(max: number, count = 4, integer = true): number[] {
  const top = Math.max(max, integer ? 1 : Number.MIN_VALUE);
  const raw = top / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  if (integer) step = Math.max(1, Math.round(step));
  const out: number[] = [];
  for (let v = 0; v < top + step * 0.999; v += step) out.push(Math.round(v * 1e9) / 1e9);
  return out;
}

function Frame({
  width,
  height,
  label,
  testId,
  children,
}: {
  width: number;
  height: number;
  label: string;
  testId: string;
  children: ReactNode;
}) {
  return (
    <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} data-testid={testId}>
      {children}
    </svg>
  );
}

const PAD = { left: 40, right: 10, top: 8, bottom: 34 };

/** Every `n`th label so that labels of `px` width fit in `available` px. */
const labelEvery = (labels: number, available: number, px: number) => Math.max(1, Math.ceil((labels * px) / Math.max(1, available)));

/** What every chart over categories takes, besides its series and their values. */
interface CategoryChartProps {
  categories: readonly string[];
  label: string;
  testId: string;
  xTitle: string;
  height?: number;
  /** A mark's hover text. */
  describe: (series: string, category: string, value: number) => string;
}

/**
 * The plot area of a chart over categories (columns or points along x): its size, the slot of each
 * category, and which category labels to write so that they do not overlap (about 6.5 px a character).
 */
function categoryLayout(width: number, height: number, categories: readonly string[]) {
  const plotW = Math.max(10, width - PAD.left - PAD.right);
  const plotH = height - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, categories.length);
  const every = labelEvery(categories.length, plotW, Math.max(...categories.map((c) => c.length), 1) * 6.5 + 8);
  return { plotW, plotH, slot, every };
}

/** Horizontal grid lines at `values`, each labelled at the left edge of the plot. */
function YGrid({
  values,
  y,
  width,
  format,
  stroke,
}: {
  values: readonly number[];
  y: (v: number) => number;
  width: number;
  format: (v: number) => string;
  stroke: (v: number) => string;
}) {
  return values.map((t) => (
    <g key={t}>
      <line x1={PAD.left} x2={width - PAD.right} y1={y(t)} y2={y(t)} stroke={stroke(t)} />
      <text x={PAD.left - 6} y={y(t) + 4} fill={AXIS} fontSize={FONT} textAnchor="end">
        {format(t)}
      </text>
    </g>
  ));
}

/** A category's label under the plot, centred on `x`. */
function CategoryLabel({ x, height, children }: { x: number; height: number; children: string }) {
  return (
    <text x={x} y={height - PAD.bottom + 14} fill={AXIS} fontSize={FONT} textAnchor="middle">
      {children}
    </text>
  );
}

/** The x axis's title, centred under the plot. */
function XTitle({ plotW, height, children }: { plotW: number; height: number; children: string }) {
  return (
    <text x={PAD.left + plotW / 2} y={height - 4} fill={AXIS} fontSize={FONT} textAnchor="middle">
      {children}
    </text>
  );
}

/**
 * Columns over categories (histogram bins, days), stacked by series. `values[s][c]` is series s in
 * category c.
 */
export function StackedColumns({
  categories,
  series,
  values,
  label,
  testId,
  xTitle,
  yTitle,
  height = 190,
  describe,
}: CategoryChartProps & {
  series: readonly Series[];
  values: readonly (readonly number[])[];
  yTitle: string;
}) {
  const [ref, width] = useWidth();
  const totals = categories.map((_, c) => series.reduce((sum, _s, s) => sum + (values[s]?.[c] ?? 0), 0));
  const yTicks = ticks(Math.max(0, ...totals));
  const top = yTicks.at(-1) ?? 1;
  const { plotW, plotH, slot, every } = categoryLayout(width, height, categories);
  const barW = Math.max(1, Math.min(48, slot * 0.78));
  const y = (v: number) => PAD.top + plotH * (1 - v / top);
  return (
    <div ref={ref} className="svg-chart">
      {width > 0 && (
        <Frame width={width} height={height} label={label} testId={testId}>
          <YGrid values={yTicks} y={y} width={width} format={String} stroke={() => GRID} />
          {categories.map((category, c) => {
            let base = 0;
            const x = PAD.left + c * slot + (slot - barW) / 2;
            return (
              <g key={category} data-category={category} data-total={totals[c]}>
                {series.map((s, i) => {
                  const v = values[i]?.[c] ?? 0;
                  if (v === 0) return null;
                  const y0 = y(base);
                  base += v;
                  return (
                    <rect
                      key={s.key}
                      x={x}
                      y={y(base)}
                      width={barW}
                      height={Math.max(0.5, y0 - y(base))}
                      fill={s.color}
                      data-series={s.key}
                      data-category={category}
                      data-value={v}
                    >
                      <title>{describe(s.key, category, v)}</title>
                    </rect>
                  );
                })}
                {c % every === 0 && (
                  <CategoryLabel x={x + barW / 2} height={height}>
                    {category}
                  </CategoryLabel>
                )}
              </g>
            );
          })}
          <line x1={PAD.left} x2={width - PAD.right} y1={y(0)} y2={y(0)} stroke={AXIS} />
          <XTitle plotW={plotW} height={height}>
            {xTitle}
          </XTitle>
          <text
            x={10}
            y={PAD.top + plotH / 2}
            fill={AXIS}
            fontSize={FONT}
            textAnchor="middle"
            transform={`rotate(-90 10 ${PAD.top + plotH / 2})`}
          >
            {yTitle}
          </text>
        </Frame>
      )}
    </div>
  );
}

/** Lines over categories (days), one per series, in [0, 1] shown as percent; null values leave a gap. */
export function RateLines({
  categories,
  series,
  values,
  label,
  testId,
  xTitle,
  height = 190,
  describe,
}: CategoryChartProps & {
  series: readonly (Series & { dashed?: boolean })[];
  values: readonly (readonly (number | null)[])[];
}) {
  const [ref, width] = useWidth();
  const { plotW, plotH, slot, every } = categoryLayout(width, height, categories);
  const x = (c: number) => PAD.left + c * slot + slot / 2;
  const y = (v: number) => PAD.top + plotH * (1 - v);
  return (
    <div ref={ref} className="svg-chart">
      {width > 0 && (
        <Frame width={width} height={height} label={label} testId={testId}>
          <YGrid
            values={[0, 0.25, 0.5, 0.75, 1]}
            y={y}
            width={width}
            format={(t) => `${Math.round(t * 100)}%`}
            stroke={(t) => (t === 0 ? AXIS : GRID)}
          />
          {categories.map((category, c) =>
            c % every === 0 ? (
              <CategoryLabel key={category} x={x(c)} height={height}>
                {category}
              </CategoryLabel>
            ) : null,
          )}
          {series.map((s, i) => {
            const row = values[i] ?? [];
            // One path per run of known values: a day with no labelled episode is a gap, not a zero.
            const runs: { c: number; v: number }[][] = [];
            row.forEach((v, c) => {
              if (v === null) return;
              const last = runs.at(-1);
              if (last !== undefined && last.at(-1)!.c === c - 1) last.push({ c, v });
              else runs.push([{ c, v }]);
            });
            return (
              <g key={s.key} data-series={s.key}>
                {runs.map((run) => (
                  <polyline
                    key={run[0]!.c}
                    points={run.map((p) => `${x(p.c)},${y(p.v)}`).join(' ')}
                    fill="none"
                    stroke={s.color}
                    strokeWidth={s.dashed === true ? 1.5 : 2}
                    strokeDasharray={s.dashed === true ? '5 4' : undefined}
                  />
                ))}
                {row.map((v, c) =>
                  v === null ? null : (
                    <circle
                      key={c}
                      cx={x(c)}
                      cy={y(v)}
                      r={3}
                      fill={s.color}
                      data-series={s.key}
                      data-category={categories[c]}
                      data-value={v}
                    >
                      <title>{describe(s.key, categories[c]!, v)}</title>
                    </circle>
                  ),
                )}
              </g>
            );
          })}
          <XTitle plotW={plotW} height={height}>
            {xTitle}
          </XTitle>
        </Frame>
      )}
    </div>
  );
}

export interface HBarRow {
  key: string;
  color: string;
  /** Stacked segments, left to right. */
  parts: { name: string; value: number; color: string }[];
  /** Written after the bar. */
  note: string;
}

/** One horizontal bar per row, stacked by parts, against a shared scale from 0 to `max`. */
export function HBars({
  rows,
  max,
  label,
  testId,
  format = (v: number) => String(v),
  guides = [],
}: {
  rows: readonly HBarRow[];
  max: number;
  label: string;
  testId: string;
  format?: (v: number) => string;
  /** Values marked by a vertical line with its label under the bars (e.g. 50 % and 100 % of a rate). */
  guides?: readonly number[];
}) {
  const [ref, width] = useWidth();
  const rowH = 24;
  const labelW = Math.min(200, Math.max(90, width * 0.3));
  const noteW = 118;
  const barMax = Math.max(10, width - labelW - noteW - 12);
  const barsH = rows.length * rowH + 4;
  const height = barsH + (guides.length > 0 ? 16 : 0);
  const scale = (v: number) => (max <= 0 ? 0 : (v / max) * barMax);
  return (
    <div ref={ref} className="svg-chart">
      {width > 0 && (
        <Frame width={width} height={height} label={label} testId={testId}>
          {guides.map((g) => (
            <g key={g}>
              <text x={labelW + 6 + scale(g)} y={height - 3} fill={AXIS} fontSize={10} textAnchor={g === 0 ? 'start' : 'middle'}>
                {format(g)}
              </text>
            </g>
          ))}
          {rows.map((row, r) => {
            let x = labelW + 6;
            const yMid = r * rowH + rowH / 2 + 2;
            return (
              <g key={row.key} data-row={row.key}>
                <rect x={0} y={yMid - 5} width={10} height={10} rx={2} fill={row.color} />
                <text x={16} y={yMid + 4} fill="#e6e8ee" fontSize={12}>
                  <title>{row.key}</title>
                  {row.key.length > (labelW - 16) / 7 ? `${row.key.slice(0, Math.max(4, Math.floor((labelW - 16) / 7) - 1))}…` : row.key}
                </text>
                <rect x={labelW + 6} y={yMid - 8} width={barMax} height={16} fill="#151920" rx={3} />
                {row.parts.map((part) => {
                  const w = scale(part.value);
                  const at = x;
                  x += w;
                  return part.value > 0 ? (
                    <rect
                      key={part.name}
                      x={at}
                      y={yMid - 8}
                      width={Math.max(1, w)}
                      height={16}
                      fill={part.color}
                      data-part={part.name}
                      data-value={part.value}
                    >
                      <title>{`${row.key}: ${format(part.value)} ${part.name}`}</title>
                    </rect>
                  ) : null;
                })}
                <text x={labelW + 12 + barMax} y={yMid + 4} fill={AXIS} fontSize={FONT} data-note={row.key}>
                  {row.note}
                </text>
              </g>
            );
          })}
          {guides.map((g) => (
            <line
              key={g}
              x1={labelW + 6 + scale(g)}
              x2={labelW + 6 + scale(g)}
              y1={2}
              y2={barsH}
              stroke="#e6e8ee"
              strokeOpacity={0.28}
              strokeDasharray="2 3"
            />
          ))}
        </Frame>
      )}
    </div>
  );
}
