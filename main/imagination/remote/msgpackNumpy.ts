/**
 * msgpack with numpy arrays, byte for byte as openpi_client's `msgpack_numpy` packs and unpacks it
 * (`msgpack.Packer(default=pack_array)` / `msgpack.unpackb(object_hook=unpack_array)`, msgpack ≥ 1.0
 * defaults: `use_bin_type=True`, `raw=False`, `strict_map_key=True`). Pinned by fixtures packed by
 * openpi_client itself (test/fixtures/openpi/, made by test/support/make_openpi_fixtures.py).
 *
 * The wire, as Python writes it:
 * - an `np.ndarray` is a map with **bin** keys, in this order: `b"__ndarray__": True`,
 *   `b"data": <bin, arr.tobytes() (C order)>`, `b"dtype": <str, dtype.str, e.g. "<f4">`,
 *   `b"shape": <array of ints>`. Only a bin `__ndarray__` key makes a map an array (a str key does not).
 * - a numpy scalar that is not a Python `float`/`int` subclass (`np.float32`, `np.int64`, `np.bool_`) is
 *   `{b"__npgeneric__": True, b"data": item(), b"dtype": dtype.str}`; `np.float64` *is* a `float` and goes
 *   as a plain float64.
 * - ints take the smallest msgpack int form; floats are float64 (0xcb); str is UTF-8 (fixstr/str8/16/32);
 *   bytes are bin8/16/32; lists and tuples are arrays; dicts are maps in insertion order.
 *
 * In TypeScript: a map is a plain object (keys in insertion order — a JS object puts integer-like keys
 * such as `"0"` first, which openpi keys never are); an integral `number` is packed as an int, any other
 * number as float64 (so a Python float `1.0` decodes to `1` and re-encodes as an int: use arrays for
 * numeric data); a bigint packs as int64/uint64; decoded ints outside ±2^53 come back as bigint.
 */
import {
  NdArray,
  NpScalar,
  bytesOfTypedArray,
  dtypeOfWire,
  itemsizeOf,
  typedArrayFromBytes,
  wireOfDtype,
  type NumpyDtype,
} from './ndarray';

export type PackValue = null | boolean | number | bigint | string | Uint8Array | NdArray | NpScalar | readonly PackValue[] | PackMap;

/** A msgpack map with string keys (openpi's dicts: `"observation/state"`, `"actions"`, …). */
export interface PackMap {
  readonly [key: string]: PackValue;
}

/** Anything wrong with a frame or a value: what, where (byte offset and key path) and why. */
export class MsgpackNumpyError extends Error {
  constructor(
    message: string,
    /** Key path to the value, e.g. `actions` or `server_timing.infer_ms`; `(root)` at the top. */
    readonly path: string,
    /** Byte offset in the frame, when decoding. */
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'MsgpackNumpyError';
  }
}

/** Python msgpack's default nesting limit for packing (and well inside its unpacker's stack). */
const MAX_DEPTH = 511;
const NDARRAY_KEY = '__ndarray__';
const NPGENERIC_KEY = '__npgeneric__';

function formatKeyPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? key : `.${key}`;
  return out === '' ? '(root)' : out;
}

// ---- decoding --------------------------------------------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

interface MapEntry {
  key: string;
  /** The key came as msgpack bin (Python `bytes`), as msgpack-numpy's marker keys do. */
  bin: boolean;
  value: PackValue;
}

class FrameReader {
  private offset = 0;
  private readonly view: DataView;
  readonly path: (string | number)[] = [];

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  fail(message: string, at = this.offset): never {
    throw new MsgpackNumpyError(
      `${message} (at byte ${at} of ${this.bytes.length}, ${formatKeyPath(this.path)})`,
      formatKeyPath(this.path),
      at,
    );
  }

