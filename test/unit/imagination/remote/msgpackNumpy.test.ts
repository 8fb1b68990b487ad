import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MsgpackNumpyError, packb, unpackb, type PackMap, type PackValue } from '../../../../main/imagination/remote/msgpackNumpy';
import { NdArray, NpScalar, dtypeOfWire, type NumpyDtype, type TypedArrayOfDtype } from '../../../../main/imagination/remote/ndarray';

/**
 * The codec against frames packed by openpi_client's own `msgpack_numpy.packb` (made by
 * test/support/make_openpi_fixtures.py; fixtures.json says what each frame holds, in tagged JSON).
 */
const DIR = resolve('test/fixtures/openpi');

// Arrays compare by dtype, shape and exact bytes (NaN-safe, and fast where deep equality on 150 k items is not).
expect.addEqualityTesters([
  (a: unknown, b: unknown) => {
    if (!(a instanceof NdArray) || !(b instanceof NdArray)) return undefined;
    const bytes = (array: NdArray): Buffer => Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength);
    return a.dtype === b.dtype && a.shape.join() === b.shape.join() && bytes(a).equals(bytes(b));
  },
]);

interface FrameFixture {
  file: string;
  bytes: number;
  value: unknown;
}
const fixtures = JSON.parse(readFileSync(join(DIR, 'fixtures.json'), 'utf8')) as { made_by: string; frames: Record<string, FrameFixture> };

function frameBytes(name: string): Uint8Array {
  const fixture = fixtures.frames[name];
  if (fixture === undefined) throw new Error(`no fixture frame ${name}`);
  return new Uint8Array(readFileSync(join(DIR, fixture.file)));
}

function fixtureValue(name: string): PackValue {
  const fixture = fixtures.frames[name];
  if (fixture === undefined) throw new Error(`no fixture frame ${name}`);
  return fromTaggedJson(fixture.value);
}

function number(json: unknown): number | bigint | boolean {
  if (typeof json === 'number' || typeof json === 'boolean') return json;
  const tag = json as { $int?: string; $float?: string };
  if (tag.$int !== undefined) return BigInt(tag.$int);
  switch (tag.$float) {
    case 'nan':
      return NaN;
    case 'inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case '-0':
      return -0;
  }
  throw new Error(`not a number in the fixture: ${JSON.stringify(json)}`);
}

function typedArray<D extends NumpyDtype>(dtype: D, values: readonly (number | bigint | boolean)[]): TypedArrayOfDtype[D] {
  const asNumbers = (): number[] => values.map(Number);
  const asBigints = (): bigint[] => values.map((v) => BigInt(v));
  const made: { [K in NumpyDtype]: () => TypedArrayOfDtype[K] } = {
    bool: () => Uint8Array.from(asNumbers()),
    int8: () => Int8Array.from(asNumbers()),
    uint8: () => Uint8Array.from(asNumbers()),
    int16: () => Int16Array.from(asNumbers()),
    uint16: () => Uint16Array.from(asNumbers()),
    int32: () => Int32Array.from(asNumbers()),
    uint32: () => Uint32Array.from(asNumbers()),
    int64: () => BigInt64Array.from(asBigints()),
    uint64: () => BigUint64Array.from(asBigints()),
    float32: () => Float32Array.from(asNumbers()),
    float64: () => Float64Array.from(asNumbers()),
  };
  return made[dtype]();
}

/** The fixture image: uint8 [h, w, 3], value (7y + 13x + 50c + seed) mod 256. */
function image(height: number, width: number, seed: number): NdArray<'uint8'> {
  const data = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (y * 7 + x * 13 + c * 50 + seed) % 256;
  return new NdArray('uint8', [height, width, 3], data);
}

