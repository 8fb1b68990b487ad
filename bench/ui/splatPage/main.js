/* global document, window, location */
/**
 * Browser side of the splat bench (bench/ui/splatBench.ts builds this page with Vite and opens it in
 * headless Chromium): the studio's own splat code drawing 8 candidates × 2,048 imagined Gaussians × 4
 * steps, (1) as the Teleop view's small multiples (CandidateGridRenderer: one canvas, 8 scissored
 * viewports, 4 × 2 cells of 250 × 150 px) and (2) as the main scene's overlay (SceneRenderer + the
 * foresight extension, 1280 × 720, with the robot). A frame is timed as tween + sort + upload + render
 * + a one-pixel readPixels, so the software rasteriser's work is inside the number. The scenes are
 * synthetic, or with `?splats=URL` a pack's own imagined ones (splatBench.ts --pack).
 * Plain JS: the bench folder is type-checked as Node code, and this runs in a page.
 */
import * as THREE from 'three';
import { CandidateGridRenderer } from '../../../renderer/src/scene/splats/CandidateGridRenderer';
import { makeSequence, SPLAT_FIELDS } from '../../../renderer/src/scene/splats/splatData';
import { SceneRenderer } from '../../../renderer/src/scene/SceneRenderer';

const params = new URLSearchParams(location.search);
const FRAMES = Number(params.get('frames') ?? 40);
const N = Number(params.get('n') ?? 2048);
const K = Number(params.get('k') ?? 8);
const H = 4;

/** A deterministic imagined scene like the reference pack's: a table sheet, a cube, a gripper-ish blob moving with the candidate. */
function sequence(k) {
  const data = new Float32Array(H * N * SPLAT_FIELDS);
  let seed = 1234 + k * 77;
  const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const base = [];
  for (let i = 0; i < N; i++) {
    const kind = i < N * 0.7 ? 'table' : i < N * 0.8 ? 'cube' : 'hand';
    base.push({
      kind,
      p:
        kind === 'table'
          ? [0.2 + rand() * 0.6, -0.35 + rand() * 0.7, 0]
          : kind === 'cube'
            ? [0.5 + (rand() - 0.5) * 0.05, (rand() - 0.5) * 0.05, 0.025 + (rand() - 0.5) * 0.05]
            : [0.45 + (rand() - 0.5) * 0.06, (rand() - 0.5) * 0.08, 0.25 + rand() * 0.06],
      c: kind === 'table' ? [0.35, 0.22, 0.1] : kind === 'cube' ? [0.8, 0.1, 0.08] : [0.85, 0.85, 0.85],
    });
  }
  for (let s = 0; s < H; s++) {
    for (let i = 0; i < N; i++) {
      const b = base[i];
      const o = (s * N + i) * SPLAT_FIELDS;
      const move = b.kind === 'hand' ? [0.02 * s * Math.cos(k), 0.02 * s * Math.sin(k), -0.04 * s] : [0, 0, 0];
      data.set(
        [
          b.p[0] + move[0],
          b.p[1] + move[1],
          b.p[2] + move[2],
          0.012,
          0.012,
          b.kind === 'table' ? 0.003 : 0.012,
          1,
          0,
          0,
          0,
          b.c[0],
          b.c[1],
          b.c[2],
          0.9,
        ],
        o,
      );
    }
  }
  return makeSequence(H, N, data, null);
}

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    frames: sorted.length,
    median_ms: Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10,
    p95_ms: Math.round(sorted[Math.floor(sorted.length * 0.95)] * 10) / 10,
  };
}

