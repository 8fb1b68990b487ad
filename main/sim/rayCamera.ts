import type { DataViews } from './dataViews';
import type { RigidPose } from './math3d';
import type { MjData, MjModel, MujocoModule, WasmBuffer } from './mujoco';
import { GEOM_TYPE, localNormal, rayPrimitive } from './rayPrimitives';

export interface CameraIntrinsics {
  width_px: number;
  height_px: number;
  fx_px: number;
  fy_px: number;
  cx_px: number;
  cy_px: number;
}

export interface RenderedImage {
  /** Packed RGB, row-major, top row first. */
  rgb: Uint8Array;
  /** Z-depth along the optical axis, millimetres; 0 = no hit. */
  depth_mm: Uint16Array;
  /** MuJoCo geom id per pixel; -1 = background. */
  segmentation: Int32Array;
}

export type RayMode = 'exact' | 'multiray';

export interface RayCameraOptions {
  /**
   * `exact` (default): every primitive geom is intersected analytically in JS over the pixel rectangle
   * of its projected bounding sphere. `multiray`: MuJoCo's mj_multiRay first (needed for meshes), then the
   * same exact pass over primitives, because mj_multiRay in MuJoCo 3.3.8 culls geoms whose bounding box
   * spans the camera's x or y and drops rays that do hit.
   */
  mode?: RayMode;
  /** A body whose geoms the camera does not see (a wrist camera inside the hand shell). */
  excludeBody?: number;
  cutoff_m?: number;
  /** Direction toward the light, world frame. */
  light?: readonly [number, number, number];
  ambient?: number;
}

const BACKGROUND = [20, 22, 28] as const;

/** Pinhole RGB-D + segmentation camera by ray casting, OpenCV axes (x right, y down, z forward). */
export class RayCamera {
  readonly intrinsics: CameraIntrinsics;
  private readonly count: number;
  private readonly dirCamera: Float64Array;
  private readonly dirWorld: Float64Array;
  private readonly hitGeom: Int32Array;
  private readonly hitT: Float64Array;
  private readonly geoms: number[] = [];
  private readonly geomType: Int32Array;
  private readonly geomSize: Float64Array;
  private readonly geomRbound: Float64Array;
  private readonly geomColor: Float32Array;
  private readonly mode: RayMode;
  private readonly excludeBody: number;
  private readonly cutoff_m: number;
  private readonly light: [number, number, number];
  private readonly ambient: number;
  private multiray: { ids: WasmBuffer<Int32Array>; dist: WasmBuffer<Float64Array>; groups: Uint8Array } | undefined;

  constructor(
    private readonly mj: MujocoModule,
    private readonly model: MjModel,
    intrinsics: CameraIntrinsics,
    options: RayCameraOptions = {},
  ) {
    this.intrinsics = intrinsics;
    const { width_px: W, height_px: H, fx_px: fx, fy_px: fy, cx_px: cx, cy_px: cy } = intrinsics;
    this.count = W * H;
    this.mode = options.mode ?? 'exact';
    this.excludeBody = options.excludeBody ?? -1;
    this.cutoff_m = options.cutoff_m ?? 10;
    const [lx, ly, lz] = options.light ?? [0.35, -0.45, 1.0];
    const ln = Math.hypot(lx, ly, lz);
    this.light = [lx / ln, ly / ln, lz / ln];
    this.ambient = options.ambient ?? 0.35;
    // z = 1 directions: the ray parameter t is then the z-depth itself
    this.dirCamera = new Float64Array(3 * this.count);
    for (let v = 0, i = 0; v < H; v++) {
      for (let u = 0; u < W; u++, i++) {
        this.dirCamera[3 * i] = (u + 0.5 - cx) / fx;
        this.dirCamera[3 * i + 1] = (v + 0.5 - cy) / fy;
        this.dirCamera[3 * i + 2] = 1;
      }
    }
    this.dirWorld = new Float64Array(3 * this.count);
    this.hitGeom = new Int32Array(this.count);
    this.hitT = new Float64Array(this.count);
    this.geomType = Int32Array.from(model.geom_type);
    this.geomSize = Float64Array.from(model.geom_size);
    this.geomRbound = Float64Array.from(model.geom_rbound);
    this.geomColor = new Float32Array(3 * model.ngeom);
    const groups = Int32Array.from(model.geom_group);
    const bodies = Int32Array.from(model.geom_bodyid);
    for (let g = 0; g < model.ngeom; g++) {
      if ((groups[g] ?? 9) <= 3 && bodies[g] !== this.excludeBody) this.geoms.push(g);
    }
    this.refreshColours();
    if (this.mode === 'multiray') {
      this.multiray = {
        ids: new mj.IntBuffer(this.count),
        dist: new mj.DoubleBuffer(this.count),
        groups: Uint8Array.from([1, 1, 1, 1, 0, 0]),
      };
    }
  }

