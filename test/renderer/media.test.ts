import { describe, expect, test } from 'vitest';
import { depthRange, depthToRgba } from '../../renderer/src/media/colormap';
import { decodeGray16Png } from '../../renderer/src/media/png16';

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  // The decoder does not check CRCs (the store already guards its blobs); leave it zero.
  return out;
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A 16-bit greyscale PNG whose rows use the given filters, built the way an encoder would. */
async function gray16Png(width: number, rows: number[][], filters: number[]): Promise<Uint8Array> {
  const stride = width * 2;
  const raw = new Uint8Array(rows.length * (stride + 1));
  const plain = rows.map((row) => Uint8Array.from(row.flatMap((v) => [v >> 8, v & 0xff])));
  rows.forEach((_, y) => {
    const filter = filters[y]!;
    raw[y * (stride + 1)] = filter;
    for (let x = 0; x < stride; x++) {
      const value = plain[y]![x]!;
      const left = x >= 2 ? plain[y]![x - 2]! : 0;
      const up = y > 0 ? plain[y - 1]![x]! : 0;
      const predicted = filter === 1 ? left : filter === 2 ? up : filter === 3 ? (left + up) >> 1 : 0;
      raw[y * (stride + 1) + 1 + x] = (value - predicted) & 0xff;
    }
  });
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, rows.length);
  ihdr[8] = 16;
  ihdr[9] = 0;
  const parts = [
    Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', await deflate(raw)),
    chunk('IEND', new Uint8Array()),
  ];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    png.set(p, at);
    at += p.length;
  }
  return png;
}

describe('16-bit depth PNG decoding (browsers would truncate to 8 bits)', () => {
  test('keeps full millimetre precision through none, sub, up and average filters', async () => {
    const rows = [
      [0, 1, 255, 256],
      [1000, 1001, 65535, 300],
      [2500, 2499, 12, 40000],
      [7, 8, 9, 10],
    ];
    const image = await decodeGray16Png(await gray16Png(4, rows, [0, 1, 2, 3]));
    expect(image.width).toBe(4);
    expect(image.height).toBe(4);
    expect([...image.data]).toEqual(rows.flat());
  });

  test('refuses an 8-bit or colour PNG with a message saying what it expected', async () => {
    const png = await gray16Png(1, [[5]], [0]);
    png[8 + 8 + 8] = 8; // bit depth byte of IHDR
    await expect(decodeGray16Png(png)).rejects.toThrow(/16-bit greyscale/);
    await expect(decodeGray16Png(new Uint8Array([1, 2, 3]))).rejects.toThrow(/not a PNG/);
  });
});

describe('depth colormap', () => {
  test('the range ignores missing readings and spans the scene; missing pixels are black', () => {
    const depth = Uint16Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 0 : 500 + i));
    const [near, far] = depthRange(depth);
    expect(near).toBeGreaterThanOrEqual(500);
    expect(far).toBeLessThanOrEqual(1500);
    const rgba = new Uint8ClampedArray(depth.length * 4);
    depthToRgba(depth, rgba, [near, far]);
    expect([...rgba.subarray(0, 4)]).toEqual([0, 0, 0, 255]);
    // Near is warm (red high), far is cool (blue high).
    const nearPixel = rgba.subarray(4, 8);
    // Turbo's far end darkens to violet; a pixel three quarters of the way out is clearly blue.
    const farPixel = rgba.subarray(751 * 4, 752 * 4);
    expect(nearPixel[0]!).toBeGreaterThan(nearPixel[2]!);
    expect(farPixel[2]!).toBeGreaterThan(farPixel[0]!);
  });
});
