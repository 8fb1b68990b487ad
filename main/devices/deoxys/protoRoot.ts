import protobuf from 'protobufjs';
import controllerProto from './proto/franka_controller.proto?raw';
import robotStateProto from './proto/franka_robot_state.proto?raw';

/**
 * The deoxys protobuf schema, parsed once from the bundled .proto text (no file access at run time,
 * so it works under vitest and in the electron-vite CommonJS bundle alike).
 */
function buildRoot(): protobuf.Root {
  const anyJson = protobuf.common.get('google/protobuf/any.proto');
  if (anyJson === null) throw new Error('protobufjs lacks its bundled google/protobuf/any.proto');
  const root = protobuf.Root.fromJSON(anyJson);
  protobuf.parse(controllerProto, root, { keepCase: true });
  protobuf.parse(robotStateProto, root, { keepCase: true });
  root.resolveAll();
  return root;
}

const root = buildRoot();

export type DeoxysMessageName =
  | 'FrankaControlMessage'
  | 'FrankaDummyControllerMessage'
  | 'FrankaOSCPoseControllerMessage'
  | 'FrankaJointPositionControllerMessage'
  | 'FrankaJointImpedanceControllerMessage'
  | 'FrankaCartesianVelocityControllerMessage'
  | 'ExponentialSmoothingConfig'
  | 'FrankaGripperControlMessage'
  | 'FrankaGripperMoveMessage'
  | 'FrankaGripperGraspMessage'
  | 'FrankaGripperStopMessage'
  | 'FrankaGripperHomingMessage'
  | 'FrankaRobotStateMessage'
  | 'FrankaGripperStateMessage';

const types = new Map<string, protobuf.Type>();
function typeOf(name: DeoxysMessageName): protobuf.Type {
  let type = types.get(name);
  if (type === undefined) {
    type = root.lookupType(name);
    types.set(name, type);
  }
  return type;
}

/** What Python's `Any.Pack` writes and C++ `UnpackTo` accepts (the part after the last `/`). */
export function typeUrlOf(name: DeoxysMessageName): string {
  return `type.googleapis.com/${name}`;
}

/** A plain object in protobuf JSON-ish shape (field names as in the .proto). */
export type PlainMessage = { [field: string]: PlainValue };
export type PlainValue = boolean | number | string | Uint8Array | PlainMessage | PlainValue[] | undefined;

/**
 * Drops proto3 default scalars (false, 0, '', empty repeated/bytes) so the bytes match protoc's
 * output: protobufjs writes any field that is set, protoc omits defaults. Sub-messages stay, even
 * empty ones, because their presence is on the wire. −0 is kept, as protoc keeps it.
 */
export function withoutDefaults(message: PlainMessage): PlainMessage {
  const out: PlainMessage = {};
  for (const [key, value] of Object.entries(message)) {
    if (value === undefined || value === false || value === '' || (typeof value === 'number' && Object.is(value, 0))) continue;
    if (value instanceof Uint8Array) {
      if (value.length > 0) out[key] = value;
    } else if (Array.isArray(value)) {
      if (value.length > 0) out[key] = value;
    } else if (typeof value === 'object') {
      out[key] = withoutDefaults(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function encodeMessage(name: DeoxysMessageName, message: PlainMessage): Uint8Array {
  const type = typeOf(name);
  return type.encode(type.fromObject(withoutDefaults(message))).finish();
}

/** `google.protobuf.Any` holding `message`, exactly as Python's `Any.Pack` builds it. */
export function packAny(name: DeoxysMessageName, message: PlainMessage): PlainMessage {
  return { type_url: typeUrlOf(name), value: encodeMessage(name, message) };
}

/** A message that failed to decode or to validate; names the message, the link and the cause. */
export class DeoxysDecodeError extends Error {
  constructor(
    readonly messageName: string,
    readonly byteLength: number,
    detail: string,
  ) {
    super(`cannot decode ${messageName} (${byteLength} bytes): ${detail}`);
    this.name = 'DeoxysDecodeError';
  }
}

/**
 * Decodes to a plain object with every field present (defaults filled, enums as numbers, 64-bit
 * integers as decimal strings). Throws `DeoxysDecodeError`, never anything else.
 */
export function decodeMessage(name: DeoxysMessageName, bytes: Uint8Array): Record<string, unknown> {
  const type = typeOf(name);
  try {
    checkWireTypes(type, protobuf.Reader.create(bytes), bytes.length);
    const message = type.decode(bytes);
    return type.toObject(message, { longs: String, enums: Number, bytes: Array, defaults: true, arrays: true, objects: true }) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw new DeoxysDecodeError(name, bytes.length, error instanceof Error ? error.message : String(error));
  }
}

/**
 * protobufjs's decoders read a known field by its schema type whatever the record's wire type, so a
 * varint numbered like a double field is read as 8 bytes of double: a value nobody sent (protoc's
 * parsers keep such a record as an unknown field instead). The fuzz test found deoxys states
 * "decoded" that way; such messages are refused, naming the field.
 */
function checkWireTypes(type: protobuf.Type, reader: protobuf.Reader, end: number): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    const wireType = tag & 7;
    const field = type.fieldsById[tag >>> 3];
    if (field === undefined) {
      reader.skipType(wireType);
      continue;
    }
    const resolved = field.resolve().resolvedType;
    const isMessage = resolved instanceof protobuf.Type;
    const expected = isMessage
      ? 2
      : resolved instanceof protobuf.Enum
        ? 0
        : (protobuf.types.basic as Record<string, number | undefined>)[field.type];
    const packed = field.repeated && wireType === 2 && !isMessage && field.type !== 'string' && field.type !== 'bytes';
    if (wireType !== expected && !packed)
      throw new Error(`field ${field.name} (${field.id}) has wire type ${wireType}, expected ${String(expected)}`);
    if (isMessage) {
      const length = reader.uint32();
      const subEnd = reader.pos + length;
      if (subEnd > end) throw new Error(`field ${field.name} (${field.id}) is ${length} bytes long, past the end of its message`);
      checkWireTypes(resolved, reader, subEnd);
      if (reader.pos !== subEnd) throw new Error(`field ${field.name} (${field.id}) overruns its ${length} bytes`);
    } else {
      reader.skipType(wireType);
    }
  }
}

/** The message name inside an Any's `type_url`, as C++ `UnpackTo` compares it. */
export function anyMessageName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}
