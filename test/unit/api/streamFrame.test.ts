import { isDeepStrictEqual } from 'node:util';
import { describe, expect, test } from 'vitest';
import { StudioError } from '../../../shared/api/errors';
import { decodeStreamFrame, encodeStreamFrame } from '../../../shared/api/streamFrame';
import { StreamHub, type StreamSink } from '../../../main/api/streamHub';
import { mulberry32 } from '../../../main/sim/math3d';

describe('binary stream frames', () => {
  test('round-trip header and payload exactly', () => {
    const payload = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const bytes = encodeStreamFrame({ stream: 'camera.preview', header: { camera: 'wrist', capture_ns: '42' }, payload });
    const frame = decodeStreamFrame(bytes);
    expect(frame.stream).toBe('camera.preview');
    expect(frame.header).toEqual({ camera: 'wrist', capture_ns: '42' });
    expect(frame.payload).toEqual(payload);
  });

  test('reject malformed frames with a clear message', () => {
    const good = encodeStreamFrame({ stream: 's', header: {}, payload: new Uint8Array(4) });
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 5), /shorter than the 8-byte prefix/],
      [Uint8Array.of(0x00, 0x53, 1, 0, 0, 0, 0, 0), /bad magic/],
      [Uint8Array.of(0x46, 0x53, 9, 0, 0, 0, 0, 0), /version 9/],
      [Uint8Array.of(0x46, 0x53, 1, 0, 200, 0, 0, 0, 0x7b), /exceeds the frame/],
      [Uint8Array.of(0x46, 0x53, 1, 0, 2, 0, 0, 0, 0x7b, 0x7b), /not UTF-8 JSON/],
      [Uint8Array.of(0x46, 0x53, 1, 0, 2, 0, 0, 0, 0x5b, 0x5d), /not a JSON object/],
      [Uint8Array.of(0x46, 0x53, 1, 0, 2, 0, 0, 0, 0x7b, 0x7d), /no "stream" name/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => decodeStreamFrame(bytes)).toThrow(message);
    }
  });

  test('fuzz: 8,000 random, truncated and corrupted frames: accepted frames agree with an independent reader and round-trip', () => {
    const random = mulberry32(20261121);
    const int = (n: number) => Math.floor(random() * n);
    const seeds = [
      encodeStreamFrame({
        stream: 'camera.preview',
        header: { camera: 'front', width_px: 2, capture_ns: '42' },
        payload: Uint8Array.from({ length: 12 }, (_, i) => i),
      }),
      encodeStreamFrame({ stream: 'arm.state', header: { q: [0.1, -0.2, 0.3], note: 'ünïcödé ✓' }, payload: new Uint8Array(0) }),
      encodeStreamFrame({ stream: 's', header: {}, payload: new Uint8Array(3) }),
    ];
    const headers = [
      '{"stream":5}',
      '[]',
      'null',
      '{"stream":"x","a":[1,{"b":null}]}',
      '{"stream":"\\u00e9","stream":"dup"}',
      '{ "stream" : "spaced" }',
      '{"stream":"x"',
      '\u{feff}{"stream":"bom"}',
    ];
    const frameWithHeader = (text: string, payload: Uint8Array) => {
      const header = Buffer.from(text, 'utf8');
      const prefix = Buffer.alloc(8);
      prefix.write('FS', 0, 'latin1');
      prefix[2] = 1;
      prefix.writeUInt32LE(header.length, 4);
      return new Uint8Array(Buffer.concat([prefix, header, payload]));
    };
    const problems: string[] = [];
    const counts = { accepted: 0, rejected: 0, canonical: 0 };
    for (let i = 0; i < 8_000 && problems.length < 20; i++) {
      const base = seeds[int(seeds.length)]!;
      let bytes: Uint8Array;
      switch (i % 5) {
        case 0:
          bytes = Uint8Array.from({ length: int(64) }, () => int(256));
          break;
        case 1:
          bytes = base.slice(0, int(base.length + 1));
          break;
        case 2:
          // Overwrites anywhere: prefix, header (invalid UTF-8, broken JSON) or payload.
          bytes = base.slice();
          for (let n = 1 + int(3); n > 0; n--) bytes[int(bytes.length)] = int(256);
          break;
        case 3: {
          bytes = base.slice();
          new DataView(bytes.buffer).setUint32(4, [0, 1, bytes.length - 8, bytes.length - 7, int(bytes.length), 0xffffffff][int(6)]!, true);
          break;
        }
        default:
          bytes = frameWithHeader(
            headers[int(headers.length)]!,
            Uint8Array.from({ length: int(5) }, () => int(256)),
          );
      }
      const frameBytes = bytes;
      const label = { toString: () => Buffer.from(frameBytes).toString('hex') };
      const expected = referenceDecode(bytes);
      let frame: ReturnType<typeof decodeStreamFrame>;
      try {
        frame = decodeStreamFrame(bytes);
      } catch (error) {
        counts.rejected++;
        if (!(error instanceof StudioError) || error.code !== 'parse_error') problems.push(`${label}: threw ${String(error)}`);
        if (expected !== undefined)
          problems.push(`${label}: rejected (${(error as Error).message}); the reference reads ${JSON.stringify(expected)}`);
        continue;
      }
      counts.accepted++;
      if (expected === undefined) {
        problems.push(`${label}: accepted as ${JSON.stringify(frame)}; the reference rejects it`);
        continue;
      }
      // The documented invariants, and the same reading as the reference.
      const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
      if (
        frame.payload.byteOffset !== bytes.byteOffset + 8 + headerLength ||
        frame.payload.byteLength !== bytes.byteLength - 8 - headerLength
      )
        problems.push(`${label}: the payload is not the bytes after the header`);
      if (
        frame.stream !== expected.stream ||
        'stream' in frame.header ||
        !isDeepStrictEqual(frame.header, expected.header) ||
        !Buffer.from(frame.payload).equals(Buffer.from(expected.payload))
      ) {
        problems.push(`${label}: read ${JSON.stringify(frame)}; the reference reads ${JSON.stringify(expected)}`);
      }
      // Round trip: re-encoding gives a frame that decodes to the same; canonical input comes back byte for byte.
      const again = encodeStreamFrame(frame);
      const back = decodeStreamFrame(again);
      if (
        back.stream !== frame.stream ||
        !isDeepStrictEqual(back.header, frame.header) ||
        !Buffer.from(back.payload).equals(Buffer.from(frame.payload))
      )
        problems.push(`${label}: does not round-trip`);
      if (Buffer.from(again).equals(Buffer.from(bytes))) counts.canonical++;
    }
    expect(problems.slice(0, 5)).toEqual([]);
    // Both sides of the decoder are exercised, and unmodified frames come back byte for byte.
    expect(counts.accepted).toBeGreaterThan(500);
    expect(counts.rejected).toBeGreaterThan(500);
    expect(counts.canonical).toBeGreaterThan(100);
  }, 60_000);
});

