/**
 * Decodes the 16-bit greyscale PNGs the recorder stores for depth (millimetres) and segmentation.
 * Browsers decode PNGs to 8 bits per channel, which would throw the depth away, so this reads the
 * file itself: chunks → zlib (DecompressionStream) → scanline unfiltering. Only what the recorder
 * writes is supported (colour type 0, bit depth 16, no interlace).
 */
export interface Gray16Image {
  width: number;
  height: number;
  data: Uint16Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export async function decodeGray16Png(png: Uint8Array): Promise<Gray16Image> {
  if (!SIGNATURE.every((byte, i) => png[i] === byte)) throw new Error('not a PNG file');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  while (offset + 8 <= png.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(png[offset + 4]!, png[offset + 5]!, png[offset + 6]!, png[offset + 7]!);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      const bitDepth = body[8];
      const colorType = body[9];
      const interlace = body[12];
      if (bitDepth !== 16 || colorType !== 0 || interlace !== 0)
        throw new Error(`expected a 16-bit greyscale PNG, got bit depth ${bitDepth}, colour type ${colorType}`);
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  const compressed = new Uint8Array(idat.reduce((n, chunk) => n + chunk.length, 0));
  let at = 0;
  for (const chunk of idat) {
    compressed.set(chunk, at);
    at += chunk.length;
  }
  const raw = await inflate(compressed);
  const stride = width * 2;
  if (raw.length < height * (stride + 1)) throw new Error('PNG image data is truncated');
  const out = new Uint8Array(height * stride);
  const bpp = 2;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    for (let x = 0; x < stride; x++) {
      const value = raw[src + x]!;
      const left = x >= bpp ? out[dst + x - bpp]! : 0;
      const up = y > 0 ? out[dst - stride + x]! : 0;
      const upLeft = y > 0 && x >= bpp ? out[dst - stride + x - bpp]! : 0;
      let result: number;
      switch (filter) {
        case 0:
          result = value;
          break;
        case 1:
          result = value + left;
          break;
        case 2:
          result = value + up;
          break;
        case 3:
          result = value + ((left + up) >> 1);
          break;
        case 4:
          result = value + paeth(left, up, upLeft);
          break;
        default:
          throw new Error(`unknown PNG filter ${filter} on row ${y}`);
      }
      out[dst + x] = result & 0xff;
    }
  }
  const data = new Uint16Array(width * height);
  // PNG samples are big-endian.
  for (let i = 0; i < data.length; i++) data[i] = (out[i * 2]! << 8) | out[i * 2 + 1]!;
  return { width, height, data };
}
