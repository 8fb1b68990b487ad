import {
  Bool,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  makeData,
  makeVector,
  Uint8,
  type Data,
  type DataType,
} from 'apache-arrow';
import { StudioError } from '../../shared/api/errors';
import type { StreamRow } from '../store/episodeStore';
import type { EpisodeReader } from './episodeSource';
import type { Column } from './parquet';
import type { EpisodeGrid } from './types';

/**
 * Imported LeRobot features back to Parquet columns, value for value: each stream's samples at the
 * grid instants (the newest at or before each: an imported episode's samples sit exactly on its grid)
 * as the little-endian bytes of the feature's own dtype, then the Arrow type LeRobot writes for it —
 * a scalar for shape [1], `fixed_size_list<dtype>[N]` otherwise.
 */

const ARROW: Record<string, () => DataType> = {
  float32: () => new Float32(),
  float64: () => new Float64(),
  int64: () => new Int64(),
  int32: () => new Int32(),
  int16: () => new Int16(),
  int8: () => new Int8(),
  uint8: () => new Uint8(),
  bool: () => new Bool(),
};

const WIDTH: Record<string, number> = { float32: 4, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

function typedView(dtype: string, bytes: Uint8Array): ArrayLike<number | bigint> & { buffer: ArrayBufferLike } {
  const copy = bytes.slice();
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy.buffer);
    case 'float64':
      return new Float64Array(copy.buffer);
    case 'int64':
      return new BigInt64Array(copy.buffer);
    case 'int32':
      return new Int32Array(copy.buffer);
    case 'int16':
      return new Int16Array(copy.buffer);
    case 'int8':
      return new Int8Array(copy.buffer);
    default:
      return copy;
  }
}

/** The stream's values at the grid instants, as one flat byte array (`dim` values per frame). */
export function importedBytesOnGrid(reader: EpisodeReader, stream: StreamRow, grid: EpisodeGrid): Uint8Array {
  const width = WIDTH[stream.dtype];
  if (width === undefined)
    throw new StudioError({
      code: 'failed_precondition',
      message: `stream "${stream.name}" holds ${stream.dtype}, which a LeRobot feature cannot carry`,
    });
  const dim = stream.shape.reduce((a, b) => a * b, 1);
  const instants = reader.gridTimes(grid);
  const samples = reader.store.range(stream, stream.first_t_ns ?? 0n, instants.at(-1) ?? 0n);
  const out = new Uint8Array(instants.length * dim * width);
  let j = -1;
  for (const [k, t] of instants.entries()) {
    while (j + 1 < samples.length && samples[j + 1]!.t_ns <= t) j++;
    if (j < 0)
      throw new StudioError({
        code: 'failed_precondition',
        message: `stream "${stream.name}" has no sample at or before ${t} ns (the start of the exported window)`,
      });
    const value = samples[j]!.value;
    if (value.length !== dim * width)
      throw new StudioError({
        code: 'failed_precondition',
        message: `stream "${stream.name}" sample at ${samples[j]!.t_ns} ns has ${value.length} bytes, expected ${dim * width}`,
      });
    out.set(value, k * dim * width);
  }
  return out;
}

/** A Parquet column of `length` rows of the feature's dtype: scalar for dim 1, fixed-size list otherwise. */
export function importedColumn(name: string, dtype: string, dim: number, bytes: Uint8Array, length: number): Column {
  const make = ARROW[dtype];
  if (make === undefined)
    throw new StudioError({
      code: 'failed_precondition',
      message: `feature "${name}" has dtype ${dtype}, which the exporter cannot write`,
    });
  const type = make();
  let values: ArrayLike<number | bigint> | Uint8Array = typedView(dtype, bytes);
  if (dtype === 'bool') {
    const bits = new Uint8Array(Math.ceil(bytes.length / 8));
    bytes.forEach((v, i) => {
      if (v !== 0) bits[i >> 3]! |= 1 << (i & 7);
    });
    values = bits;
  }
  // makeData's props are typed per DataType; `type` is chosen at run time from the dtype.
  const makeFlat = makeData as unknown as (props: { type: DataType; length: number; data: unknown }) => Data;
  const child = makeFlat({ type, length: length * dim, data: values });
  if (dim === 1) return { name, kind: 'vector', vector: makeVector(child) };
  const list = new FixedSizeList(dim, new Field('item', type, true));
  return { name, kind: 'vector', vector: makeVector(makeData({ type: list, length, nullCount: 0, child })) };
}

/** The numbers of a column for statistics. */
export function importedNumbers(dtype: string, bytes: Uint8Array): number[] {
  return Array.from(typedView(dtype, bytes) as ArrayLike<number | bigint>, Number);
}
