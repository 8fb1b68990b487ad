import { inflateSync } from 'node:zlib';
import { StudioError } from '../../shared/api/errors';

/**
 * Decodes the PNGs the recorder stores for depth: 16-bit greyscale, non-interlaced, any filter.
 * Returns host-order uint16 samples (millimetres for depth streams).
 */
export function decodeGray16Png(bytes: Uint8Array): { width: number; height: number; data: Uint16Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || view.getUint32(0) !== 0x89504e47)
    throw new StudioError({ code: 'failed_precondition', message: 'a depth frame is not a PNG' });
  let offset = 8;
  let width = 0,
    height = 0,
    bitDepth = 0,
    colorType = 0,
    interlace = 0;
  const idat: Uint8Array[] = [];
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      const h = new DataView(body.buffer, body.byteOffset, body.byteLength);
      width = h.getUint32(0);
      height = h.getUint32(4);
      bitDepth = body[8]!;
      colorType = body[9]!;
      interlace = body[12]!;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (bitDepth !== 16 || colorType !== 0 || interlace !== 0) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `depth PNG is ${bitDepth}-bit colour type ${colorType}${interlace ? ' interlaced' : ''}; expected 16-bit greyscale, not interlaced`,
    });
  }
  const raw = inflateSync(Buffer.concat(idat));
  const bpp = 2;
  const stride = width * bpp;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = out.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : null;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? row[x - bpp]! : 0;
      const b = prev !== null ? prev[x]! : 0;
      const c = prev !== null && x >= bpp ? prev[x - bpp]! : 0;
      let v = src[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a),
          pb = Math.abs(p - b),
          pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      row[x] = v & 0xff;
    }
  }
  const data = new Uint16Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (out[2 * i]! << 8) | out[2 * i + 1]!;
  return { width, height, data };
}

/** LeRobot 0.6 depth quantiser (log mode): metres → 12-bit codes. */
export const DEPTH_QUANT = { depth_min: 0.01, depth_max: 10.0, shift: 3.5, use_log: true } as const;

export function quantizeDepthMm(mm: Uint16Array): Uint16Array {
  const { depth_min, depth_max, shift } = DEPTH_QUANT;
  const lo = Math.log(depth_min + shift);
  const span = Math.log(depth_max + shift) - lo;
  const out = new Uint16Array(mm.length);
  for (let i = 0; i < mm.length; i++) {
    const d = Math.min(Math.max(mm[i]! / 1000, depth_min), depth_max);
    out[i] = Math.min(4095, Math.max(0, Math.round(((Math.log(d + shift) - lo) / span) * 4095)));
  }
  return out;
}

export function dequantizeDepth(code: number): number {
  const { depth_min, depth_max, shift } = DEPTH_QUANT;
  const lo = Math.log(depth_min + shift);
  const span = Math.log(depth_max + shift) - lo;
  return Math.exp((code / 4095) * span + lo) - shift;
}
