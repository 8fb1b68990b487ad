/**
 * Depth to colour with Google's Turbo map (polynomial fit by Mikhailov, Apache-2.0), the map depth
 * viewers use because equal steps look equally different. 0 means "no reading" and is drawn black.
 */
function turbo(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  const r = 0.13572138 + x * (4.6153926 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))));
  const g = 0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))));
  const b = 0.1066733 + x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))));
  return [r, g, b].map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255)) as [number, number, number];
}

const LUT = (() => {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(turbo(i / 255), i * 3);
  return lut;
})();

/**
 * The range to colour: the 2nd and 98th percentile of valid readings (sampled), so a wrist camera a
 * few centimetres from the fingers and a scene camera two metres away both use the whole map.
 */
export function depthRange(depth_mm: Uint16Array): [number, number] {
  const step = Math.max(1, Math.floor(depth_mm.length / 4096));
  const sample: number[] = [];
  for (let i = 0; i < depth_mm.length; i += step) if (depth_mm[i]! > 0) sample.push(depth_mm[i]!);
  if (sample.length === 0) return [200, 2500];
  sample.sort((a, b) => a - b);
  const near = sample[Math.floor(sample.length * 0.02)]!;
  const far = sample[Math.floor(sample.length * 0.98)]!;
  return far - near < 10 ? [near - 5, near + 5] : [near, far];
}

/** Millimetres → RGBA pixels, near = red, far = blue over [near_mm, far_mm] (default: depthRange). */
export function depthToRgba(depth_mm: Uint16Array, out: Uint8ClampedArray, range: [number, number] = depthRange(depth_mm)): void {
  const [near_mm, far_mm] = range;
  const scale = 255 / (far_mm - near_mm);
  for (let i = 0; i < depth_mm.length; i++) {
    const d = depth_mm[i]!;
    const o = i * 4;
    if (d === 0) {
      out[o] = out[o + 1] = out[o + 2] = 0;
    } else {
      const k = 255 - Math.min(255, Math.max(0, Math.round((d - near_mm) * scale)));
      out[o] = LUT[k * 3]!;
      out[o + 1] = LUT[k * 3 + 1]!;
      out[o + 2] = LUT[k * 3 + 2]!;
    }
    out[o + 3] = 255;
  }
}

/** Packed RGB (the `rgb8` preview encoding) → RGBA. */
export function rgbToRgba(rgb: Uint8Array, out: Uint8ClampedArray): void {
  for (let i = 0, o = 0; i + 2 < rgb.length; i += 3, o += 4) {
    out[o] = rgb[i]!;
    out[o + 1] = rgb[i + 1]!;
    out[o + 2] = rgb[i + 2]!;
    out[o + 3] = 255;
  }
}
