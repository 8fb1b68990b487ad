import type { DType } from '../devices/types';

/**
 * A recorded stream, declared when an episode starts. Low-dimensional values are stored as the raw
 * little-endian bytes of their typed array (`dtype`, `shape`); events as UTF-8 JSON; images as encoded
 * files (`encoding`: jpeg, png, png16 for 16-bit depth).
 */
export interface StreamDef {
  name: string;
  kind: 'lowdim' | 'image' | 'event';
  dtype: DType | 'json';
  shape: readonly number[];
  names?: readonly string[];
  unit?: string;
  encoding?: 'jpeg' | 'png' | 'png16';
  /** The rate the source promises; recorded as-is, never used to stamp samples. */
  nominal_rate_hz?: number;
  /** Anything a reader needs to interpret the stream, e.g. camera intrinsics. */
  meta?: Record<string, unknown>;
}

export function float64Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float64Array.from(values).buffer);
}

export function float64Values(bytes: Uint8Array): Float64Array {
  // Copy: SQLite blobs are not guaranteed to be 8-byte aligned.
  return new Float64Array(bytes.slice().buffer);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function jsonValue(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}
