/* global document, window */
/**
 * Spark (@sparkjsdev/spark 2.2.0) in headless Chromium on SwiftShader: one SplatMesh of 2,048 splats
 * built from in-memory values, 30 frames timed as render + a one-pixel readPixels. Not part of the
 * build: Spark is not a dependency. See README.md here for how to run it and what it showed.
 */
import * as THREE from 'three';
import { SparkRenderer, SplatMesh } from '@sparkjsdev/spark';
const log = (m) => {
  (window.__log ??= []).push(String(m));
};
window.addEventListener('error', (e) => log('error ' + e.message));
window.addEventListener('unhandledrejection', (e) => log('rejection ' + (e.reason?.stack ?? e.reason)));
const canvas = document.createElement('canvas');
canvas.width = 640;
canvas.height = 480;
document.body.append(canvas);
const renderer = new THREE.WebGLRenderer({ canvas, antialias: false });
const gl = renderer.getContext();
const info = gl.getExtension('WEBGL_debug_renderer_info');
log('gl ' + gl.getParameter(info.UNMASKED_RENDERER_WEBGL));
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x000000);
const camera = new THREE.PerspectiveCamera(45, 640 / 480, 0.01, 50);
camera.position.set(0, 0, 2);
camera.lookAt(0, 0, 0);
try {
  const spark = new SparkRenderer({ renderer });
  scene.add(spark);
  const mesh = new SplatMesh({
    constructSplats: (s) => {
      for (let i = 0; i < 2048; i++)
        s.pushSplat(
          new THREE.Vector3(Math.sin(i) * 0.5, Math.cos(i * 1.3) * 0.5, Math.sin(i * 0.7) * 0.3),
          new THREE.Vector3(0.02, 0.02, 0.02),
          new THREE.Quaternion(),
          0.9,
          new THREE.Color(1, i / 2048, 0.2),
        );
    },
  });
  scene.add(mesh);
  await mesh.initialized;
  log('initialized');
  const times = [];
  const px = new Uint8Array(4);
  for (let i = 0; i < 30; i++) {
    mesh.rotation.y = i * 0.05;
    const t = performance.now();
    renderer.render(scene, camera);
    gl.readPixels(320, 240, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
    times.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 30));
  }
  const big = new Uint8Array(640 * 480 * 4);
  gl.readPixels(0, 0, 640, 480, gl.RGBA, gl.UNSIGNED_BYTE, big);
  let lit = 0;
  for (let i = 0; i < big.length; i += 4) if (big[i] > 20) lit++;
  log('lit pixels ' + lit + ' times ' + times.map((t) => t.toFixed(0)).join(','));
} catch (e) {
  log('caught ' + e.stack);
}
window.__done = true;
