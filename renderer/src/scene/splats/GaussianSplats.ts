import * as THREE from 'three';
import { allocInstances, allocOrderScratch, depthOrder, tweenInto, type SplatInstances, type SplatSequence } from './splatData';

/*
 * A small Gaussian-splat renderer for three.js: one point sprite per splat, sized to the 3σ extent of
 * its 3D covariance projected to the screen (EWA splatting as in 3DGS, with its 0.3 px² low-pass); the
 * fragment shader evaluates the 2D Gaussian (the inverse covariance, "conic") at each pixel;
 * premultiplied alpha, blended back to front. Fed from in-memory arrays (splatData.ts), so the
 * imagined scenes never touch a file or a URL.
 *
 * Why not Spark (@sparkjsdev/spark 2.2.0, the maintained three.js splat renderer): it draws with
 * three 0.187, but it compiles WebAssembly at run time (needs 'wasm-unsafe-eval' in the studio's CSP)
 * and in SwiftShader one 2,048-splat mesh took ≈ 1 s per 640×480 frame (docs/ui.md, "Gaussian splats").
 */

const VERTEX = /* glsl */ `
attribute vec3 covA;
attribute vec3 covB;
attribute vec4 rgba;
uniform vec2 viewport;
varying vec4 vColor;
varying vec3 vConic;
varying float vRadius;
void main() {
  vec4 cam = modelViewMatrix * vec4(position, 1.0);
  vec4 clip = projectionMatrix * cam;
  float tz = -cam.z;
  if (tz < 0.01 || clip.w <= 0.0) { gl_Position = vec4(0.0, 0.0, 2.0, 1.0); gl_PointSize = 0.0; return; }
  float fx = projectionMatrix[0][0] * viewport.x * 0.5;
  float fy = projectionMatrix[1][1] * viewport.y * 0.5;
  mat3 Vrk = mat3(covA.x, covA.y, covA.z, covA.y, covB.x, covB.y, covA.z, covB.y, covB.z);
  mat3 W = mat3(modelViewMatrix);
  mat3 J = mat3(fx / tz, 0.0, 0.0, 0.0, fy / tz, 0.0, fx * cam.x / (tz * tz), fy * cam.y / (tz * tz), 0.0);
  mat3 T = J * W;
  mat3 cov = T * Vrk * transpose(T);
  // 3DGS's low-pass: every splat covers at least about a pixel.
  float a = cov[0][0] + 0.3;
  float d = cov[1][1] + 0.3;
  float b = cov[0][1];
  float det = max(a * d - b * b, 1e-6);
  vConic = vec3(d, -b, a) / det;
  float mid = 0.5 * (a + d);
  float l1 = mid + length(vec2(0.5 * (a - d), b));
  vRadius = min(ceil(3.0 * sqrt(l1)), 128.0);
  vColor = rgba;
  gl_PointSize = 2.0 * vRadius;
  gl_Position = clip;
}
`;

const FRAGMENT = /* glsl */ `
varying vec4 vColor;
varying vec3 vConic;
varying float vRadius;
void main() {
  // Pixel offset from the splat's centre (gl_PointCoord's y runs down, the projection's up).
  vec2 p = (gl_PointCoord - 0.5) * 2.0 * vRadius;
  p.y = -p.y;
  float power = -0.5 * (vConic.x * p.x * p.x + 2.0 * vConic.y * p.x * p.y + vConic.z * p.y * p.y);
  if (power < -4.5) discard;
  float alpha = min(0.99, vColor.a * exp(power));
  if (alpha < 0.004) discard;
  gl_FragColor = vec4(vColor.rgb * alpha, alpha);
}
`;

/**
 * A splat sequence (H imagined steps with identity kept) drawn at a fractional step: `setTime(t)`
 * tweens between ⌊t⌋ and ⌈t⌉; the order is re-sorted back to front when the camera or the step moves.
 * Call `prepare(camera, width_px, height_px)` before each render (the foresight overlay does, through
 * SceneRenderer's `startFrame`; CandidateGridRenderer per cell).
 */
export class GaussianSplats extends THREE.Points<THREE.BufferGeometry, THREE.ShaderMaterial> {
  private sequence: SplatSequence | null = null;
  private instances: SplatInstances = allocInstances(0);
  private order = new Uint32Array(0);
  private scratch = allocOrderScratch(0);
  private time = 0;
  private opacityScale = 1;
  private dirty = true;
  private sortedFor = { step: -1, eye: new THREE.Vector3(Infinity, 0, 0), forward: new THREE.Vector3() };

