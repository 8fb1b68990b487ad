import { deflate } from 'node:zlib';
import { promisify } from 'node:util';

const deflateAsync = promisify(deflate);

/**
 * Minimal PNG encoder for recording: 8-bit RGB colour and 16-bit greyscale depth, the lossless
 * formats any reader opens (`cv2.imread(path, cv2.IMREAD_UNCHANGED)`, PIL, ffmpeg). Compression
 * runs on libuv's thread pool (zlib's async API), off the thread that calls it.
 */
export interface PngImage {
  width: number;
  height: number;
  kind: 'rgb8' | 'gray16';
  /** rgb8: packed RGB bytes; gray16: one uint16 per pixel in host (little-endian) order. */
  data: Uint8Array | Uint16Array;
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return crc;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, (crc32(body, crc32(out.subarray(4, 8))) ^ 0xffffffff) >>> 0);
  return out;
}

/** Rows prefixed with filter byte 0, samples big-endian as PNG requires. */
function scanlines(image: PngImage): Uint8Array {
  const { width, height } = image;
  const rowBytes = image.kind === 'rgb8' ? width * 3 : width * 2;
  const expected = image.kind === 'rgb8' ? width * height * 3 : width * height;
  if (image.data.length !== expected)
    throw new Error(`PNG ${image.kind} ${width}×${height} needs ${expected} samples, got ${image.data.length}`);
  const out = new Uint8Array((rowBytes + 1) * height);
  if (image.kind === 'rgb8') {
    const src = image.data as Uint8Array;
    for (let y = 0; y < height; y++) out.set(src.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  } else {
    const src = image.data as Uint16Array;
    for (let y = 0; y < height; y++) {
      let o = y * (rowBytes + 1) + 1;
      for (let x = y * width, end = x + width; x < end; x++) {
        const v = src[x]!;
        out[o++] = v >>> 8;
        out[o++] = v & 0xff;
      }
    }
  }
  return out;
}

export async function encodePng(image: PngImage, level = 1): Promise<Uint8Array> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, image.width);
  view.setUint32(4, image.height);
  header[8] = image.kind === 'rgb8' ? 8 : 16;
  header[9] = image.kind === 'rgb8' ? 2 : 0;
  const compressed = new Uint8Array(await deflateAsync(scanlines(image), { level }));
  const parts = [SIGNATURE, chunk('IHDR', header), chunk('IDAT', compressed), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