function fromTaggedJson(json: unknown): PackValue {
  if (json === null || typeof json === 'string' || typeof json === 'boolean') return json;
  if (typeof json === 'number') return json;
  if (Array.isArray(json)) return json.map(fromTaggedJson);
  const tagged = json as Record<string, any>;
  if ('$int' in tagged || '$float' in tagged) return number(tagged) as number | bigint;
  if ('$ndarray' in tagged) {
    const spec = tagged.$ndarray as { dtype: string; shape: number[]; values: unknown[] };
    const wire = dtypeOfWire(spec.dtype);
    if (wire === undefined) throw new Error(`fixture dtype ${spec.dtype}`);
    return new NdArray(wire.dtype, spec.shape, typedArray(wire.dtype, spec.values.map(number)));
  }
  if ('$npgeneric' in tagged) {
    const spec = tagged.$npgeneric as { dtype: string; value: unknown };
    const wire = dtypeOfWire(spec.dtype);
    if (wire === undefined) throw new Error(`fixture dtype ${spec.dtype}`);
    return new NpScalar(wire.dtype, number(spec.value));
  }
  if ('$image' in tagged) {
    const spec = tagged.$image as { height: number; width: number; seed: number };
    return image(spec.height, spec.width, spec.seed);
  }
  if ('$bytes' in tagged) {
    const spec = tagged.$bytes as { hex?: string; length?: number; step?: number };
    if (spec.hex !== undefined) return new Uint8Array(Buffer.from(spec.hex, 'hex'));
    return Uint8Array.from({ length: spec.length ?? 0 }, (_, i) => (i * (spec.step ?? 0)) % 256);
  }
  if ('$str' in tagged) {
    const spec = tagged.$str as { repeat: string; times: number };
    return spec.repeat.repeat(spec.times);
  }
  const map: Record<string, PackValue> = {};
  for (const [key, value] of Object.entries(tagged)) map[key] = fromTaggedJson(value);
  return map;
}

