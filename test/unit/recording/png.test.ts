import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodePng } from '../../../main/recording/png';
import { useTempDirs } from '../../support/tempDir';

/** Decodes a PNG with ffmpeg (an independent reader) to raw little-endian samples. */
function decodeWithFfmpeg(file: string, pixFmt: 'rgb24' | 'gray16le'): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', pixFmt, '-'], { maxBuffer: 64 * 1024 * 1024 });
}

describe('PNG encoder', () => {
  const tempDir = useTempDirs();

  test('16-bit depth round-trips exactly through an independent decoder', async () => {
    const width = 64;
    const height = 48;
    const depth = Uint16Array.from({ length: width * height }, (_, i) => (i * 977 + 300) % 65536);
    const file = join(tempDir(), 'depth.png');
    writeFileSync(file, await encodePng({ width, height, kind: 'gray16', data: depth }));
    const decoded = decodeWithFfmpeg(file, 'gray16le');
    expect(new Uint16Array(decoded.buffer, decoded.byteOffset, decoded.byteLength / 2)).toEqual(depth);
  });

  test('8-bit RGB round-trips exactly', async () => {
    const width = 33;
    const height = 7;
    const rgb = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 31) % 256);
    const file = join(tempDir(), 'rgb.png');
    writeFileSync(file, await encodePng({ width, height, kind: 'rgb8', data: rgb }, 6));
    expect(new Uint8Array(decodeWithFfmpeg(file, 'rgb24'))).toEqual(rgb);
  });

  test('a size mismatch is refused with the numbers', async () => {
    await expect(encodePng({ width: 4, height: 4, kind: 'rgb8', data: new Uint8Array(10) })).rejects.toThrow(/needs 48 samples, got 10/);
  });
});
