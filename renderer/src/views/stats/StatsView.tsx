import { useEffect, useMemo, useState, type ComponentProps, type ReactNode } from 'react';
import type { DatasetStats, StatsGroupStats } from '../../../../shared/api/contract';
import { useConnectionState, useStudio } from '../../app/studioContext';
import { HBars, RateLines, StackedColumns, type Series } from '../../plots/svgCharts';
import { EmptyState, ErrorState } from '../../ui/states';
import './stats.css';

type Grouping = DatasetStats['by'];
const GROUPINGS: { id: Grouping; label: string }[] = [
  { id: 'task', label: 'Task' },
  { id: 'operator', label: 'Operator' },
  { id: 'tag', label: 'Tag' },
  { id: 'policy', label: 'Policy' },
];

/** Distinct on the dark theme and for the common colour-vision deficiencies (Okabe–Ito, lightened). */
const PALETTE = ['#5aa9ff', '#f5b94a', '#3ccf8e', '#ff8fb1', '#b48cff', '#56d4e6', '#ff9f5a', '#d8e36a', '#a0a8b8', '#ff6b6b'];
/** More groups than this start unticked: a plot with 40 stacked colours says nothing. */
const DEFAULT_SHOWN = 8;
const OUTCOME_COLORS = { success: '#3ccf8e', failure: '#ff6b6b', unknown: '#566074' } as const;