/**
 * An independent reading of the frame format in the header comment of shared/api/streamFrame.ts,
 * with Node's Buffer instead of DataView/TextDecoder: undefined where the format says the bytes are
 * not a frame. UTF-8 validity is checked by re-encoding (a malformed sequence decodes to U+FFFD and
 * does not come back); a leading BOM is ignored, as RFC 8259 §8.1 allows.
 */
function referenceDecode(bytes: Uint8Array): { stream: string; header: Record<string, unknown>; payload: Uint8Array } | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 8 || buffer.toString('latin1', 0, 2) !== 'FS' || buffer[2] !== 1) return undefined;
  const length = buffer.readUInt32LE(4);
  if (length > 64 * 1024 || 8 + length > buffer.length) return undefined;
  const raw = buffer.subarray(8, 8 + length);
  const text = raw.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(raw)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.startsWith('\u{feff}') ? text.slice(1) : text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  const stream = entries.find(([key]) => key === 'stream')?.[1];
  if (typeof stream !== 'string') return undefined;
  return { stream, header: Object.fromEntries(entries.filter(([key]) => key !== 'stream')), payload: buffer.subarray(8 + length) };
}

describe('stream hub back-pressure', () => {
  function sink(id: string, buffered: () => number): StreamSink & { frames: Uint8Array[] } {
    const frames: Uint8Array[] = [];
    return { id, frames, bufferedBytes: buffered, send: (bytes) => frames.push(bytes) };
  }

  test('a slow sink misses frames (counted) while a fast one gets all of them', () => {
    const hub = new StreamHub(1000);
    let slowBuffered = 0;
    const fast = sink('fast', () => 0);
    const slow = sink('slow', () => slowBuffered);
    hub.subscribe('camera.preview', fast);
    hub.subscribe('camera.preview', slow);
    const header = { camera: 'front', width_px: 1, height_px: 1, encoding: 'rgb8' as const, capture_ns: '1' };
    for (let i = 0; i < 10; i++) {
      slowBuffered = i >= 3 && i < 8 ? 5000 : 0;
      hub.publish('camera.preview', header, new Uint8Array(3));
    }
    expect(fast.frames).toHaveLength(10);
    expect(slow.frames).toHaveLength(5);
    expect(hub.statsOf('camera.preview')).toEqual({ sent: 15, dropped: 5 });
    hub.removeSink('slow');
    hub.publish('camera.preview', header, new Uint8Array(3));
    expect(slow.frames).toHaveLength(5);
  });
});
