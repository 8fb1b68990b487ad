import * as THREE from 'three';

/** Software rasterisers (no GPU, or GPU blocklisted): SwiftShader, llvmpipe, WARP. */
export const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|microsoft basic render/i;
/** Under software GL a frame costs tens of ms of CPU (BENCHMARKS.md): cap the rate so teleop stays responsive. */
export const SOFTWARE_FRAME_MS = 1000 / 15;

export function createWebGl(canvas: HTMLCanvasElement): { webgl: THREE.WebGLRenderer; software: boolean } {
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
export function throttledFrames(interval_ms: number): (callback: () => void) => void {
  let last = 0;
  return (callback) => {
    const wait = Math.max(0, last + interval_ms - performance.now());
    setTimeout(
      () =>
        requestAnimationFrame(() => {
          last = performance.now();
          callback();
        }),
      wait,
    );
  };
}
