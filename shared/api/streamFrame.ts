import { StudioError } from './errors';

/**
 * Binary stream frames, the same bytes over WebSocket and Electron IPC:
 *
 *   offset 0  u8[2]  magic "FS"
 *          2  u8     version (1)
 *          3  u8     reserved (0)
 *          4  u32 LE header length H
 *          8  u8[H]  header, UTF-8 JSON: { "stream": name, ...stream-specific fields }
 *        8+H  ...    payload bytes (pixels, points, ...)
 *
 * JSON keeps headers debuggable; the payload is never JSON so pixels are not copied through strings.
 */
export interface StreamFrame {
  stream: string;
  header: Record<string, unknown>;
  payload: Uint8Array;
}

const MAGIC_0 = 0x46; // 'F'
const MAGIC_1 = 0x53; // 'S'
const VERSION = 1;
const PREFIX_BYTES = 8;
const MAX_HEADER_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeStreamFrame(frame: StreamFrame): Uint8Array {
  const headerBytes = encoder.encode(JSON.stringify({ ...frame.header, stream: frame.stream }));
  if (headerBytes.byteLength > MAX_HEADER_BYTES) {
    throw new StudioError({
      code: 'invalid_params',
      message: `stream header of ${frame.stream} is ${headerBytes.byteLength} bytes; the limit is ${MAX_HEADER_BYTES}`,
    });
  }
  const out = new Uint8Array(PREFIX_BYTES + headerBytes.byteLength + frame.payload.byteLength);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = VERSION;
  out[3] = 0;
  new DataView(out.buffer).setUint32(4, headerBytes.byteLength, true);
  out.set(headerBytes, PREFIX_BYTES);
  out.set(frame.payload, PREFIX_BYTES + headerBytes.byteLength);
  return out;
}

function malformed(message: string): StudioError {
  return new StudioError({ code: 'parse_error', message: `malformed stream frame: ${message}` });
}

/** Decodes a frame; the payload is a view into `bytes`, not a copy. */
export function decodeStreamFrame(bytes: Uint8Array): StreamFrame {
  if (bytes.byteLength < PREFIX_BYTES) throw malformed(`${bytes.byteLength} bytes is shorter than the ${PREFIX_BYTES}-byte prefix`);
  if (bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) throw malformed('bad magic (expected "FS")');
  if (bytes[2] !== VERSION) throw malformed(`version ${bytes[2]} is not supported (expected ${VERSION})`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (headerLength > MAX_HEADER_BYTES || PREFIX_BYTES + headerLength > bytes.byteLength) {
    throw malformed(`header length ${headerLength} exceeds the frame (${bytes.byteLength} bytes)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)));
  } catch (error) {
    throw malformed(`header is not UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed('header is not a JSON object');
  const { stream, ...header } = parsed as Record<string, unknown>;
  if (typeof stream !== 'string') throw malformed('header has no "stream" name');
  return { stream, header, payload: bytes.subarray(PREFIX_BYTES + headerLength) };
}