  private need(count: number, what: string): number {
    const at = this.offset;
    if (count > this.remaining) this.fail(`the frame ends inside ${what}: it needs ${count} bytes, ${this.remaining} are left`, at);
    this.offset += count;
    return at;
  }

  u8(what: string): number {
    return this.view.getUint8(this.need(1, what));
  }
  u16(what: string): number {
    return this.view.getUint16(this.need(2, what));
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what));
  }
  i8(what: string): number {
    return this.view.getInt8(this.need(1, what));
  }
  i16(what: string): number {
    return this.view.getInt16(this.need(2, what));
  }
  i32(what: string): number {
    return this.view.getInt32(this.need(4, what));
  }
  u64(what: string): bigint {
    return this.view.getBigUint64(this.need(8, what));
  }
  i64(what: string): bigint {
    return this.view.getBigInt64(this.need(8, what));
  }
  f32(what: string): number {
    return this.view.getFloat32(this.need(4, what));
  }
  f64(what: string): number {
    return this.view.getFloat64(this.need(8, what));
  }
  take(count: number, what: string): Uint8Array {
    const at = this.need(count, what);
    return this.bytes.subarray(at, at + count);
  }
}

const narrowInt = (value: bigint): number | bigint =>
  value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;

function readString(reader: FrameReader, length: number): string {
  const at = reader.position;
  const bytes = reader.take(length, `a str of ${length} bytes`);
  try {
    return utf8.decode(bytes);
  } catch {
    return reader.fail('a str is not valid UTF-8', at);
  }
}

function readArray(reader: FrameReader, length: number, depth: number): PackValue[] {
  // Every item takes at least one byte: a declared length past the frame's end is caught before allocating.
  if (length > reader.remaining) reader.fail(`an array declares ${length} items but only ${reader.remaining} bytes are left`);
  const items: PackValue[] = [];
  for (let index = 0; index < length; index++) {
    reader.path.push(index);
    items.push(readValue(reader, depth + 1));
    reader.path.pop();
  }
  return items;
}

function readMap(reader: FrameReader, length: number, depth: number): PackValue {
  if (length * 2 > reader.remaining) reader.fail(`a map declares ${length} entries but only ${reader.remaining} bytes are left`);
  const entries: MapEntry[] = [];
  for (let index = 0; index < length; index++) {
    const at = reader.position;
    const key = readValue(reader, depth + 1);
    let entry: Omit<MapEntry, 'value'>;
    if (typeof key === 'string') entry = { key, bin: false };
    else if (key instanceof Uint8Array) {
      try {
        entry = { key: utf8.decode(key), bin: true };
      } catch {
        return reader.fail('a map key (bin) is not valid UTF-8', at);
      }
    } else {
      // Python's unpacker (strict_map_key=True) refuses these too.
      return reader.fail(`a map key is a ${describe(key)}; openpi maps have str (or bytes) keys`, at);
    }
    reader.path.push(entry.key);
    entries.push({ ...entry, value: readValue(reader, depth + 1) });
    reader.path.pop();
  }
  return objectFromEntries(reader, entries);
}

/** msgpack-numpy's `unpack_array`: the bin marker keys make an array or a scalar; any other map stays a map. */
function objectFromEntries(reader: FrameReader, entries: readonly MapEntry[]): PackValue {
  const binField = (name: string): PackValue | undefined => {
    let found: PackValue | undefined;
    for (const entry of entries) if (entry.bin && entry.key === name) found = entry.value;
    return found;
  };
  if (binField(NDARRAY_KEY) !== undefined) return ndarrayFromFields(reader, binField('data'), binField('dtype'), binField('shape'));
  if (binField(NPGENERIC_KEY) !== undefined) return npScalarFromFields(reader, binField('data'), binField('dtype'));
  const map: Record<string, PackValue> = {};
  // defineProperty, so a key named `__proto__` is a key and not the prototype.
  for (const entry of entries)
    Object.defineProperty(map, entry.key, { value: entry.value, enumerable: true, writable: true, configurable: true });
  return map;
}