  /** Re-reads geom and material colours (the task recolours the cube per episode). */
  refreshColours(): void {
    const { model } = this;
    const matid = model.geom_matid,
      grgba = model.geom_rgba,
      mrgba = model.mat_rgba;
    for (let g = 0; g < model.ngeom; g++) {
      const m = matid[g] ?? -1;
      const src = m >= 0 ? mrgba.subarray(4 * m, 4 * m + 3) : grgba.subarray(4 * g, 4 * g + 3);
      this.geomColor.set(src, 3 * g);
    }
  }

  render(data: MjData, views: DataViews, pose: RigidPose): RenderedImage {
    this.aim(pose);
    if (this.multiray !== undefined) {
      const mr = this.multiray;
      this.mj.mj_multiRay(
        this.model,
        data,
        pose.position_m,
        this.dirWorld,
        mr.groups,
        1,
        this.excludeBody,
        mr.ids,
        mr.dist,
        this.count,
        this.cutoff_m,
      );
      // read the outputs only now: the call may grow the heap and detach earlier views
      this.hitGeom.set(mr.ids.GetView());
      this.hitT.set(mr.dist.GetView());
    }
    const v = views.fresh();
    return this.trace(v.geom_xpos, v.geom_xmat, pose);
  }

  /**
   * Exact mode from geom poses alone (world positions, 3 per geom, and rotation matrices, 9 per geom,
   * as MuJoCo's `geom_xpos`/`geom_xmat`), so another thread can render a snapshot of the physics.
   */
  renderPoses(geom_xpos: Float64Array, geom_xmat: Float64Array, pose: RigidPose): RenderedImage {
    if (this.mode !== 'exact') throw new Error('only exact-mode cameras render from geom poses (multiray needs the live MuJoCo data)');
    this.aim(pose);
    return this.trace(geom_xpos, geom_xmat, pose);
  }

  get exact(): boolean {
    return this.mode === 'exact';
  }

  /** Ray directions in the world for this pose; no hits yet. */
  private aim(pose: RigidPose): void {
    const { count: N, dirCamera: dc, dirWorld: dw } = this;
    const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = pose.rotation;
    for (let i = 0; i < N; i++) {
      const x = dc[3 * i] as number,
        y = dc[3 * i + 1] as number;
      dw[3 * i] = r0 * x + r1 * y + r2;
      dw[3 * i + 1] = r3 * x + r4 * y + r5;
      dw[3 * i + 2] = r6 * x + r7 * y + r8;
    }
    this.hitGeom.fill(-1);
    this.hitT.fill(-1);
  }

  private trace(geom_xpos: Float64Array, geom_xmat: Float64Array, pose: RigidPose): RenderedImage {
    for (const g of this.geoms) this.intersect(g, geom_xpos, geom_xmat, pose);
    return this.shade(geom_xpos, geom_xmat, pose.position_m);
  }

  /** Continuous pixel coordinates and z-depth of a world point. */
  project(pose: RigidPose, p: readonly [number, number, number]): { u: number; v: number; z: number } {
    const R = pose.rotation,
      t = pose.position_m;
    const o = [p[0] - t[0], p[1] - t[1], p[2] - t[2]] as const;
    const x = R[0] * o[0] + R[3] * o[1] + R[6] * o[2];
    const y = R[1] * o[0] + R[4] * o[1] + R[7] * o[2];
    const z = R[2] * o[0] + R[5] * o[1] + R[8] * o[2];
    const { fx_px, fy_px, cx_px, cy_px } = this.intrinsics;
    return { u: (fx_px * x) / z + cx_px, v: (fy_px * y) / z + cy_px, z };
  }

