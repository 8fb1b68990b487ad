/**
 * numpy arrays and scalars as they travel in openpi's msgpack-numpy frames: a typed array, a C-order
 * shape and the numpy dtype. The dtype names here are numpy's (`float32`, …); on the wire numpy writes
 * `dtype.str` (`<f4`, `|u1`, …), translated by `dtypeOfWire` / `wireOfDtype`.
 */

export interface TypedArrayOfDtype {
  bool: Uint8Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  float32: Float32Array;
  float64: Float64Array;
}

export type NumpyDtype = keyof TypedArrayOfDtype;
export type NumpyTypedArray = TypedArrayOfDtype[NumpyDtype];

interface DtypeFacts {
  /** numpy's `dtype.kind` + item size, as in `dtype.str` without the byte-order character. */
  code: string;
  itemsize: number;
  make: (buffer: ArrayBuffer, length: number) => NumpyTypedArray;
}

const dtypeFacts: { readonly [D in NumpyDtype]: DtypeFacts } = {
  bool: { code: 'b1', itemsize: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  int8: { code: 'i1', itemsize: 1, make: (b, n) => new Int8Array(b, 0, n) },
  uint8: { code: 'u1', itemsize: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  int16: { code: 'i2', itemsize: 2, make: (b, n) => new Int16Array(b, 0, n) },
  uint16: { code: 'u2', itemsize: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  int32: { code: 'i4', itemsize: 4, make: (b, n) => new Int32Array(b, 0, n) },
  uint32: { code: 'u4', itemsize: 4, make: (b, n) => new Uint32Array(b, 0, n) },
  int64: { code: 'i8', itemsize: 8, make: (b, n) => new BigInt64Array(b, 0, n) },
  uint64: { code: 'u8', itemsize: 8, make: (b, n) => new BigUint64Array(b, 0, n) },
  float32: { code: 'f4', itemsize: 4, make: (b, n) => new Float32Array(b, 0, n) },
  float64: { code: 'f8', itemsize: 8, make: (b, n) => new Float64Array(b, 0, n) },
};

export const numpyDtypes = Object.keys(dtypeFacts) as NumpyDtype[];

/** Typed arrays are read and written in host byte order; numpy's `<` is little-endian. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function itemsizeOf(dtype: NumpyDtype): number {
  return dtypeFacts[dtype].itemsize;
}

/** numpy's `dtype.str` for an array this module writes: little-endian, `|` for one-byte types. */
export function wireOfDtype(dtype: NumpyDtype): string {
  const facts = dtypeFacts[dtype];
  return `${facts.itemsize === 1 ? '|' : '<'}${facts.code}`;
}

/**
 * A wire dtype (`<f4`, `>i8`, `|u1`, …) → the dtype and whether its bytes are big-endian; undefined for
 * dtypes this module does not carry (float16, complex, strings, records, objects).
 */
export function dtypeOfWire(wire: string): { dtype: NumpyDtype; big_endian: boolean } | undefined {
  const order = wire[0];
  if (order !== '<' && order !== '>' && order !== '|' && order !== '=') return undefined;
  const code = wire.slice(1);
  const dtype = numpyDtypes.find((candidate) => dtypeFacts[candidate].code === code);
  if (dtype === undefined) return undefined;
  // `dtype.str` says `|` for one-byte types; `|` and `=` both mean the sender's native order, taken as ours.
  const big_endian = dtypeFacts[dtype].itemsize > 1 && (order === '>' || (order !== '<' && !HOST_IS_LITTLE_ENDIAN));
  return { dtype, big_endian };
  return undefined;
}

/** A typed array of `length` items over a fresh buffer holding `bytes` (copied; swapped when big-endian). */
export function typedArrayFromBytes(dtype: NumpyDtype, bytes: Uint8Array, big_endian: boolean): NumpyTypedArray {
  const { itemsize, make } = dtypeFacts[dtype];
  const buffer = new ArrayBuffer(bytes.byteLength);
  const copy = new Uint8Array(buffer);
  copy.set(bytes);
  if (itemsize > 1 && big_endian === HOST_IS_LITTLE_ENDIAN) {
    for (let at = 0; at < copy.length; at += itemsize) copy.subarray(at, at + itemsize).reverse();
  }
  return make(buffer, bytes.byteLength / itemsize);
}

/** The little-endian bytes numpy's `tobytes()` gives for `data` (a view where the host is little-endian). */
export function bytesOfTypedArray(data: NumpyTypedArray, dtype: NumpyDtype): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const itemsize = itemsizeOf(dtype);
  if (HOST_IS_LITTLE_ENDIAN || itemsize === 1) return view;
  const copy = Uint8Array.from(view);
  for (let at = 0; at < copy.length; at += itemsize) copy.subarray(at, at + itemsize).reverse();
  return copy;
}

function typedArrayMatches(dtype: NumpyDtype, data: NumpyTypedArray): boolean {
  switch (dtype) {
    case 'bool':
    case 'uint8':
      return data instanceof Uint8Array;
    case 'int8':
      return data instanceof Int8Array;
    case 'int16':
      return data instanceof Int16Array;
    case 'uint16':
      return data instanceof Uint16Array;
    case 'int32':
      return data instanceof Int32Array;
    case 'uint32':
      return data instanceof Uint32Array;
    case 'int64':
      return data instanceof BigInt64Array;
    case 'uint64':
      return data instanceof BigUint64Array;
    case 'float32':
      return data instanceof Float32Array;
    case 'float64':
      return data instanceof Float64Array;
  }
}

/** A numpy `ndarray`: C-order data, its shape (`[]` for a 0-d array) and dtype. */
export class NdArray<D extends NumpyDtype = NumpyDtype> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayOfDtype[D];

  constructor(dtype: D, shape: readonly number[], data: TypedArrayOfDtype[D]) {
    for (const size of shape) {
      if (!Number.isSafeInteger(size) || size < 0)
        throw new RangeError(`ndarray shape [${shape.join(', ')}]: every size must be a whole number ≥ 0`);
    }
    const count = shape.reduce((product, size) => product * size, 1);
    if (!typedArrayMatches(dtype, data))
      throw new TypeError(
        `ndarray of ${dtype} needs a ${dtype === 'bool' ? 'Uint8Array' : 'matching typed array'}, got ${data.constructor.name}`,
      );
    if (data.length !== count)
      throw new RangeError(`ndarray shape [${shape.join(', ')}] holds ${count} items, the data has ${data.length}`);
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  get size(): number {
    return this.data.length;
  }
}

/** A numpy scalar that is not a Python scalar subclass (`np.float32`, `np.int64`, `np.bool_`, …): msgpack-numpy's `__npgeneric__`. */
export class NpScalar {
  constructor(
    readonly dtype: NumpyDtype,
    readonly value: number | bigint | boolean,
  ) {}
}
