/* global document, window, location */
/**
 * Browser side of the 3D bench (bench/ui/uiBench.ts builds this page with Vite and opens it in
 * headless Chromium): the app's own SceneRenderer with the built-in Panda, then with a 50k-point cloud.
 * A frame is timed as render() + a one-pixel readPixels, so the software rasteriser's work is inside the number.
 * Plain JS: the bench folder is type-checked as Node code, and this runs in a page.
 */
import * as THREE from 'three';
import { PANDA_Q_HOME_RAD } from '../../../shared/robot/frankaKinematics';
import { SceneRenderer } from '../../../renderer/src/scene/SceneRenderer';

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    frames: sorted.length,
    median_ms: sorted[Math.floor(sorted.length / 2)] ?? 0,
    p95_ms: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
  };
}

function run(points, frames) {
  const canvas = document.createElement('canvas');
  canvas.width = 1280;
  canvas.height = 720;
  document.body.append(canvas);
  const webgl = new THREE.WebGLRenderer({ canvas, antialias: true });
  const gl = webgl.getContext();
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = new SceneRenderer({ target: webgl, requestFrame: () => undefined });
  renderer.setSize(1280, 720);
  renderer.setState({
    workspace: { workspace_min_m: [0.2, -0.5, 0], workspace_max_m: [0.8, 0.5, 0.7] },
    objects: [{ name: 'cube', position_m: [0.5, 0, 0.025], quaternion_wxyz: [1, 0, 0, 0], rgb: [0.85, 0.12, 0.1], size_m: 0.05 }],
  });
  if (points > 0) {
    const positions = new Float32Array(points * 3);
    const colors = new Float32Array(points * 3);
    // A depth-camera-like sheet over the table: deterministic, no Math.random.
    const rows = points / 250;
    for (let i = 0; i < points; i++) {
      const u = (i % 250) / 250;
      const v = Math.floor(i / 250) / rows;
      positions.set([0.1 + u * 0.8, -0.5 + v, 0.02 * Math.sin(u * 20) * Math.cos(v * 15)], i * 3);
      colors.set([u, v, 1 - u], i * 3);
    }
    renderer.extension('point-cloud').setPoints(positions, colors);
  }
  const times = [];
  const pixel = new Uint8Array(4);
  for (let i = 0; i < frames + 5; i++) {
    // The arm moves every frame, as it does while teleoperating.
    renderer.setState({ q_rad: PANDA_Q_HOME_RAD.map((q, j) => q + 0.3 * Math.sin(i * 0.05 + j)) });
    const start = performance.now();
    renderer.renderNow();
    // gl.finish() returns early on ANGLE/SwiftShader; reading one pixel waits for the frame itself.
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
    if (i >= 5) times.push(performance.now() - start);
  }
  const result = { ...stats(times), gl: info === null ? 'unknown' : gl.getParameter(info.UNMASKED_RENDERER_WEBGL) };
  renderer.dispose();
  canvas.remove();
  return result;
}

const frames = Number(new URLSearchParams(location.search).get('frames') ?? 60);
window.benchResult = { robot_only: run(0, frames), robot_and_50k_points: run(50_000, frames) };
