import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Result } from '../../../../shared/api/contract';
import { useStudio } from '../../app/studioContext';
import { CandidateGridRenderer } from '../../scene/splats/CandidateGridRenderer';
import { decodeSplats, type SplatSequence } from '../../scene/splats/splatData';
import { createWebGl } from '../../scene/webgl';
import { percent } from '../teleop/imagination/CandidateGrid';

type Reimagined = Result<'foresight.reimagine'>;

/**
 * A stored run re-imagined from its recording (foresight.reimagine): the chosen candidate's imagined
 * scenes (left) beside the real scenes lifted from the recorded frames at the same future times
 * (right, splats candidate −2), animated in step, with the prediction beside the outcome.
 */
export function ImaginedVsReal({ runId }: { runId: number }) {
  const studio = useStudio();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const cellRefs = useRef<(HTMLDivElement | null)[]>([]);
  const [grid, setGrid] = useState<CandidateGridRenderer | null>(null);
  const [result, setResult] = useState<Reimagined | null>(null);
  const [scenes, setScenes] = useState<[SplatSequence | null, SplatSequence | null]>([null, null]);
  const [problem, setProblem] = useState<{ message: string; fix?: string | undefined } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    try {
      const created = createWebGl(canvas);
      const renderer = new CandidateGridRenderer(created.webgl, created.software ? 250 : 33);
      queueMicrotask(() => setGrid(renderer));
      return () => {
        setGrid(null);
        renderer.dispose();
      };
    } catch (caught) {
      queueMicrotask(() => setProblem({ message: (caught as Error).message }));
    }
  }, []);

  // A different run: start over.
  useEffect(() => {
    setResult(null);
    setScenes([null, null]);
    setProblem(null);
  }, [runId]);

  const reimagine = () => {
    setBusy(true);
    setProblem(null);
    studio.api.foresight
      .reimagine({ run_id: runId })
      .then(async (reimagined) => {
        setResult(reimagined);
        const [imagined, real] = await Promise.all([
          studio.api.foresight.splats({ preview_id: reimagined.preview_id, candidate: 0 }),
          studio.api.foresight.splats({ preview_id: reimagined.preview_id, candidate: -2 }),
        ]);
        setScenes([decodeSplats(imagined), decodeSplats(real)]);
      })
      .catch((error: unknown) => {
        const { message, fix } = error as { message?: string; fix?: string };
        setProblem({ message: message ?? String(error), fix });
      })
      .finally(() => setBusy(false));
  };

  useLayoutEffect(() => {
    if (grid === null || result === null) return;
    const chosen = result.candidates[0];
    grid.setCandidates([
      { index: 0, success_prob: chosen?.success_prob ?? 0, ee_path_m: chosen?.ee_path_m ?? [] },
      { index: 1, success_prob: 1, ee_path_m: [] },
    ]);
    const canvas = canvasRef.current!;
    const origin = canvas.getBoundingClientRect();
    grid.setSize(origin.width, origin.height);
    grid.setRects(
      cellRefs.current.map((cell) => {
        if (cell === null) return null;
        const box = cell.getBoundingClientRect();
        return { x: box.left - origin.left, y: box.top - origin.top, width: box.width, height: box.height };
      }),
    );
  }, [grid, result]);

  useEffect(() => {
    scenes.forEach((scene, i) => scene !== null && grid?.setSplats(i, scene));
  }, [grid, scenes]);

  const chosen = result?.candidates[0];
  return (
    <div
      className="imagined-vs-real"
      data-testid="imagined-vs-real"
      data-run={runId}
      data-loaded={scenes.filter((s) => s !== null).length}
      data-real-steps={result?.real_steps ?? ''}
      data-imagined-steps={scenes[0]?.H ?? ''}
      data-predicted={chosen?.success_prob ?? ''}
    >
      <div className="imagined-vs-real-head">
        <button type="button" onClick={reimagine} disabled={busy} data-testid="reimagine">
          {busy ? 'Re-imagining…' : result === null ? 'Re-imagine vs reality' : 'Again'}
        </button>
        {result !== null && (
          <span className="muted">
            imagined from the recorded frames at the run: {chosen !== undefined ? percent(chosen.success_prob) : '—'} predicted (at the run:{' '}
            {result.predicted_at_run === null ? '—' : percent(result.predicted_at_run)}) · {result.real_steps} real steps · outcome{' '}
            <b>{result.episode_outcome ?? 'unknown'}</b>
          </span>
        )}
      </div>
      {problem !== null && (
        <div className="inline-error" role="alert" data-testid="reimagine-error">
          {problem.message}
          {problem.fix !== undefined && <div className="fix">{problem.fix}</div>}
        </div>
      )}
      <div className="imagined-vs-real-stage" hidden={result === null}>
        <canvas ref={canvasRef} className="candidate-canvas" />
        <div className="imagined-vs-real-cells">
          {['imagined', 'real (lifted from the recording)'].map((label, i) => (
            <div
              key={label}
              className="candidate-cell"
              ref={(element) => {
                cellRefs.current[i] = element;
              }}
            >
              <span className="candidate-label">{label}</span>
              {scenes[i] === null && <span className="candidate-loading muted">loading…</span>}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