  /** World ray (origin, z-scaled direction) through a pixel centre, for checks against mj_ray. */
  pixelRay(pose: RigidPose, u: number, v: number): { origin: [number, number, number]; direction: [number, number, number] } {
    const { fx_px, fy_px, cx_px, cy_px } = this.intrinsics;
    const R = pose.rotation;
    const x = (u + 0.5 - cx_px) / fx_px,
      y = (v + 0.5 - cy_px) / fy_px;
    return {
      origin: [...pose.position_m],
      direction: [R[0] * x + R[1] * y + R[2], R[3] * x + R[4] * y + R[5], R[6] * x + R[7] * y + R[8]],
    };
  }

  dispose(): void {
    this.multiray?.ids.delete();
    this.multiray?.dist.delete();
    this.multiray = undefined;
  }

  private intersect(g: number, gxpos: Float64Array, gxmat: Float64Array, pose: RigidPose): void {
    const type = this.geomType[g] as number;
    if (type === GEOM_TYPE.mesh || type === GEOM_TYPE.hfield || type > GEOM_TYPE.mesh) return;
    const { width_px: W, height_px: H, fx_px: fx, fy_px: fy, cx_px: cx, cy_px: cy } = this.intrinsics;
    const R = pose.rotation,
      t = pose.position_m;
    const px = gxpos[3 * g] as number,
      py = gxpos[3 * g + 1] as number,
      pz = gxpos[3 * g + 2] as number;
    const rb = this.geomRbound[g] as number;
    let u0 = 0,
      u1 = W - 1,
      v0 = 0,
      v1 = H - 1;
    if (type !== GEOM_TYPE.plane && rb > 0) {
      const c0 = px - t[0],
        c1 = py - t[1],
        c2 = pz - t[2];
      const cxc = R[0] * c0 + R[3] * c1 + R[6] * c2;
      const cyc = R[1] * c0 + R[4] * c1 + R[7] * c2;
      const czc = R[2] * c0 + R[5] * c1 + R[8] * c2;
      if (czc + rb < 0) return;
      if (czc - rb > 1e-6) {
        // pixel rectangle of the bounding cube's 8 corners: conservative for the sphere
        let umin = Infinity,
          umax = -Infinity,
          vmin = Infinity,
          vmax = -Infinity;
        for (let k = 0; k < 8; k++) {
          const x = cxc + (k & 1 ? rb : -rb),
            y = cyc + (k & 2 ? rb : -rb),
            z = czc + (k & 4 ? rb : -rb);
          const u = (fx * x) / z + cx,
            v = (fy * y) / z + cy;
          if (u < umin) umin = u;
          if (u > umax) umax = u;
          if (v < vmin) vmin = v;
          if (v > vmax) vmax = v;
        }
        u0 = Math.max(0, Math.floor(umin) - 1);
        u1 = Math.min(W - 1, Math.ceil(umax) + 1);
        v0 = Math.max(0, Math.floor(vmin) - 1);
        v1 = Math.min(H - 1, Math.ceil(vmax) + 1);
        if (u0 > u1 || v0 > v1) return;
      }
    }
    const M = 9 * g;
    const m0 = gxmat[M] as number,
      m1 = gxmat[M + 1] as number,
      m2 = gxmat[M + 2] as number;
    const m3 = gxmat[M + 3] as number,
      m4 = gxmat[M + 4] as number,
      m5 = gxmat[M + 5] as number;
    const m6 = gxmat[M + 6] as number,
      m7 = gxmat[M + 7] as number,
      m8 = gxmat[M + 8] as number;
    const sx = this.geomSize[3 * g] as number,
      sy = this.geomSize[3 * g + 1] as number,
      sz = this.geomSize[3 * g + 2] as number;
    const ox = t[0] - px,
      oy = t[1] - py,
      oz = t[2] - pz;
    const lx = m0 * ox + m3 * oy + m6 * oz,
      ly = m1 * ox + m4 * oy + m7 * oz,
      lz = m2 * ox + m5 * oy + m8 * oz;
    const dw = this.dirWorld,
      gid = this.hitGeom,
      dist = this.hitT,
      cutoff = this.cutoff_m;
    for (let v = v0; v <= v1; v++) {
      for (let u = u0, i = v * W + u0; u <= u1; u++, i++) {
        const wx = dw[3 * i] as number,
          wy = dw[3 * i + 1] as number,
          wz = dw[3 * i + 2] as number;
        const hit = rayPrimitive(
          type,
          sx,
          sy,
          sz,
          lx,
          ly,
          lz,
          m0 * wx + m3 * wy + m6 * wz,
          m1 * wx + m4 * wy + m7 * wz,
          m2 * wx + m5 * wy + m8 * wz,
        );
        if (hit > 0 && hit <= cutoff && ((gid[i] as number) < 0 || hit < (dist[i] as number))) {
          gid[i] = g;
          dist[i] = hit;
        }
      }
    }
  }