  constructor() {
    super(
      new THREE.BufferGeometry(),
      new THREE.ShaderMaterial({
        vertexShader: VERTEX,
        fragmentShader: FRAGMENT,
        uniforms: { viewport: { value: new THREE.Vector2(1, 1) } },
        transparent: true,
        depthWrite: false,
        depthTest: true,
        blending: THREE.CustomBlending,
        blendSrc: THREE.OneFactor,
        blendDst: THREE.OneMinusSrcAlphaFactor,
        blendSrcAlpha: THREE.OneFactor,
        blendDstAlpha: THREE.OneMinusSrcAlphaFactor,
      }),
    );
    this.frustumCulled = false;
    this.geometry.setDrawRange(0, 0);
    this.renderOrder = 10;
  }

  get splatCount(): number {
    return this.sequence?.valid.length ?? 0;
  }

  get steps(): number {
    return this.sequence?.H ?? 0;
  }

  /** Splats drawn by the next render. */
  get drawCount(): number {
    return Number.isFinite(this.geometry.drawRange.count) ? this.geometry.drawRange.count : 0;
  }

  setSequence(sequence: SplatSequence | null): void {
    this.sequence = sequence;
    const count = sequence?.valid.length ?? 0;
    if (count > this.order.length) {
      this.instances = allocInstances(count);
      this.order = new Uint32Array(count);
      this.scratch = allocOrderScratch(count);
      const g = this.geometry;
      const make = (array: Float32Array, size: number) => new THREE.BufferAttribute(array, size).setUsage(THREE.DynamicDrawUsage);
      g.setAttribute('position', make(this.instances.center, 3));
      g.setAttribute('covA', make(this.instances.covA, 3));
      g.setAttribute('covB', make(this.instances.covB, 3));
      g.setAttribute('rgba', make(this.instances.rgba, 4));
    }
    this.sortedFor.step = -1;
    this.dirty = true;
    this.geometry.setDrawRange(0, 0);
  }

  /** Fractional step 0 … H−1. */
  setTime(t: number): void {
    if (t === this.time) return;
    this.time = t;
    this.dirty = true;
  }

  /** Ghosting: multiplies every splat's opacity. */
  setOpacity(scale: number): void {
    if (scale === this.opacityScale) return;
    this.opacityScale = scale;
    this.dirty = true;
  }

  /** Sorts (if the view or the step moved) and uploads the tweened splats for this camera; sizes in drawing-buffer pixels. */
  prepare(camera: THREE.Camera, width_px: number, height_px: number): void {
    this.material.uniforms.viewport!.value.set(Math.max(1, width_px), Math.max(1, height_px));
    const seq = this.sequence;
    if (seq === null || seq.valid.length === 0) {
      this.geometry.setDrawRange(0, 0);
      return;
    }
    this.updateMatrixWorld();
    const inverse = new THREE.Matrix4().copy(this.matrixWorld).invert();
    const eye = new THREE.Vector3().setFromMatrixPosition(camera.matrixWorld).applyMatrix4(inverse);
    const forward = new THREE.Vector3(0, 0, -1).transformDirection(camera.matrixWorld).transformDirection(inverse);
    const step = Math.round(this.time);
    const moved = this.sortedFor.eye.distanceToSquared(eye) > 1e-6 || this.sortedFor.forward.dot(forward) < 0.9999;
    if (moved || step !== this.sortedFor.step) {
      depthOrder(seq, step, [eye.x, eye.y, eye.z], [forward.x, forward.y, forward.z], this.order, this.scratch);
      this.sortedFor.step = step;
      this.sortedFor.eye.copy(eye);
      this.sortedFor.forward.copy(forward);
      this.dirty = true;
    }
    if (!this.dirty) return;
    tweenInto(seq, this.time, this.instances, this.order, this.opacityScale);
    const g = this.geometry;
    for (const name of ['position', 'covA', 'covB', 'rgba']) {
      const attribute = g.getAttribute(name) as THREE.BufferAttribute;
      attribute.clearUpdateRanges();
      attribute.addUpdateRange(0, this.instances.count * attribute.itemSize);
      attribute.needsUpdate = true;
    }
    g.setDrawRange(0, this.instances.count);
    this.dirty = false;
  }

  override dispose(): void {
    this.geometry.dispose();
    this.material.dispose();
  }
}
