/**
 * A minimal protobuf wire-format reader, written from the encoding spec
 * (https://protobuf.dev/programming-guides/encoding/) and independent of protobufjs and of the
 * studio's .proto files: it knows tags, varints, fixed32/64 and length-delimited records, nothing
 * about field names or types. Tests use it to compare messages field by field at the byte level and
 * as a second decoder beside the studio's.
 */

export interface WireRecord {
  field: number;
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  wireType: 0 | 1 | 2 | 5;
  /** The whole record (tag + payload), as it appears in the message. */
  raw: Buffer;
  /** The payload: varint bytes, the 8/4 fixed bytes, or the length-delimited content. */
  payload: Buffer;
}

export class WireError extends Error {}

function readVarint(bytes: Buffer, at: number): { value: bigint; next: number } {
  let value = 0n;
  for (let shift = 0n, i = at; i < bytes.length && shift < 70n; i++, shift += 7n) {
    const byte = bytes[i] ?? 0;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new WireError(`truncated or overlong varint at ${at}`);
}

/** Splits a message into its records, in wire order. Throws `WireError` on malformed input. */
export function readRecords(input: Uint8Array): WireRecord[] {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const records: WireRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const tag = readVarint(bytes, at);
    at = tag.next;
    const field = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (field === 0) throw new WireError(`field number 0 at ${start}`);
    let payloadStart = at;
    let payloadEnd: number;
    if (wireType === 0) {
      payloadEnd = readVarint(bytes, at).next;
    } else if (wireType === 1) {
      payloadEnd = at + 8;
    } else if (wireType === 5) {
      payloadEnd = at + 4;
    } else if (wireType === 2) {
      const length = readVarint(bytes, at);
      payloadStart = length.next;
      payloadEnd = payloadStart + Number(length.value);
    } else {
      throw new WireError(`unsupported wire type ${wireType} at ${start}`);
    }
    if (payloadEnd > bytes.length) throw new WireError(`record for field ${field} runs past the end (${payloadEnd} > ${bytes.length})`);
    records.push({
      field,
      wireType: wireType as WireRecord['wireType'],
      raw: bytes.subarray(start, payloadEnd),
      payload: bytes.subarray(payloadStart, payloadEnd),
    });
    at = payloadEnd;
  }
  return records;
}

/** The records of `field` (all of them: repeated and split records stay separate). */
export function recordsOf(bytes: Uint8Array, field: number): WireRecord[] {
  return readRecords(bytes).filter((record) => record.field === field);
}

/** The last record of `field`'s payload (proto3's last-one-wins for singular fields), or undefined. */
export function payloadOf(bytes: Uint8Array, field: number): Buffer | undefined {
  return recordsOf(bytes, field).at(-1)?.payload;
}

export function varintOf(bytes: Uint8Array, field: number): bigint | undefined {
  const payload = payloadOf(bytes, field);
  return payload === undefined ? undefined : readVarint(payload, 0).value;
}

export function doubleOf(bytes: Uint8Array, field: number): number | undefined {
  const records = recordsOf(bytes, field);
  const last = records.at(-1);
  if (last === undefined) return undefined;
  if (last.wireType !== 1) throw new WireError(`field ${field} is not a fixed64`);
  return last.payload.readDoubleLE(0);
}

/** A `repeated double`: packed records (wire type 2) and unpacked ones (1), concatenated. */
export function doublesOf(bytes: Uint8Array, field: number): number[] {
  const values: number[] = [];
  for (const record of recordsOf(bytes, field)) {
    if (record.wireType === 1) values.push(record.payload.readDoubleLE(0));
    else if (record.wireType === 2) {
      if (record.payload.length % 8 !== 0) throw new WireError(`packed doubles of field ${field} are ${record.payload.length} bytes`);
      for (let i = 0; i < record.payload.length; i += 8) values.push(record.payload.readDoubleLE(i));
    } else throw new WireError(`field ${field} is not a double`);
  }
  return values;
}

/** `google.protobuf.Any` = {string type_url = 1; bytes value = 2}. */
export function anyOf(bytes: Uint8Array): { typeUrl: string; value: Buffer } {
  return { typeUrl: (payloadOf(bytes, 1) ?? Buffer.alloc(0)).toString('utf8'), value: payloadOf(bytes, 2) ?? Buffer.alloc(0) };
}