  private shade(gxpos: Float64Array, gxmat: Float64Array, t: readonly number[]): RenderedImage {
    const N = this.count;
    const rgb = new Uint8Array(3 * N);
    const depth_mm = new Uint16Array(N);
    const segmentation = new Int32Array(N);
    const { hitGeom: gid, hitT: dist, dirWorld: dw, geomColor, geomType, geomSize } = this;
    const [Lx, Ly, Lz] = this.light;
    const amb = this.ambient,
      diffuse = 1 - amb;
    const n = new Float64Array(3);
    const tx = t[0] as number,
      ty = t[1] as number,
      tz = t[2] as number;
    for (let i = 0; i < N; i++) {
      const g = gid[i] as number;
      segmentation[i] = g;
      if (g < 0) {
        rgb[3 * i] = BACKGROUND[0];
        rgb[3 * i + 1] = BACKGROUND[1];
        rgb[3 * i + 2] = BACKGROUND[2];
        continue;
      }
      const z = dist[i] as number;
      const mm = Math.round(z * 1000);
      depth_mm[i] = mm > 65535 ? 65535 : mm;
      const wx = dw[3 * i] as number,
        wy = dw[3 * i + 1] as number,
        wz = dw[3 * i + 2] as number;
      const ox = tx + z * wx - (gxpos[3 * g] as number),
        oy = ty + z * wy - (gxpos[3 * g + 1] as number),
        oz = tz + z * wz - (gxpos[3 * g + 2] as number);
      const M = 9 * g;
      const a0 = gxmat[M] as number,
        a1 = gxmat[M + 1] as number,
        a2 = gxmat[M + 2] as number;
      const a3 = gxmat[M + 3] as number,
        a4 = gxmat[M + 4] as number,
        a5 = gxmat[M + 5] as number;
      const a6 = gxmat[M + 6] as number,
        a7 = gxmat[M + 7] as number,
        a8 = gxmat[M + 8] as number;
      const lx = a0 * ox + a3 * oy + a6 * oz,
        ly = a1 * ox + a4 * oy + a7 * oz,
        lz = a2 * ox + a5 * oy + a8 * oz;
      localNormal(
        geomType[g] as number,
        geomSize[3 * g] as number,
        geomSize[3 * g + 1] as number,
        geomSize[3 * g + 2] as number,
        lx,
        ly,
        lz,
        n,
      );
      const n0 = n[0] as number,
        n1 = n[1] as number,
        n2 = n[2] as number;
      let nx = a0 * n0 + a1 * n1 + a2 * n2,
        ny = a3 * n0 + a4 * n1 + a5 * n2,
        nz = a6 * n0 + a7 * n1 + a8 * n2;
      if (nx * wx + ny * wy + nz * wz > 0) {
        nx = -nx;
        ny = -ny;
        nz = -nz;
      }
      const lambert = nx * Lx + ny * Ly + nz * Lz;
      const s = amb + diffuse * (lambert > 0 ? lambert : 0);
      rgb[3 * i] = Math.min(255, Math.round(255 * (geomColor[3 * g] as number) * s));
      rgb[3 * i + 1] = Math.min(255, Math.round(255 * (geomColor[3 * g + 1] as number) * s));
      rgb[3 * i + 2] = Math.min(255, Math.round(255 * (geomColor[3 * g + 2] as number) * s));
    }
    return { rgb, depth_mm, segmentation };
  }
}