function wireDtype(reader: FrameReader, dtype: PackValue | undefined, what: string): { dtype: NumpyDtype; big_endian: boolean } {
  const text = typeof dtype === 'string' ? dtype : dtype instanceof Uint8Array ? new TextDecoder().decode(dtype) : undefined;
  if (text === undefined) return reader.fail(`${what} has no dtype string (found ${dtype === undefined ? 'nothing' : describe(dtype)})`);
  const known = dtypeOfWire(text);
  if (known === undefined)
    return reader.fail(`${what} has dtype "${text}", which the studio does not read (bool, int8…int64, uint8…uint64, float32, float64)`);
  return known;
}

function ndarrayFromFields(
  reader: FrameReader,
  data: PackValue | undefined,
  dtype: PackValue | undefined,
  shape: PackValue | undefined,
): NdArray {
  const { dtype: numpyDtype, big_endian } = wireDtype(reader, dtype, 'an ndarray');
  if (!Array.isArray(shape))
    return reader.fail(`an ndarray has no shape list (found ${shape === undefined ? 'nothing' : describe(shape as PackValue)})`);
  const dims: number[] = [];
  for (const size of shape as readonly PackValue[]) {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
      return reader.fail(
        `an ndarray's shape [${(shape as readonly PackValue[]).map(describeShort).join(', ')}] has a size that is not a whole number ≥ 0`,
      );
    dims.push(size);
  }
  if (!(data instanceof Uint8Array))
    return reader.fail(`an ndarray's data is ${data === undefined ? 'missing' : `a ${describe(data)}, not bytes`}`);
  const count = dims.reduce((product, size) => product * size, 1);
  const expected = count * itemsizeOf(numpyDtype);
  if (data.length !== expected)
    return reader.fail(`an ndarray of ${numpyDtype} [${dims.join(', ')}] needs ${expected} data bytes, the frame has ${data.length}`);
  return new NdArray(numpyDtype, dims, typedArrayFromBytes(numpyDtype, data, big_endian));
}

function npScalarFromFields(reader: FrameReader, data: PackValue | undefined, dtype: PackValue | undefined): NpScalar {
  const { dtype: numpyDtype } = wireDtype(reader, dtype, 'a numpy scalar');
  if (typeof data === 'boolean') return new NpScalar(numpyDtype, numpyDtype === 'bool' ? data : Number(data));
  if (typeof data === 'number' || typeof data === 'bigint') {
    if (numpyDtype === 'bool') return new NpScalar('bool', data !== 0 && data !== 0n);
    return new NpScalar(numpyDtype, numpyDtype === 'float32' || numpyDtype === 'float64' ? Number(data) : data);
  }
  return reader.fail(`a numpy scalar's data is ${data === undefined ? 'missing' : `a ${describe(data)}, not a number or bool`}`);
}

