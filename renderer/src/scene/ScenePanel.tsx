import { useEffect, useRef, useState } from 'react';
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { ErrorState } from '../ui/states';
import { SceneRenderer } from './SceneRenderer';

/** Software rasterisers (no GPU, or GPU blocklisted): SwiftShader, llvmpipe, WARP. */
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|microsoft basic render/i;
/** Under software GL a frame costs tens of ms of CPU (BENCHMARKS.md): cap the rate so teleop stays responsive. */
const SOFTWARE_FRAME_MS = 1000 / 15;

function createWebGl(canvas: HTMLCanvasElement): { webgl: THREE.WebGLRenderer; software: boolean } {
  // three.js logs a console error before throwing when WebGL is missing; probe first so a machine
  // without WebGL gets a clear panel message and a clean console.
  const probe = document.createElement('canvas').getContext('webgl2');
  if (probe === null) throw new Error('WebGL 2 is not available in this browser (no GPU, or it is disabled).');
  const info = probe.getExtension('WEBGL_debug_renderer_info');
  const software = SOFTWARE_GL.test(info === null ? '' : String(probe.getParameter(info.UNMASKED_RENDERER_WEBGL)));
  probe.getExtension('WEBGL_lose_context')?.loseContext();
  // Multisampling and high-DPI buffers multiply a software rasteriser's work; drop them there.
  const webgl = new THREE.WebGLRenderer({ canvas, antialias: !software, powerPreference: 'high-performance' });
  webgl.setPixelRatio(software ? 1 : Math.min(window.devicePixelRatio, 2));
  return { webgl, software };
}

/** requestAnimationFrame, at most once per `interval_ms`. */
function throttledFrames(interval_ms: number): (callback: () => void) => void {
  let last = 0;
  return (callback) => {
    const wait = Math.max(0, last + interval_ms - performance.now());
    setTimeout(() => requestAnimationFrame(() => {
      last = performance.now();
      callback();
    }), wait);
  };
}

/**
 * React host of the 3D view: a canvas, orbit controls and the SceneRenderer. Everything drawn is
 * owned by the renderer's scene extensions; callers feed it through `onReady`.
 */
export function ScenePanel({ onReady, label, testId }: { onReady: (renderer: SceneRenderer | null) => void; label: string; testId?: string }) {
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
    const renderer = new SceneRenderer({ target: created.webgl, ...(created.software ? { requestFrame: throttledFrames(SOFTWARE_FRAME_MS) } : {}) });
    let frames = 0;
    renderer.onRendered = () => {
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
