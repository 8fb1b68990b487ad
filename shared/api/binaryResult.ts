import { StudioError } from './errors';
import { decodeStreamFrame, encodeStreamFrame, type StreamFrame } from './streamFrame';

/**
 * Call results that carry bytes (a contract field declared with `bytesSchema`, e.g. foresight.splats'
 * Gaussians). Each transport moves them without text encoding:
 *
 * - Electron IPC and in-process calls pass the `Uint8Array` itself (IPC structured-clones it as bytes);
 * - WebSocket: JSON-RPC text cannot hold bytes, so such a response goes as ONE binary frame — the stream
 *   frame layout (shared/api/streamFrame.ts) under the reserved name `rpc.result` — whose JSON header is
 *   the response with every byte field replaced by `{ "$bytes": i }`, and whose payload is the fields'
 *   bytes back to back (`sizes` in the header). One message, so a response never arrives half.
 */
export const RPC_RESULT_FRAME = 'rpc.result';

const MARK = '$bytes';

/** Whether a value (a result) holds any Uint8Array, at any depth. */
export function hasBytes(value: unknown): boolean {
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) return value.some(hasBytes);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(hasBytes);
  return false;
}

function split(value: unknown, parts: Uint8Array[]): unknown {
  if (value instanceof Uint8Array) {
    parts.push(value);
    return { [MARK]: parts.length - 1 };
  }
  if (Array.isArray(value)) return value.map((item) => split(item, parts));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, split(item, parts)]));
  return value;
}

function join(value: unknown, parts: readonly Uint8Array[]): unknown {
  if (Array.isArray(value)) return value.map((item) => join(item, parts));
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    const only = entries.length === 1 ? entries[0] : undefined;
    if (only !== undefined && only[0] === MARK && typeof only[1] === 'number') {
      const part = parts[only[1]];
      if (part === undefined)
        throw new StudioError({
          code: 'parse_error',
          message: `malformed ${RPC_RESULT_FRAME} frame: it refers to byte field ${only[1]} of ${parts.length}`,
        });
      return part;
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, join(item, parts)]));
  }
  return value;
}

/** A successful JSON-RPC response whose result holds bytes, as one binary frame. */
export function encodeBinaryResult(id: number | string, result: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  const json = split(result, parts);
  const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const payload = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    payload.set(part, at);
    at += part.byteLength;
  }
  return encodeStreamFrame({
    stream: RPC_RESULT_FRAME,
    header: { id, result: json, sizes: parts.map((part) => part.byteLength) },
    payload,
  });
}

/**
 * The response in a decoded `rpc.result` frame. Each byte field is a copy with a buffer of its own
 * (offset 0), so a receiver can view it as Float32Array whatever the frame's alignment.
 */
export function resultFromFrame(frame: StreamFrame): { id: number | string; result: unknown } {
  if (frame.stream !== RPC_RESULT_FRAME)
    throw new StudioError({ code: 'parse_error', message: `expected a ${RPC_RESULT_FRAME} frame, got stream "${frame.stream}"` });
  const { id, result, sizes } = frame.header;
  if (
    (typeof id !== 'number' && typeof id !== 'string') ||
    !Array.isArray(sizes) ||
    !sizes.every((size): size is number => Number.isInteger(size) && (size as number) >= 0)
  ) {
    throw new StudioError({ code: 'parse_error', message: `malformed ${RPC_RESULT_FRAME} frame: its header needs an id and byte sizes` });
  }
  const total = sizes.reduce((sum, size) => sum + size, 0);
  if (total !== frame.payload.byteLength)
    throw new StudioError({
      code: 'parse_error',
      message: `malformed ${RPC_RESULT_FRAME} frame: sizes add up to ${total} bytes, the payload has ${frame.payload.byteLength}`,
    });
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(frame.payload.slice(at, at + size));
    at += size;
  }
  return { id, result: join(result, parts) };
}

export function decodeBinaryResult(bytes: Uint8Array): { id: number | string; result: unknown } {
  return resultFromFrame(decodeStreamFrame(bytes));
}
