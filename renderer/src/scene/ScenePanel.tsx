import { useEffect, useRef, useState } from 'react';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { ErrorState } from '../ui/states';
import { SceneRenderer } from './SceneRenderer';
import { createWebGl, SOFTWARE_FRAME_MS, throttledFrames } from './webgl';

/**
 * Extensions whose object counts the panel writes on its element after every render
 * (`data-drawn-camera-frusta="2"`): what is on the canvas, readable by tests and inspectors alike.
 */
const REPORTED_EXTENSIONS = ['camera-frusta', 'workspace', 'sim-objects'] as const;

/**
 * React host of the 3D view: a canvas, orbit controls and the SceneRenderer. Everything drawn is
 * owned by the renderer's scene extensions; callers feed it through `onReady`.
 */
export function ScenePanel({
  onReady,
  label,
  testId,
}: {
  onReady: (renderer: SceneRenderer | null) => void;
  label: string;
  testId?: string;
}) {
  const hostRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [frameMs, setFrameMs] = useState<number | null>(null);
  const onReadyRef = useRef(onReady);
  useEffect(() => {
    onReadyRef.current = onReady;
  });

  useEffect(() => {
    const canvas = canvasRef.current;
    const host = hostRef.current;
    if (canvas === null || host === null) return;
    let created: ReturnType<typeof createWebGl>;
    try {
      created = createWebGl(canvas);
    } catch (caught) {
      // Reported in the panel, not thrown: the rest of the page keeps working without 3D.
      queueMicrotask(() => setError((caught as Error).message));
      return;
    }
    const renderer = new SceneRenderer({
      target: created.webgl,
      softwareGl: created.software,
      ...(created.software ? { requestFrame: throttledFrames(SOFTWARE_FRAME_MS) } : {}),
    });
    let frames = 0;
    renderer.onRendered = () => {
      for (const id of REPORTED_EXTENSIONS) host.setAttribute(`data-drawn-${id}`, String(renderer.drawnCount(id)));
      // Refresh the readout twice a second, not per frame: React renders are not free.
      if (++frames % 30 === 0) setFrameMs(renderer.frameTimes_ms.reduce((a, b) => a + b, 0) / renderer.frameTimes_ms.length);
    };
    const controls = new OrbitControls(renderer.camera, canvas);
    controls.target.set(0.35, 0, 0.2);
    controls.update();
    controls.addEventListener('change', () => renderer.queueRender());
    const resize = () => renderer.setSize(host.clientWidth, host.clientHeight);
    const observer = new ResizeObserver(resize);
    observer.observe(host);
    resize();
    onReadyRef.current(renderer);
    return () => {
      onReadyRef.current(null);
      observer.disconnect();
      controls.dispose();
      renderer.dispose();
    };
  }, []);

  return (
    <div className="scene-panel" ref={hostRef} data-testid={testId} aria-label={label}>
      <canvas ref={canvasRef} className="scene-canvas" />
      {error !== null ? (
        <div className="scene-error">
          <ErrorState
            title="The 3D view is unavailable"
            message={error}
            fix="Everything else works without it. Enable hardware acceleration (chrome://settings/system) or use a browser with WebGL 2."
          />
        </div>
      ) : (
        frameMs !== null && (
          <span className="scene-stats" data-testid="scene-frame-time">
            {frameMs.toFixed(1)} ms/frame
          </span>
        )
      )}
    </div>
  );
}