function readValue(reader: FrameReader, depth: number): PackValue {
  if (depth > MAX_DEPTH) reader.fail(`values nest deeper than ${MAX_DEPTH} levels`);
  const at = reader.position;
  const head = reader.u8('a value');
  if (head <= 0x7f) return head;
  if (head >= 0xe0) return head - 0x100;
  if (head >= 0x80 && head <= 0x8f) return readMap(reader, head - 0x80, depth);
  if (head >= 0x90 && head <= 0x9f) return readArray(reader, head - 0x90, depth);
  if (head >= 0xa0 && head <= 0xbf) return readString(reader, head - 0xa0);
  switch (head) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return reader.take(reader.u8('a bin8 length'), 'a bin8').slice();
    case 0xc5:
      return reader.take(reader.u16('a bin16 length'), 'a bin16').slice();
    case 0xc6:
      return reader.take(reader.u32('a bin32 length'), 'a bin32').slice();
    case 0xca:
      return reader.f32('a float32');
    case 0xcb:
      return reader.f64('a float64');
    case 0xcc:
      return reader.u8('a uint8');
    case 0xcd:
      return reader.u16('a uint16');
    case 0xce:
      return reader.u32('a uint32');
    case 0xcf:
      return narrowInt(reader.u64('a uint64'));
    case 0xd0:
      return reader.i8('an int8');
    case 0xd1:
      return reader.i16('an int16');
    case 0xd2:
      return reader.i32('an int32');
    case 0xd3:
      return narrowInt(reader.i64('an int64'));
    case 0xd9:
      return readString(reader, reader.u8('a str8 length'));
    case 0xda:
      return readString(reader, reader.u16('a str16 length'));
    case 0xdb:
      return readString(reader, reader.u32('a str32 length'));
    case 0xdc:
      return readArray(reader, reader.u16('an array16 length'), depth);
    case 0xdd:
      return readArray(reader, reader.u32('an array32 length'), depth);
    case 0xde:
      return readMap(reader, reader.u16('a map16 length'), depth);
    case 0xdf:
      return readMap(reader, reader.u32('a map32 length'), depth);
    case 0xc1:
      return reader.fail('byte 0xc1 is never used in msgpack: this is not a msgpack frame', at);
    default:
      // 0xc7-0xc9, 0xd4-0xd8: ext types (timestamps, custom), which msgpack-numpy never writes.
      return reader.fail(`msgpack ext type 0x${head.toString(16)} is not part of openpi's protocol`, at);
  }
}

/** `msgpack_numpy.unpackb`: one value filling the whole frame, arrays and numpy scalars restored. */
export function unpackb(frame: Uint8Array): PackValue {
  const reader = new FrameReader(frame);
  if (frame.length === 0) reader.fail('the frame is empty');
  const value = readValue(reader, 0);
  if (reader.remaining > 0) reader.fail(`${reader.remaining} bytes follow the value (one frame holds one value)`);
  return value;
}

// ---- encoding --------------------------------------------------------------------------------------

class FrameWriter {
  private buffer = new Uint8Array(1024);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  private reserve(count: number): number {
    const at = this.length;
    if (at + count > this.buffer.length) {
      let size = this.buffer.length * 2;
      while (size < at + count) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buffer.subarray(0, at));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length += count;
    return at;
  }

