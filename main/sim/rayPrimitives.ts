/**
 * Exact ray–primitive intersection in a geom's local frame (MuJoCo's geom conventions: sphere radius
 * sx; capsule and cylinder radius sx, half-length sy along z; box half-sizes; plane +z side only,
 * half-sizes sx, sy with 0 = infinite). Returns the smallest ray parameter t > 0, or -1.
 */
export const GEOM_TYPE = { plane: 0, hfield: 1, sphere: 2, capsule: 3, ellipsoid: 4, cylinder: 5, box: 6, mesh: 7 } as const;

function sphereHit(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, r: number): number {
  const a = dx * dx + dy * dy + dz * dz;
  const b = ox * dx + oy * dy + oz * dz;
  const c = ox * ox + oy * oy + oz * oz - r * r;
  const disc = b * b - a * c;
  if (disc < 0) return -1;
  const sq = Math.sqrt(disc);
  const t0 = (-b - sq) / a;
  if (t0 > 0) return t0;
  const t1 = (-b + sq) / a;
  return t1 > 0 ? t1 : -1;
}

const nearest = (best: number, t: number): number => (t > 0 && (best < 0 || t < best) ? t : best);

export function rayPrimitive(
  type: number,
  sx: number,
  sy: number,
  sz: number,
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
): number {
  switch (type) {
    case GEOM_TYPE.sphere:
      return sphereHit(ox, oy, oz, dx, dy, dz, sx);
    case GEOM_TYPE.ellipsoid:
      return sphereHit(ox / sx, oy / sy, oz / sz, dx / sx, dy / sy, dz / sz, 1);
    case GEOM_TYPE.capsule:
    case GEOM_TYPE.cylinder: {
      let best = -1;
      const a = dx * dx + dy * dy;
      if (a > 1e-18) {
        const b = ox * dx + oy * dy;
        const c = ox * ox + oy * oy - sx * sx;
        const disc = b * b - a * c;
        if (disc >= 0) {
          const sq = Math.sqrt(disc);
          const t0 = (-b - sq) / a,
            t1 = (-b + sq) / a;
          if (Math.abs(oz + t0 * dz) <= sy) best = nearest(best, t0);
          if (Math.abs(oz + t1 * dz) <= sy) best = nearest(best, t1);
        }
      }
      if (type === GEOM_TYPE.capsule) {
        best = nearest(best, sphereHit(ox, oy, oz - sy, dx, dy, dz, sx));
        best = nearest(best, sphereHit(ox, oy, oz + sy, dx, dy, dz, sx));
      } else if (Math.abs(dz) > 1e-18) {
        const tTop = (sy - oz) / dz,
          tBottom = (-sy - oz) / dz;
        const xt = ox + tTop * dx,
          yt = oy + tTop * dy;
        if (xt * xt + yt * yt <= sx * sx) best = nearest(best, tTop);
        const xb = ox + tBottom * dx,
          yb = oy + tBottom * dy;
        if (xb * xb + yb * yb <= sx * sx) best = nearest(best, tBottom);
      }
      return best;
    }
    case GEOM_TYPE.box: {
      // slab test, unrolled: this runs per pixel, so no closures or temporary arrays
      let tmin = -Infinity,
        tmax = Infinity,
        t1: number,
        t2: number;
      if (Math.abs(dx) < 1e-18) {
        if (Math.abs(ox) > sx) return -1;
      } else {
        t1 = (-sx - ox) / dx;
        t2 = (sx - ox) / dx;
        if (t1 > t2) {
          const s = t1;
          t1 = t2;
          t2 = s;
        }
        if (t1 > tmin) tmin = t1;
        if (t2 < tmax) tmax = t2;
      }
      if (Math.abs(dy) < 1e-18) {
        if (Math.abs(oy) > sy) return -1;
      } else {
        t1 = (-sy - oy) / dy;
        t2 = (sy - oy) / dy;
        if (t1 > t2) {
          const s = t1;
          t1 = t2;
          t2 = s;
        }
        if (t1 > tmin) tmin = t1;
        if (t2 < tmax) tmax = t2;
      }
      if (Math.abs(dz) < 1e-18) {
        if (Math.abs(oz) > sz) return -1;
      } else {
        t1 = (-sz - oz) / dz;
        t2 = (sz - oz) / dz;
        if (t1 > t2) {
          const s = t1;
          t1 = t2;
          t2 = s;
        }
        if (t1 > tmin) tmin = t1;
        if (t2 < tmax) tmax = t2;
      }
      if (tmin > tmax) return -1;
      return tmin > 0 ? tmin : tmax > 0 ? tmax : -1;
    }
    case GEOM_TYPE.plane: {
      if (!(dz < 0 && oz > 0)) return -1;
      const t = -oz / dz;
      const x = ox + t * dx,
        y = oy + t * dy;
      return (sx <= 0 || Math.abs(x) <= sx) && (sy <= 0 || Math.abs(y) <= sy) ? t : -1;
    }
    default:
      return -1; // meshes and height fields: the mj_multiRay mode covers them
  }
}

/** Outward surface normal at local point (x, y, z) of a primitive, written into `out`. */
export function localNormal(type: number, s0: number, s1: number, s2: number, x: number, y: number, z: number, out: Float64Array): void {
  let nx = 0,
    ny = 0,
    nz = 1;
  switch (type) {
    case GEOM_TYPE.sphere:
      nx = x;
      ny = y;
      nz = z;
      break;
    case GEOM_TYPE.capsule: {
      const cz = z > s1 ? s1 : z < -s1 ? -s1 : z;
      nx = x;
      ny = y;
      nz = z - cz;
      break;
    }
    case GEOM_TYPE.ellipsoid:
      nx = x / (s0 * s0);
      ny = y / (s1 * s1);
      nz = z / (s2 * s2);
      break;
    case GEOM_TYPE.cylinder:
      if (Math.abs(Math.abs(z) - s1) < Math.abs(Math.hypot(x, y) - s0)) {
        nx = 0;
        ny = 0;
        nz = Math.sign(z) || 1;
      } else {
        nx = x;
        ny = y;
        nz = 0;
      }
      break;
    case GEOM_TYPE.box: {
      const ax = Math.abs(x) / s0,
        ay = Math.abs(y) / s1,
        az = Math.abs(z) / s2;
      nx = 0;
      ny = 0;
      nz = 0;
      if (ax >= ay && ax >= az) nx = Math.sign(x);
      else if (ay >= az) ny = Math.sign(y);
      else nz = Math.sign(z);
      break;
    }
    default:
      break;
  }
  const l = Math.hypot(nx, ny, nz) || 1;
  out[0] = nx / l;
  out[1] = ny / l;
  out[2] = nz / l;
}