const pct = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`);
function duration(s: number): string {
  if (s < 90) return `${s.toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
/** Bin labels: lengths by their lower edge ("0–0.5"), drops with 0 on its own. */
const lengthBins = (edges: readonly number[]) => edges.slice(0, -1).map((lo, i) => `${lo}–${edges[i + 1]}`);
const dropBins = (edges: readonly number[]) =>
  edges.slice(0, -1).map((lo, i) => (edges[i + 1]! - lo === 1 ? String(lo) : `${lo}–${edges[i + 1]! - 1}`));
/** `2025-12-06` → `Dec 6`, in UTC: the core already bucketed the days in the browser's offset. */
const dayLabel = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

function Card({ title, note, children, testId }: { title: string; note?: string; children: ReactNode; testId: string }) {
  return (
    <section className="panel stats-card" data-testid={testId}>
      <h3>
        {title}
        {note !== undefined && <span className="muted"> · {note}</span>}
      </h3>
      {children}
    </section>
  );
}

/**
 * Dataset statistics: what a lab looks at daily while collecting, as plots — per task, operator, tag or
 * policy: episodes (by outcome), success rate, the length and drop histograms, and episodes and success
 * rate per day. Every number comes from one call, `stats.dataset`, computed in the core over the saved
 * episodes; the view only draws. Groups are filters: tick them off to leave them out of every plot and
 * of the totals.
 */
export function StatsView({ active }: { active: boolean }) {
  const studio = useStudio();
  const connection = useConnectionState();
  const [by, setBy] = useState<Grouping>('task');
  /** The groups the user ticked; null until they pick (then the largest DEFAULT_SHOWN). */
  const [picked, setPicked] = useState<string[] | null>(null);
  const [available, setAvailable] = useState<DatasetStats['available'] | null>(null);
  const [stats, setStats] = useState<DatasetStats | null>(null);
  const [problem, setProblem] = useState<{ message: string; fix?: string | undefined } | null>(null);
  const [reloads, setReloads] = useState(0);

  // What to ask for: the picked groups, or the largest few once the groups are known.
  // As a string, so a fresh `available` array with the same groups asks nothing again.
  const groupsKey = JSON.stringify(
    picked ?? (available !== null && available.length > DEFAULT_SHOWN ? available.slice(0, DEFAULT_SHOWN).map((g) => g.key) : null),
  );
  useEffect(() => {
    if (!active || connection !== 'connected') return;
    let live = true;
    const groups = JSON.parse(groupsKey) as string[] | null;
    const utc_offset_min = -new Date().getTimezoneOffset();
    studio.api.stats.dataset({ by, utc_offset_min, ...(groups !== null ? { groups } : {}) }).then(
      (result) => {
        if (!live) return;
        setStats(result);
        setAvailable(result.available);
        setProblem(null);
      },
      (error: { message?: string; fix?: string }) => live && setProblem({ message: error.message ?? String(error), fix: error.fix }),
    );
    return () => {
      live = false;
    };
  }, [studio, connection, active, by, groupsKey, reloads]);

  const pickGrouping = (next: Grouping) => {
    if (next === by) return;
    setBy(next);
    setPicked(null);
    setAvailable(null);
    setStats(null);
  };
  const colorOf = useMemo(() => {
    const index = new Map((available ?? []).map((g, i) => [g.key, i]));
    return (key: string) => PALETTE[(index.get(key) ?? 0) % PALETTE.length]!;
  }, [available]);
  const shown = stats?.by === by ? stats : null;
  const selected = new Set(shown?.groups.map((g) => g.key) ?? []);
  const toggle = (key: string) => {
    const next = new Set(selected);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    // Keep the order of `available` (largest first), so colours and legends stay put.
    setPicked((available ?? []).map((g) => g.key).filter((k) => next.has(k)));
  };

  return (
    <div className="stats-view" data-testid="stats-view">
      <div className="stats-head">
        <h2>Dataset statistics</h2>
        <div className="segmented" role="group" aria-label="Group by">
          {GROUPINGS.map((g) => (
            <button key={g.id} type="button" aria-pressed={by === g.id} onClick={() => pickGrouping(g.id)} data-testid={`stats-by-${g.id}`}>
              {g.label}
            </button>
          ))}
        </div>
        {shown !== null && <Totals total={shown.total} groups={shown.groups.length} />}
        <button type="button" onClick={() => setReloads((n) => n + 1)} title="Read the store again">
          Refresh
        </button>
      </div>
      {problem !== null && <ErrorState title="The statistics could not be computed" message={problem.message} fix={problem.fix} />}
      {available !== null && available.length > 0 && (
        <div className="stats-groups" role="group" aria-label={`Show ${by}s`} data-testid="stats-groups">
          {available.map((g) => (
            <button
              key={g.key}
              type="button"
              className="stats-chip"
              aria-pressed={selected.has(g.key)}
              onClick={() => toggle(g.key)}
              data-group={g.key}
              title={g.key}
            >
              <span
                className="stats-swatch"
                style={{ background: selected.has(g.key) ? colorOf(g.key) : 'transparent', borderColor: colorOf(g.key) }}
              />
              <span className="stats-chip-label">{g.key}</span>
              <span className="muted">{g.episodes}</span>
            </button>
          ))}
          <button type="button" className="link" onClick={() => setPicked(available.map((g) => g.key))}>
            all
          </button>
          <button type="button" className="link" onClick={() => setPicked([])}>
            none
          </button>
        </div>
      )}
      {available !== null && available.length === 0 && (
        <EmptyState title="No saved episodes yet" testId="stats-empty">
          Statistics count saved episodes. Record some in the Teleop view (press 1), import a LeRobot dataset in Episodes (press 2, then I),
          or from a terminal: <code>studio record --sim --expert --episodes 10</code>.
        </EmptyState>
      )}
      {shown !== null && shown.groups.length === 0 && available !== null && available.length > 0 && (
        <EmptyState title={`No ${by} ticked`}>Tick one or more above to plot them.</EmptyState>
      )}
      {shown !== null && shown.groups.length > 0 && <Plots stats={shown} colorOf={colorOf} />}
    </div>
  );
}

function Totals({ total, groups }: { total: StatsGroupStats; groups: number }) {
  const labelled = total.success + total.failure;
  return (
    <div className="stats-totals" data-testid="stats-totals" data-episodes={total.episodes} data-success-rate={total.success_rate ?? ''}>
      <span>
        <b>{total.episodes}</b> episodes
      </span>
      <span>
        <b>{duration(total.total_duration_s)}</b> recorded
      </span>
      <span title="success / (success + failure); unlabelled episodes are not in the rate">
        success <b>{pct(total.success_rate)}</b> <span className="muted">of {labelled} labelled</span>
      </span>
      <span className="muted">
        {groups} group{groups === 1 ? '' : 's'}
      </span>
    </div>
  );
}

/** Taller plots on a taller window: two rows of them fill a 1080 px screen, and stay readable at 720. */
function useChartHeight(): number {
  const pick = () => Math.max(170, Math.min(320, Math.floor((window.innerHeight - 300) / 2) - 50));
  const [height, setHeight] = useState(pick);
  useEffect(() => {
    const onResize = () => setHeight(pick());
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  return height;
}

function Plots({ stats, colorOf }: { stats: DatasetStats; colorOf: (key: string) => string }) {
  const height = useChartHeight();
  const series: Series[] = stats.groups.map((g) => ({ key: g.key, color: colorOf(g.key) }));
  /** What the three episode-count charts share: the height, and a colour per group. */
  const columns = { height, series };
  const maxEpisodes = Math.max(1, ...stats.groups.map((g) => g.episodes));
  const days = stats.days.map(dayLabel);
  const dayName = (label: string) => stats.days[days.indexOf(label)] ?? label;
  const overlap = stats.by === 'tag' && stats.groups.reduce((n, g) => n + g.episodes, 0) > stats.total.episodes;
  return (
    <div className="stats-grid">
      <Card title={`Episodes per ${stats.by}`} note="by outcome" testId="stats-episodes">
        <HBars
          label={`Episodes per ${stats.by}, by outcome`}
          testId="stats-episodes-chart"
          max={maxEpisodes}
          rows={stats.groups.map((g) => ({
            key: g.key,
            color: colorOf(g.key),
            parts: (['success', 'failure', 'unknown'] as const).map((o) => ({ name: o, value: g[o], color: OUTCOME_COLORS[o] })),
            note: `${g.episodes} · ${duration(g.total_duration_s)}`,
          }))}
        />
        <Legend
          items={[
            { key: 'success', color: OUTCOME_COLORS.success },
            { key: 'failure', color: OUTCOME_COLORS.failure },
            { key: 'unlabelled', color: OUTCOME_COLORS.unknown },
          ]}
        />
      </Card>
      <Card title={`Success rate per ${stats.by}`} note="success / labelled" testId="stats-success">
        <HBars
          label={`Success rate per ${stats.by}`}
          testId="stats-success-chart"
          max={1}
          format={pct}
          guides={[0, 0.5, 1]}
          rows={stats.groups.map((g) => ({
            key: g.key,
            color: colorOf(g.key),
            parts: [{ name: 'success rate', value: g.success_rate ?? 0, color: colorOf(g.key) }],
            note: g.success_rate === null ? 'none labelled' : `${pct(g.success_rate)} of ${g.success + g.failure}`,
          }))}
        />
      </Card>
      <Card
        title="Episode length"
        note={`median ${stats.total.median_duration_s === null ? '—' : duration(stats.total.median_duration_s)}`}
        testId="stats-length"
      >
        <EpisodeColumns
          label="Episode length histogram"
          testId="stats-length-chart"
          {...columns}
          categories={lengthBins(stats.length_edges_s)}
          values={stats.groups.map((g) => g.length_counts)}
          xTitle="length (s)"
          which={(c) => `of ${c} s`}
        />
      </Card>
      <Card title="Dropped samples per episode" note={`${stats.total.total_dropped} in all`} testId="stats-drops">
        <EpisodeColumns
          label="Drop histogram"
          testId="stats-drops-chart"
          {...columns}
          categories={dropBins(stats.drop_edges)}
          values={stats.groups.map((g) => g.drop_counts)}
          xTitle="dropped samples in the episode"
          which={(c) => `with ${c} dropped`}
        />
      </Card>
      <Card title="Episodes per day" testId="stats-per-day">
        <EpisodeColumns
          label="Episodes per day"
          testId="stats-per-day-chart"
          {...columns}
          categories={days}
          values={stats.groups.map((g) => g.per_day.map((d) => d.episodes))}
          xTitle="day recorded"
          which={(c) => `on ${dayName(c)}`}
        />
      </Card>
      <Card title="Success rate per day" note="dashed: all shown" testId="stats-rate-per-day">
        <RateLines
          label="Success rate per day"
          testId="stats-rate-per-day-chart"
          height={height}
          categories={days}
          series={[...series, { key: 'all', color: '#e6e8ee', dashed: true }]}
          values={[...stats.groups.map((g) => g.per_day.map((d) => d.success_rate)), stats.total.per_day.map((d) => d.success_rate)]}
          xTitle="day recorded (no point: none labelled that day)"
          describe={(s, c, v) => `${s}: ${pct(v)} success on ${dayName(c)}`}
        />
      </Card>
      {overlap && (
        <p className="muted stats-footnote">An episode with several tags counts once in each of their groups, and once in the totals.</p>
      )}
    </div>
  );
}

/**
 * Episode counts per category (a histogram's bins, days), stacked by group; `which` says what a
 * category is in a column's hover text ("of 2–4 s", "on Dec 6").
 */
function EpisodeColumns({
  which,
  ...chart
}: Omit<ComponentProps<typeof StackedColumns>, 'yTitle' | 'describe'> & { which: (category: string) => string }) {
  return <StackedColumns {...chart} yTitle="episodes" describe={(s, c, v) => `${s}: ${v} episode${v === 1 ? '' : 's'} ${which(c)}`} />;
}

function Legend({ items }: { items: { key: string; color: string }[] }) {
  return (
    <div className="stats-legend">
      {items.map((item) => (
        <span key={item.key}>
          <span className="stats-swatch" style={{ background: item.color, borderColor: item.color }} /> {item.key}
        </span>
      ))}
    </div>
  );
}