  // Every method reserves before touching `buffer`/`view`: reserving may replace them.
  u8(value: number): void {
    const at = this.reserve(1);
    this.view.setUint8(at, value);
  }
  head8(head: number, value: number): void {
    const at = this.reserve(2);
    this.view.setUint8(at, head);
    this.view.setUint8(at + 1, value);
  }
  head16(head: number, value: number): void {
    const at = this.reserve(3);
    this.view.setUint8(at, head);
    this.view.setUint16(at + 1, value);
  }
  head32(head: number, value: number): void {
    const at = this.reserve(5);
    this.view.setUint8(at, head);
    this.view.setUint32(at + 1, value);
  }
  int8(value: number): void {
    const at = this.reserve(2);
    this.view.setUint8(at, 0xd0);
    this.view.setInt8(at + 1, value);
  }
  int16(value: number): void {
    const at = this.reserve(3);
    this.view.setUint8(at, 0xd1);
    this.view.setInt16(at + 1, value);
  }
  int32(value: number): void {
    const at = this.reserve(5);
    this.view.setUint8(at, 0xd2);
    this.view.setInt32(at + 1, value);
  }
  int64(head: 0xcf | 0xd3, value: bigint): void {
    const at = this.reserve(9);
    this.view.setUint8(at, head);
    if (head === 0xcf) this.view.setBigUint64(at + 1, value);
    else this.view.setBigInt64(at + 1, value);
  }
  float64(value: number): void {
    const at = this.reserve(9);
    this.view.setUint8(at, 0xcb);
    this.view.setFloat64(at + 1, value);
  }
  bytes(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.buffer.set(bytes, at);
  }

  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** Python msgpack's int forms, smallest first (fallback.py `_pack`). */
function writeInt(writer: FrameWriter, value: number | bigint, path: readonly (string | number)[]): void {
  if (typeof value === 'bigint') {
    if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return writeInt(writer, Number(value), path);
    if (value < INT64_MIN || value > UINT64_MAX)
      throw new MsgpackNumpyError(`${formatKeyPath(path)}: ${value} does not fit in 64 bits`, formatKeyPath(path));
    return writer.int64(value < 0n ? 0xd3 : 0xcf, value);
  }
  if (value >= 0) {
    if (value < 0x80) writer.u8(value);
    else if (value <= 0xff) writer.head8(0xcc, value);
    else if (value <= 0xffff) writer.head16(0xcd, value);
    else if (value <= 0xffffffff) writer.head32(0xce, value);
    else writer.int64(0xcf, BigInt(value));
  } else if (value >= -0x20) writer.u8(value + 0x100);
  else if (value >= -0x80) writer.int8(value);
  else if (value >= -0x8000) writer.int16(value);
  else if (value >= -0x80000000) writer.int32(value);
  else writer.int64(0xd3, BigInt(value));
}

function writeLength(
  writer: FrameWriter,
  length: number,
  fix: { base: number; max: number } | undefined,
  head8: number | undefined,
  head16: number,
  head32: number,
): void {
  if (fix !== undefined && length <= fix.max) writer.u8(fix.base + length);
  else if (head8 !== undefined && length <= 0xff) writer.head8(head8, length);
  else if (length <= 0xffff) writer.head16(head16, length);
  else writer.head32(head32, length);
}

function writeStr(writer: FrameWriter, text: string): void {
  const bytes = utf8Encoder.encode(text);
  writeLength(writer, bytes.length, { base: 0xa0, max: 0x1f }, 0xd9, 0xda, 0xdb);
  writer.bytes(bytes);
}

function writeBin(writer: FrameWriter, bytes: Uint8Array): void {
  writeLength(writer, bytes.length, undefined, 0xc4, 0xc5, 0xc6);
  writer.bytes(bytes);
}

const markerKey = (name: string): Uint8Array => utf8Encoder.encode(name);
const NDARRAY_BIN = markerKey(NDARRAY_KEY);
const NPGENERIC_BIN = markerKey(NPGENERIC_KEY);
const DATA_BIN = markerKey('data');
const DTYPE_BIN = markerKey('dtype');
const SHAPE_BIN = markerKey('shape');

/** msgpack-numpy's `pack_array` for an ndarray: a 4-entry map with bin keys, in Python's dict order. */
function writeNdArray(writer: FrameWriter, array: NdArray): void {
  writer.u8(0x84);
  writeBin(writer, NDARRAY_BIN);
  writer.u8(0xc3);
  writeBin(writer, DATA_BIN);
  writeBin(writer, bytesOfTypedArray(array.data, array.dtype));
  writeBin(writer, DTYPE_BIN);
  writeStr(writer, wireOfDtype(array.dtype));
  writeBin(writer, SHAPE_BIN);
  writeLength(writer, array.shape.length, { base: 0x90, max: 0x0f }, undefined, 0xdc, 0xdd);
  for (const size of array.shape) writeInt(writer, size, []);
}

/** `pack_array` for a numpy scalar: `item()` is a Python float (always float64), int or bool. */
function writeNpScalar(writer: FrameWriter, scalar: NpScalar, path: readonly (string | number)[]): void {
  writer.u8(0x83);
  writeBin(writer, NPGENERIC_BIN);
  writer.u8(0xc3);
  writeBin(writer, DATA_BIN);
  const { dtype, value } = scalar;
  if (dtype === 'bool') writer.u8(value === true || (typeof value !== 'boolean' && Number(value) !== 0) ? 0xc3 : 0xc2);
  else if (dtype === 'float32' || dtype === 'float64') writer.float64(Number(value));
  else if (typeof value === 'boolean') writeInt(writer, value ? 1 : 0, path);
  else if (typeof value === 'number' && !Number.isInteger(value))
    throw new MsgpackNumpyError(`${formatKeyPath(path)}: a numpy ${dtype} scalar holds ${value}, not an integer`, formatKeyPath(path));
  else writeInt(writer, value, path);
  writeBin(writer, DTYPE_BIN);
  writeStr(writer, wireOfDtype(dtype));
}

function isPlainObject(value: object): value is PackMap {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function writeValue(writer: FrameWriter, value: PackValue | undefined, path: (string | number)[]): void {
  if (path.length > MAX_DEPTH)
    throw new MsgpackNumpyError(`${formatKeyPath(path)}: values nest deeper than ${MAX_DEPTH} levels`, formatKeyPath(path));
  if (value === null) return writer.u8(0xc0);
  switch (typeof value) {
    case 'boolean':
      return writer.u8(value ? 0xc3 : 0xc2);
    case 'number':
      // Integral numbers go as Python ints; everything else (and -0, NaN, ±Infinity) as a Python float.
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) return writeInt(writer, value, path);
      return writer.float64(value);
    case 'bigint':
      return writeInt(writer, value, path);
    case 'string':
      return writeStr(writer, value);
    case 'object':
      break;
    default:
      throw new MsgpackNumpyError(`${formatKeyPath(path)}: a ${typeof value} cannot be packed`, formatKeyPath(path));
  }
  if (value instanceof NdArray) return writeNdArray(writer, value);
  if (value instanceof NpScalar) return writeNpScalar(writer, value, path);
  if (value instanceof Uint8Array) return writeBin(writer, value);
  if (ArrayBuffer.isView(value)) {
    throw new MsgpackNumpyError(
      `${formatKeyPath(path)}: a bare ${value.constructor.name} has no shape or dtype; wrap it in an NdArray`,
      formatKeyPath(path),
    );
  }
  if (Array.isArray(value)) {
    const items = value as readonly PackValue[];
    writeLength(writer, items.length, { base: 0x90, max: 0x0f }, undefined, 0xdc, 0xdd);
    items.forEach((item, index) => {
      path.push(index);
      writeValue(writer, item, path);
      path.pop();
    });
    return;
  }
  if (!isPlainObject(value))
    throw new MsgpackNumpyError(
      `${formatKeyPath(path)}: a ${value.constructor.name} cannot be packed (maps are plain objects)`,
      formatKeyPath(path),
    );
  const keys = Object.keys(value);
  writeLength(writer, keys.length, { base: 0x80, max: 0x0f }, undefined, 0xde, 0xdf);
  for (const key of keys) {
    writeStr(writer, key);
    path.push(key);
    writeValue(writer, value[key], path);
    path.pop();
  }
}

/** `msgpack_numpy.packb`: the bytes openpi_client's packer writes for the same value. */
export function packb(value: PackValue): Uint8Array {
  const writer = new FrameWriter();
  writeValue(writer, value, []);
  return writer.result();
}

// ---- reading decoded values ------------------------------------------------------------------------

export function isPackMap(value: PackValue | undefined): value is PackMap {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof NdArray) &&
    !(value instanceof NpScalar)
  );
}

/** A short name for a value's kind, for error messages: `str`, `int`, `float32 ndarray [8, 7]`, `map`… */
export function describe(value: PackValue): string {
  if (value === null) return 'nil';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof NdArray) return `${value.dtype} ndarray [${value.shape.join(', ')}]`;
  if (value instanceof NpScalar) return `numpy ${value.dtype} scalar`;
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  return 'map';
}

function describeShort(value: PackValue): string {
  return typeof value === 'number' || typeof value === 'bigint' ? String(value) : describe(value);
}
