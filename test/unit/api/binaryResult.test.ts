import { describe, expect, test } from 'vitest';
import { decodeBinaryResult, encodeBinaryResult, hasBytes, RPC_RESULT_FRAME } from '../../../shared/api/binaryResult';
import { encodeStreamFrame } from '../../../shared/api/streamFrame';

describe('results with bytes over WebSocket (rpc.result frames)', () => {
  test('round trip: every byte field comes back byte for byte in its place, the rest as JSON', () => {
    const a = Uint8Array.from({ length: 1001 }, (_, i) => (i * 37) & 0xff);
    const b = new Uint8Array(0);
    const c = Uint8Array.of(1, 2, 3);
    const frame = encodeBinaryResult(42, { H: 2, list: [a, { inner: b }], c, text: 'x', none: null });
    const { id, result } = decodeBinaryResult(frame);
    expect(id).toBe(42);
    expect(result).toEqual({ H: 2, list: [a, { inner: b }], c, text: 'x', none: null });
    const back = result as { list: [Uint8Array]; c: Uint8Array };
    expect(back.list[0]).toBeInstanceOf(Uint8Array);
    // Copies with buffers of their own: float32 views need offset 0, and the frame can be released.
    expect(back.list[0].byteOffset).toBe(0);
    expect(back.list[0].buffer.byteLength).toBe(1001);
    // The bytes travel raw: the frame is the payload plus a small header, not 4/3 of it as base64 would be.
    expect(frame.byteLength - (1001 + 3)).toBeLessThan(200);
  });

  test('hasBytes finds bytes at any depth and nothing else', () => {
    expect(hasBytes({ a: [{ b: new Uint8Array(1) }] })).toBe(true);
    expect(hasBytes({ a: [1, 'x', null, { b: [] }] })).toBe(false);
    expect(hasBytes(null)).toBe(false);
  });

  test('malformed frames are refused with the reason', () => {
    const frame = (header: Record<string, unknown>, payload: Uint8Array) =>
      encodeStreamFrame({ stream: RPC_RESULT_FRAME, header, payload });
    expect(() => decodeBinaryResult(frame({ id: 1, result: {}, sizes: [4] }, new Uint8Array(3)))).toThrow(
      /sizes add up to 4 bytes, the payload has 3/,
    );
    expect(() => decodeBinaryResult(frame({ result: {}, sizes: [] }, new Uint8Array(0)))).toThrow(/needs an id and byte sizes/);
    expect(() => decodeBinaryResult(frame({ id: 1, result: { x: { $bytes: 2 } }, sizes: [1] }, new Uint8Array(1)))).toThrow(
      /refers to byte field 2 of 1/,
    );
    expect(() => decodeBinaryResult(encodeStreamFrame({ stream: 'camera.preview', header: {}, payload: new Uint8Array(0) }))).toThrow(
      /expected a rpc.result frame/,
    );
  });
});