/** Byte equality without printing 100 kB on a mismatch: the first differing offset, -1 when equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

function thrown(run: () => unknown): MsgpackNumpyError {
  try {
    run();
  } catch (error) {
    if (error instanceof MsgpackNumpyError) return error;
    throw error;
  }
  throw new Error('expected a MsgpackNumpyError');
}

describe('msgpack-numpy: frames packed by openpi_client', () => {
  test('the fixtures were made by openpi_client', () => {
    expect(fixtures.made_by).toMatch(/^openpi_client\.msgpack_numpy\.packb/);
    for (const [name, fixture] of Object.entries(fixtures.frames)) expect(frameBytes(name).length, name).toBe(fixture.bytes);
  });

  for (const name of ['observation', 'reply', 'metadata', 'scalars', 'decode_only']) {
    test(`${name}: decodes to exactly the values openpi_client packed`, () => {
      expect(unpackb(frameBytes(name))).toEqual(fixtureValue(name));
    });
  }

  for (const name of ['observation', 'reply', 'metadata', 'scalars']) {
    test(`${name}: the same values encode to exactly openpi_client's bytes`, () => {
      const ours = packb(fixtureValue(name));
      const theirs = frameBytes(name);
      expect(firstDifference(ours, theirs)).toBe(-1);
    });
  }

  test('the reply carries actions float32 [8, 7] and the server timing', () => {
    const reply = unpackb(frameBytes('reply')) as PackMap;
    const actions = reply.actions as NdArray<'float32'>;
    expect(actions).toBeInstanceOf(NdArray);
    expect(actions.dtype).toBe('float32');
    expect(actions.shape).toEqual([8, 7]);
    expect(actions.data[0 * 7 + 6]).toBe(0.125);
    expect(reply.server_timing).toEqual({ infer_ms: 42.0625, prev_total_ms: 97.53125 });
  });

  test('special floats, -0 and 64-bit ints survive', () => {
    const scalars = unpackb(frameBytes('scalars')) as PackMap;
    const floats = scalars.floats as number[];
    expect(Number.isNaN(floats[3])).toBe(true);
    expect(floats[4]).toBe(Infinity);
    expect(Object.is(floats[6], -0)).toBe(true);
    const ints = scalars.ints as (number | bigint)[];
    expect(ints).toContain(2n ** 64n - 1n);
    expect(ints).toContain(-(2n ** 63n));
    expect(ints).toContain(Number.MAX_SAFE_INTEGER);
    // np.float64 is a Python float: it travels as a plain float; np.float32 as a numpy scalar.
    expect(scalars.f64_scalar).toBe(0.3);
    expect(scalars.f32_scalar).toEqual(new NpScalar('float32', Math.fround(0.3)));
  });

  test('decode-only frames: big-endian arrays are swapped; a str-keyed marker and bytes keys stay maps', () => {
    const value = unpackb(frameBytes('decode_only')) as PackMap;
    expect(Array.from((value.big_endian as NdArray<'float32'>).data)).toEqual([1.5, -2.25]);
    expect(Array.from((value.big_endian_i8 as NdArray<'int64'>).data)).toEqual([-3n, 2n ** 40n]);
    expect(value.str_marker).toEqual({ __ndarray__: true, data: Uint8Array.of(7), dtype: '|u1', shape: [1] });
    expect(value.bin_key_map).toEqual({ raw_key: 1 });
  });
});

describe('msgpack-numpy: round trips', () => {
  test('every dtype, shape and value kind comes back equal', () => {
    const value: PackMap = {
      f32: new NdArray('float32', [2, 3], Float32Array.of(0.5, -1.25, 3, NaN, Infinity, -0)),
      f64: new NdArray('float64', [3], Float64Array.of(Math.PI, -Math.E, 1e-300)),
      u8: new NdArray(
        'uint8',
        [224, 224, 3],
        Uint8Array.from({ length: 224 * 224 * 3 }, (_, i) => i % 251),
      ),
      i8: new NdArray('int8', [2], Int8Array.of(-128, 127)),
      i16: new NdArray('int16', [2], Int16Array.of(-32768, 32767)),
      u16: new NdArray('uint16', [1], Uint16Array.of(65535)),
      i32: new NdArray('int32', [2], Int32Array.of(-(2 ** 31), 2 ** 31 - 1)),
      u32: new NdArray('uint32', [1], Uint32Array.of(2 ** 32 - 1)),
      i64: new NdArray('int64', [2], BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n)),
      u64: new NdArray('uint64', [1], BigUint64Array.of(2n ** 64n - 1n)),
      bool: new NdArray('bool', [2, 2], Uint8Array.of(1, 0, 0, 1)),
      scalar_0d: new NdArray('float64', [], Float64Array.of(2.5)),
      empty: new NdArray('float32', [0, 7], new Float32Array(0)),
      np_scalars: [
        new NpScalar('int64', 3),
        new NpScalar('bool', true),
        new NpScalar('float32', 0.5),
        new NpScalar('uint64', 2n ** 64n - 1n),
      ],
      text: 'Δxyz → ✓ 🤖',
      long_text: 'x'.repeat(70_000),
      bytes: Uint8Array.of(0, 1, 255),
      nested: { a: [1, -1, 128, -129, 70_000, -70_000, 2 ** 40, -(2 ** 40), 0.25, null, true, false], b: {} },
      big: 2n ** 63n,
      __proto__key: 1,
    };
    Object.defineProperty(value, '__proto__', { value: 'a key, not the prototype', enumerable: true });
    expect(unpackb(packb(value))).toEqual(value);
    expect(Object.keys(unpackb(packb(value)) as PackMap)).toContain('__proto__');
  });

  test('typed arrays decode into their own aligned buffers', () => {
    // A one-byte key before the array puts its data at an odd offset in the frame.
    const decoded = unpackb(packb({ k: new NdArray('float64', [2], Float64Array.of(1.5, 2.5)) })) as PackMap;
    const array = decoded.k as NdArray<'float64'>;
    expect(array.data.byteOffset).toBe(0);
    expect(Array.from(array.data)).toEqual([1.5, 2.5]);
    // (the byte-wise equality above does tell arrays apart)
    expect(array).not.toEqual(new NdArray('float64', [2], Float64Array.of(1.5, 2.25)));
    expect(array).not.toEqual(new NdArray('float64', [1, 2], Float64Array.of(1.5, 2.5)));
  });
});

describe('msgpack-numpy: malformed input is an error naming what is wrong and where', () => {
  const reply = frameBytes('reply');

  test('an empty frame', () => {
    expect(thrown(() => unpackb(new Uint8Array(0))).message).toMatch(/the frame is empty/);
  });

  test('a truncated frame', () => {
    const error = thrown(() => unpackb(reply.subarray(0, 100)));
    expect(error.message).toMatch(/the frame ends inside a bin8: it needs 224 bytes, \d+ are left/);
    expect(error.path).toBe('actions.data');
  });

  test('bytes after the value', () => {
    expect(thrown(() => unpackb(Uint8Array.of(...reply, 0xc0))).message).toMatch(/1 bytes follow the value/);
  });

  test('the unused byte 0xc1 and ext types', () => {
    expect(thrown(() => unpackb(Uint8Array.of(0xc1))).message).toMatch(/0xc1 is never used in msgpack/);
    expect(thrown(() => unpackb(Uint8Array.of(0xd6, 0xff, 0, 0, 0, 0))).message).toMatch(/ext type 0xd6 is not part of openpi's protocol/);
  });

  test('lengths past the end are refused before allocating', () => {
    expect(thrown(() => unpackb(Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff))).message).toMatch(
      /a map declares 4294967295 entries but only 0 bytes are left/,
    );
    expect(thrown(() => unpackb(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff))).message).toMatch(/an array declares 4294967295 items/);
    expect(thrown(() => unpackb(Uint8Array.of(0xc6, 0xff, 0xff, 0xff, 0xff, 1))).message).toMatch(/the frame ends inside a bin32/);
  });

  test('invalid UTF-8, int keys and nesting too deep', () => {
    expect(thrown(() => unpackb(Uint8Array.of(0xa2, 0xc3, 0x28))).message).toMatch(/not valid UTF-8/);
    expect(thrown(() => unpackb(Uint8Array.of(0x81, 0x01, 0xc0))).message).toMatch(
      /a map key is a int; openpi maps have str \(or bytes\) keys/,
    );
    expect(thrown(() => unpackb(Uint8Array.of(...new Array<number>(600).fill(0x91), 0xc0))).message).toMatch(/nest deeper than 511/);
  });

  test('an ndarray whose data does not fill its shape, or with a dtype the studio does not read', () => {
    const array = packb({ a: new NdArray('float32', [2], Float32Array.of(1, 2)) });
    const wrongShape = array.slice();
    expect(wrongShape[wrongShape.length - 1]).toBe(2); // the shape (fixarray [2]) ends the frame
    wrongShape[wrongShape.length - 1] = 3;
    const error = thrown(() => unpackb(wrongShape));
    expect(error.message).toMatch(/an ndarray of float32 \[3\] needs 12 data bytes, the frame has 8/);
    expect(error.path).toBe('a');

    const text = Buffer.from(array);
    const at = text.indexOf('<f4');
    for (const [dtype, readable] of [
      ['<f2', 'float16'],
      ['<c8', 'complex'],
      ['<U1', 'strings'],
    ] as const) {
      const patched = Uint8Array.from(text);
      patched.set(Buffer.from(dtype), at);
      expect(thrown(() => unpackb(patched)).message, readable).toContain(`dtype "${dtype}", which the studio does not read`);
    }
  });

  test('values that cannot be packed name their path', () => {
    expect(thrown(() => packb({ obs: { state: Float32Array.of(1) as unknown as PackValue } })).message).toMatch(
      /obs\.state: a bare Float32Array has no shape or dtype; wrap it in an NdArray/,
    );
    expect(thrown(() => packb({ list: [undefined as unknown as PackValue] })).message).toMatch(/list\[0\]: a undefined cannot be packed/);
    expect(thrown(() => packb({ when: new Date(0) as unknown as PackValue })).message).toMatch(/when: a Date cannot be packed/);
    expect(thrown(() => packb(2n ** 64n)).message).toMatch(/does not fit in 64 bits/);
    expect(() => new NdArray('float32', [2, 3], new Float32Array(5))).toThrow(/holds 6 items, the data has 5/);
    expect(() => new NdArray('float32', [2], new Float64Array(2) as unknown as Float32Array)).toThrow(/needs a matching typed array/);
  });
});
