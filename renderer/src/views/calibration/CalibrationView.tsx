import { useEffect, useMemo, useState } from 'react';
import type { ForesightRunView, Result } from '../../../../shared/api/contract';
import { useStudio } from '../../app/studioContext';
import { EmptyState, ErrorState } from '../../ui/states';

type Calibration = Result<'foresight.calibration'>;

const num = (v: number | null, digits = 3) => (v === null ? '—' : v.toFixed(digits));

/** The reliability diagram: predicted (x) vs observed success rate (y) per bin, dot area by count, the diagonal as perfect calibration. */
export function ReliabilityDiagram({ bins }: { bins: Calibration['reliability'] }) {
  const size = 300;
  const pad = 34;
  const inner = size - pad - 10;
  const x = (p: number) => pad + p * inner;
  const y = (p: number) => 10 + (1 - p) * inner;
  const maxN = Math.max(1, ...bins.map((b) => b.n));
  return (
    <svg
      className="reliability"
      viewBox={`0 0 ${size} ${size}`}
      width={size}
      height={size}
      role="img"
      aria-label="Reliability diagram"
      data-testid="reliability-diagram"
    >
      <rect x={pad} y={10} width={inner} height={inner} fill="#121720" stroke="#2a3140" />
      {[0, 0.25, 0.5, 0.75, 1].map((t) => (
        <g key={t}>
          <line x1={x(t)} y1={y(0)} x2={x(t)} y2={y(1)} stroke="#1e2530" />
          <line x1={x(0)} y1={y(t)} x2={x(1)} y2={y(t)} stroke="#1e2530" />
          <text x={x(t)} y={size - 8} fill="#8a94a6" fontSize="10" textAnchor="middle">
            {t}
          </text>
          <text x={pad - 6} y={y(t) + 3} fill="#8a94a6" fontSize="10" textAnchor="end">
            {t}
          </text>
        </g>
      ))}
      <line x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} stroke="#5a6372" strokeDasharray="4 3" />
      {bins.map((b) =>
        b.n > 0 ? (
          <rect
            key={`bar-${b.lo}`}
            x={x(b.lo) + 1}
            y={y(b.observed_rate ?? 0)}
            width={Math.max(1, x(b.hi) - x(b.lo) - 2)}
            height={y(0) - y(b.observed_rate ?? 0)}
            fill="#24405f"
            opacity={0.7}
          />
        ) : null,
      )}
      {bins.map((b) =>
        b.n > 0 && b.mean_predicted !== null && b.observed_rate !== null ? (
          <circle
            key={`dot-${b.lo}`}
            cx={x(b.mean_predicted)}
            cy={y(b.observed_rate)}
            r={3 + 7 * Math.sqrt(b.n / maxN)}
            fill="#5aa9ff"
            stroke="#0d1016"
          >
            <title>{`${b.lo.toFixed(1)}–${b.hi.toFixed(1)}: ${b.n} runs, predicted ${b.mean_predicted.toFixed(2)}, observed ${b.observed_rate.toFixed(2)}`}</title>
          </circle>
        ) : null,
      )}
      <text x={pad + inner / 2} y={size - 20} fill="#8a94a6" fontSize="10" textAnchor="middle" />
    </svg>
  );
}

/**
 * Calibration: does the world model's success estimate mean what it says on this rig? Over the stored
 * decisions whose episode has a known outcome: the reliability diagram, AUROC, Brier, ECE, and the
 * predicted vs real success rate per policy group — filterable by pack and mode.
 */
