import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { CandidateGridRenderer } from '../../../scene/splats/CandidateGridRenderer';
import { createWebGl } from '../../../scene/webgl';
import type { Imagination } from './useImagination';

/** Under software GL the small multiples advance 4 times a second; with a GPU, 30. */
const SOFTWARE_INTERVAL_MS = 250;
const GPU_INTERVAL_MS = 33;

export const percent = (p: number) => `${Math.round(p * 100)}%`;

/**
 * The K candidates as small multiples: each candidate's imagined Gaussians animated over the horizon
 * (one WebGL canvas behind a CSS grid of cells; CandidateGridRenderer draws each cell's viewport),
 * with its number key, success estimate and the best one starred. Click or 1–8 to select.
 */
export function CandidateGrid({ imagination }: { imagination: Imagination }) {
  const { preview, splats, selected, select, phase } = imagination;
  const hostRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const cellRefs = useRef<(HTMLDivElement | null)[]>([]);
  const [grid, setGrid] = useState<CandidateGridRenderer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [frameMs, setFrameMs] = useState<number | null>(null);
  const [software, setSoftware] = useState(false);
  const [drawn, setDrawn] = useState(0);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    let created: ReturnType<typeof createWebGl>;
    try {
      created = createWebGl(canvas);
    } catch (caught) {
      queueMicrotask(() => setError((caught as Error).message));
      return;
    }
    const renderer = new CandidateGridRenderer(created.webgl, created.software ? SOFTWARE_INTERVAL_MS : GPU_INTERVAL_MS);
    let frames = 0;
    renderer.onRendered = () => {
      setDrawn(renderer.drawnCells);
      if (++frames % 8 === 0) setFrameMs(renderer.frameTimes_ms.reduce((a, b) => a + b, 0) / renderer.frameTimes_ms.length);
    };
    queueMicrotask(() => {
      setSoftware(created.software);
      setGrid(renderer);
    });
    return () => {
      setGrid(null);
      renderer.dispose();
    };
  }, []);

  // A layout effect, before the one that measures the cells: their rectangles belong to these candidates.
  useLayoutEffect(() => {
    grid?.setCandidates(preview?.candidates ?? []);
  }, [grid, preview]);

  useEffect(() => {
    splats.forEach((sequence, i) => {
      if (sequence !== null) grid?.setSplats(i, sequence);
    });
  }, [grid, splats]);

  useEffect(() => {
    grid?.setPlaying(phase !== 'executing');
  }, [grid, phase]);

  // Cells are laid out by CSS; the renderer draws into their rectangles.
  useLayoutEffect(() => {
    const host = hostRef.current;
    const canvas = canvasRef.current;
    if (grid === null || host === null || canvas === null) return;
    const measure = () => {
      const origin = canvas.getBoundingClientRect();
      grid.setSize(origin.width, origin.height);
      grid.setRects(
        cellRefs.current.slice(0, preview?.candidates.length ?? 0).map((cell) => {
          if (cell === null) return null;
          const box = cell.getBoundingClientRect();
          return { x: box.left - origin.left, y: box.top - origin.top, width: box.width, height: box.height };
        }),
      );
    };
    const observer = new ResizeObserver(measure);
    observer.observe(host);
    measure();
    return () => observer.disconnect();
  }, [grid, preview]);

  const loaded = splats.filter((s) => s !== null).length;
  // Always mounted (hidden without a preview): the WebGL context is made once, not per preview.
  return (
    <section
      className="candidate-grid"
      aria-label="Imagined candidates"
      hidden={preview === null}
      data-testid="candidate-grid"
      data-loaded={loaded}
      data-count={preview?.candidates.length ?? 0}
      data-drawn={drawn}
      ref={hostRef}
    >
      <canvas ref={canvasRef} className="candidate-canvas" />
      <div className="candidate-cells">
        {preview?.candidates.map((candidate, i) => (
          <div
            key={candidate.index}
            ref={(element) => {
              cellRefs.current[i] = element;
            }}
            className={`candidate-cell${i === selected ? ' candidate-cell-selected' : ''}`}
            data-testid={`candidate-cell-${i + 1}`}
            data-splats={splats[i]?.valid.length ?? 0}
            onClick={() => select(i)}
            role="button"
            aria-pressed={i === selected}
            aria-label={`Candidate ${i + 1}: ${percent(candidate.success_prob)} predicted success`}
          >
            <span className="candidate-label">
              <kbd>{i + 1}</kbd> {percent(candidate.success_prob)}
              {i === preview.best && <span title="Best predicted"> ★</span>}
            </span>
            {splats[i] === null && (
              <span className="candidate-loading muted">
                {phase === 'watching' && i !== preview.best ? 'not fetched during a policy run' : 'imagining…'}
              </span>
            )}
            <span className="candidate-bar" style={{ width: percent(candidate.success_prob) }} />
          </div>
        ))}
      </div>
      <div className="candidate-foot muted">
        {preview === null ? null : error !== null ? (
          <span className="warn">Small multiples unavailable: {error}</span>
        ) : (
          <>
            {loaded}/{preview.candidates.length} imagined scenes · {preview.num_gaussians.toLocaleString()} Gaussians each · {preview.H}{' '}
            steps, tweened
            {frameMs !== null && (
              <span data-testid="candidate-frame-time">
                {' '}
                · {frameMs.toFixed(0)} ms/frame{software ? ' (software GL: 4 frames/s)' : ''}
              </span>
            )}
          </>
        )}
      </div>
    </section>
  );
}