function grid(sequences) {
  const canvas = document.createElement('canvas');
  document.body.append(canvas);
  canvas.style.width = '1016px';
  canvas.style.height = '308px';
  const webgl = new THREE.WebGLRenderer({ canvas, antialias: false });
  const gl = webgl.getContext();
  const renderer = new CandidateGridRenderer(webgl, 1e9);
  renderer.setSize(1016, 308);
  renderer.setCandidates(
    sequences.map((_, index) => ({
      index,
      success_prob: index / K,
      ee_path_m: [
        [0.45, 0, 0.3],
        [0.47, 0.02, 0.2],
      ],
    })),
  );
  sequences.forEach((seq, i) => renderer.setSplats(i, seq));
  renderer.setRects(sequences.map((_, i) => ({ x: 4 + (i % 4) * 253, y: 4 + Math.floor(i / 4) * 152, width: 249, height: 150 })));
  const pixel = new Uint8Array(4);
  const times = [];
  for (let i = 0; i < FRAMES + 3; i++) {
    const start = performance.now();
    renderer.renderNow(params.get('static') === '1' ? 0 : i * 175);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
    if (i >= 3) times.push(performance.now() - start);
  }
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return {
    renderer,
    canvas,
    result: {
      ...stats(times),
      drawn_cells: renderer.drawnCells,
      gl: info === null ? 'unknown' : gl.getParameter(info.UNMASKED_RENDERER_WEBGL),
    },
  };
}

function overlay(seq, withSplats) {
  const canvas = document.createElement('canvas');
  document.body.append(canvas);
  canvas.style.width = '1280px';
  canvas.style.height = '720px';
  const webgl = new THREE.WebGLRenderer({ canvas, antialias: false });
  const gl = webgl.getContext();
  const renderer = new SceneRenderer({ target: webgl, requestFrame: () => undefined, softwareGl: true });
  renderer.setSize(1280, 720);
  const ext = renderer.extension('foresight');
  if (withSplats) {
    ext.setCandidates(
      Array.from({ length: K }, (_, index) => ({
        index,
        success_prob: index / K,
        ee_path_m: [
          [0.45, 0, 0.3],
          [0.47, 0.02 * index, 0.2],
        ],
      })),
      0,
    );
    ext.setSplats(seq);
  }
  const pixel = new Uint8Array(4);
  const times = [];
  for (let i = 0; i < FRAMES + 3; i++) {
    // The animation advances with the clock (as with a GPU, every frame): each frame tweens, sorts when the view moved, and uploads.
    const start = performance.now();
    renderer.renderNow();
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
    if (i >= 3) times.push(performance.now() - start);
    renderer.camera.position.applyAxisAngle(new THREE.Vector3(0, 0, 1), 0.02);
    renderer.camera.lookAt(0.35, 0, 0.2);
  }
  return { renderer, canvas, result: { ...stats(times), drawn_splats: ext.drawnSplats } };
}

/** A pack's own imagined splats (splatBench.ts --pack writes them: K·H·N·14 float32, then the N-float mask). */
async function packSequences(url) {
  const floats = new Float32Array(await (await fetch(url)).arrayBuffer());
  const size = H * N * SPLAT_FIELDS;
  if (floats.length !== K * size + N) throw new Error(`${url} holds ${floats.length} floats, not K·H·N·14 + N for K ${K}, N ${N}`);
  const mask = floats.subarray(K * size);
  return Array.from({ length: K }, (_, k) => makeSequence(H, N, floats.subarray(k * size, (k + 1) * size), mask));
}

await new Promise((done) => setTimeout(done, 0));
const splatsUrl = params.get('splats');
const sequences = splatsUrl !== null ? await packSequences(splatsUrl) : Array.from({ length: K }, (_, k) => sequence(k));
const g = grid(sequences);
const withOverlay = overlay(sequences[0], true);
const without = overlay(sequences[0], false);
window.benchResult = {
  K,
  N,
  H,
  scenes: splatsUrl !== null ? 'pack' : 'synthetic',
  valid_splats: sequences[0].valid.length,
  small_multiples_1016x308: g.result,
  main_scene_1280x720_overlay: withOverlay.result,
  main_scene_1280x720_no_overlay: without.result,
};
// Leave the grid and the overlay on screen for a screenshot.
without.canvas.remove();
g.renderer.renderNow(500);
withOverlay.renderer.renderNow();