export function CalibrationView({ active }: { active: boolean }) {
  const studio = useStudio();
  const [runs, setRuns] = useState<ForesightRunView[]>([]);
  const [pack, setPack] = useState('');
  const [mode, setMode] = useState('');
  const [summary, setSummary] = useState<Calibration | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!active) return;
    let live = true;
    studio.api.foresight.runs({ limit: 100_000 }).then(
      ({ runs: found }) => live && setRuns(found),
      (error: Error) => live && setProblem(error.message),
    );
    return () => {
      live = false;
    };
  }, [studio, active]);

  useEffect(() => {
    if (!active) return;
    let live = true;
    studio.api.foresight.calibration({ ...(pack !== '' ? { pack_sha256: pack } : {}), ...(mode !== '' ? { mode } : {}) }).then(
      (result) => {
        if (!live) return;
        setSummary(result);
        setProblem(null);
      },
      (error: Error) => live && setProblem(error.message),
    );
    return () => {
      live = false;
    };
  }, [studio, active, pack, mode]);

  const packs = useMemo(
    () => [...new Map(runs.map((r) => [r.pack_sha256, `${r.model.name} ${r.model.version} (${r.pack_sha256.slice(0, 8)})`])).entries()],
    [runs],
  );
  const modes = useMemo(() => [...new Set(runs.map((r) => r.mode))].sort(), [runs]);

  return (
    <div className="calibration-view" data-testid="calibration-view">
      <div className="calibration-filters">
        <h2>Foresight calibration</h2>
        <label>
          Pack{' '}
          <select value={pack} onChange={(e) => setPack(e.currentTarget.value)} aria-label="Pack" data-testid="calibration-pack">
            <option value="">all packs</option>
            {packs.map(([sha, label]) => (
              <option key={sha} value={sha}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Mode{' '}
          <select value={mode} onChange={(e) => setMode(e.currentTarget.value)} aria-label="Mode" data-testid="calibration-mode">
            <option value="">all modes</option>
            {modes.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">{runs.length} stored imagination runs</span>
      </div>
      {problem !== null && (
        <ErrorState title="Calibration could not be computed" message={problem} fix="Check that the studio core is running." />
      )}
      {summary !== null && summary.runs === 0 && (
        <EmptyState title="Nothing to calibrate yet">
          Calibration compares each decision&apos;s predicted success with its episode&apos;s real outcome. Approve candidates or run a
          policy while recording, then label the episodes success or failure.
        </EmptyState>
      )}
      {summary !== null && summary.runs > 0 && (
        <div className="calibration-body">
          <section className="panel">
            <h3>Reliability</h3>
            <ReliabilityDiagram bins={summary.reliability} />
            <p className="muted small">
              x: predicted success of the chosen candidate · y: observed success rate · dot area: runs per bin · dashed: perfect calibration
            </p>
          </section>
          <section className="panel">
            <h3>Scores</h3>
            <dl className="stats" data-testid="calibration-scores">
              <dt>Decisions (runs)</dt>
              <dd data-testid="calibration-runs">{summary.runs}</dd>
              <dt>Episodes</dt>
              <dd>
                {summary.episodes} ({summary.positives} successes)
              </dd>
              <dt title="How well the estimate separates successes from failures (0.5 = chance, 1 = perfect)">AUROC</dt>
              <dd data-testid="calibration-auroc">{num(summary.auroc)}</dd>
              <dt title="Mean squared error of the probability (0 = perfect; 0.25 = always 50 %)">Brier</dt>
              <dd>{num(summary.brier)}</dd>
              <dt title="Expected calibration error: mean |predicted − observed| over bins, weighted by runs">ECE</dt>
              <dd>{num(summary.ece)}</dd>
              <dt>Pearson / Spearman (per group)</dt>
              <dd>
                {num(summary.pearson, 2)} / {num(summary.spearman, 2)}
              </dd>
            </dl>
          </section>
          <section className="panel calibration-groups">
            <h3>Predicted vs real success per policy</h3>
            <table className="groups-table" data-testid="calibration-groups">
              <thead>
                <tr>
                  <th>group</th>
                  <th>episodes</th>
                  <th>predicted</th>
                  <th>real</th>
                </tr>
              </thead>
              <tbody>
                {summary.groups.map((g) => (
                  <tr key={g.group}>
                    <td>{g.group === '' ? <span className="muted">(no operator named)</span> : g.group}</td>
                    <td>{g.episodes}</td>
                    <td>
                      <span className="twin-bar">
                        <span className="success-fill" style={{ width: `${g.predicted * 100}%` }} />
                      </span>{' '}
                      {(g.predicted * 100).toFixed(0)}%
                    </td>
                    <td>
                      <span className="twin-bar twin-bar-real">
                        <span className="success-fill" style={{ width: `${g.real * 100}%` }} />
                      </span>{' '}
                      {(g.real * 100).toFixed(0)}%
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </div>
      )}
    </div>
  );
}
