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

  test('fuzz: 10,000 random, truncated and corrupted frames never crash the decoder', () => {
    const random = mulberry32(20261121);
    const base = encodeStreamFrame({ stream: 'camera.preview', header: { camera: 'front', width_px: 2 }, payload: new Uint8Array(12) });
    let decoded = 0;
    for (let i = 0; i < 10_000; i++) {
      let bytes: Uint8Array;
      const kind = i % 3;
      if (kind === 0) bytes = Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256));
      else if (kind === 1) bytes = base.slice(0, Math.floor(random() * base.length));
      else {
        bytes = base.slice();
        for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      try {
        decodeStreamFrame(bytes);
        decoded++;
      } catch (error) {
        expect(error).toBeInstanceOf(StudioError);
        expect((error as StudioError).code).toBe('parse_error');
      }
    }
    // Payload-only corruptions still decode: the decoder does not reject more than it must.
    expect(decoded).toBeGreaterThan(0);
  });
});

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
