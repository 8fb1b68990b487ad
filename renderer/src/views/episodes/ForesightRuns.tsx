import { useEffect, useState } from 'react';
import type { ForesightRunView } from '../../../../shared/api/contract';
import { useStudio } from '../../app/studioContext';
import { percent } from '../teleop/imagination/CandidateGrid';
import { secondsFrom } from './episodeData';
import { ImaginedVsReal } from './ImaginedVsReal';

const fmt = (v: unknown, digits = 3): string =>
  typeof v === 'number' ? v.toFixed(digits) : typeof v === 'boolean' ? (v ? 'yes' : 'no') : v === undefined || v === null ? '—' : String(v);

/** What really happened after a run's chunk, in words (the core stores it as `real`). */
export function realSummary(real: Record<string, unknown> | null): string {
  if (real === null) return 'not recorded';
  const parts: string[] = [];
  if (typeof real.success === 'boolean') parts.push(real.success ? 'task succeeded' : 'not yet succeeded');
  if (typeof real.grasped === 'boolean') parts.push(real.grasped ? 'object grasped' : 'not grasped');
  if (typeof real.object_target_distance_m === 'number')
    parts.push(`object ${(real.object_target_distance_m * 100).toFixed(1)} cm from target`);
  if (typeof real.played === 'number') parts.push(`${real.played} steps played`);
  if (typeof real.clipped === 'number' && real.clipped > 0) parts.push(`${real.clipped} clipped`);
  if (real.estopped === true) parts.push('e-stopped');
  return parts.join(', ');
}

/**
 * Foresight vs reality for one episode: its imagination runs as marks on the episode's time axis
 * (click to seek there), and for the selected run what was predicted (every candidate's estimate,
 * the choice) beside what happened (the real state a chunk later, the episode's outcome).
 */
export function ForesightRuns({
  episodeId,
  t0_ns,
  duration_s,
  t_s,
  onSeek,
}: {
  episodeId: number;
  t0_ns: bigint;
  duration_s: number;
  t_s: number;
  onSeek(t_s: number): void;
}) {
  const studio = useStudio();
  const [runs, setRuns] = useState<ForesightRunView[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [picked, setPicked] = useState<number | null>(null);

  useEffect(() => {
    let live = true;
    studio.api.foresight.runs({ episode_id: episodeId }).then(
      ({ runs: found }) => {
        if (!live) return;
        setRuns(found);
        setPicked(found[0]?.id ?? null);
      },
      (error: Error) => live && setProblem(error.message),
    );
    return () => {
      live = false;
    };
  }, [studio, episodeId]);

  if (problem !== null) return <p className="muted">Imagination runs could not be loaded: {problem}</p>;
  if (runs === null || runs.length === 0) return null;
  const span = Math.max(duration_s, 1e-6);
  const at = (run: ForesightRunView) => secondsFrom(t0_ns, run.t_ns);
  const pct = (t: number) => `${(Math.min(Math.max(t, 0), span) / span) * 100}%`;
  const run = runs.find((r) => r.id === picked) ?? runs[0]!;
  const chosen = run.chosen_index === null ? null : run.candidates[run.chosen_index];
  return (
    <section className="foresight-runs" aria-label="Imagination runs" data-testid="foresight-runs" data-count={runs.length}>
      <div className="foresight-strip" title="Imagination runs on this episode's timeline">
        <span className="foresight-strip-label muted">foresight</span>
        <div className="foresight-track">
          {runs.map((r) => (
            <button
              key={r.id}
              type="button"
              className={`foresight-mark foresight-${r.decision}${r.id === run.id ? ' foresight-mark-selected' : ''}`}
              style={{ left: pct(at(r)) }}
              onClick={() => {
                setPicked(r.id);
                onSeek(at(r));
              }}
              title={`Run ${r.id} at ${at(r).toFixed(2)} s: ${r.decision}${r.chosen_success_prob !== null ? `, predicted ${percent(r.chosen_success_prob)}` : ''}`}
              data-testid={`foresight-mark-${r.id}`}
            />
          ))}
          <div className="timeline-playhead" style={{ left: pct(t_s) }} />
        </div>
      </div>
      <div className="foresight-compare" data-testid="foresight-compare">
        <div>
          <h3>Predicted</h3>
          <p>
            Run {run.id} {at(run) >= 0 ? `at ${at(run).toFixed(2)} s` : `imagined ${(-at(run)).toFixed(1)} s before the take started`} ·{' '}
            {run.mode} · <b>{run.decision}</b>
            {chosen !== null && chosen !== undefined && run.chosen_index !== null && (
              <>
                {' '}
                candidate {run.chosen_index + 1} at <b data-testid="foresight-predicted">{percent(chosen.success_prob)}</b>
              </>
            )}
          </p>
          <div className="foresight-candidates">
            {run.candidates.map((c, i) => (
              <span
                key={i}
                className={`foresight-candidate${i === run.chosen_index ? ' foresight-candidate-chosen' : ''}`}
                title={`${c.source}: ${percent(c.success_prob)}`}
              >
                <span className="success-fill" style={{ width: percent(c.success_prob) }} />
              </span>
            ))}
          </div>
          <p className="muted">
            {run.model.name} {run.model.version} on {run.provider}, {run.latency_ms.toFixed(0)} ms
            {run.operator !== null ? ` · ${run.operator}` : ''}
          </p>
        </div>
        <div>
          <h3>Real</h3>
          <p data-testid="foresight-real">{realSummary(run.real)}</p>
          <p>
            Episode outcome: <b data-testid="foresight-episode-outcome">{run.episode_outcome ?? 'unknown'}</b>
          </p>
          {run.real !== null && Array.isArray(run.real.ee_position_m) && (
            <p className="muted mono">TCP after: {(run.real.ee_position_m as number[]).map((v) => fmt(v)).join(', ')} m</p>
          )}
        </div>
      </div>
      <ImaginedVsReal runId={run.id} />
    </section>
  );
}
