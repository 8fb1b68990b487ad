/** CRC-16/MODBUS: init 0xFFFF, reflected polynomial 0xA001; sent low byte first. */
export function crc16Modbus(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** `body` followed by its CRC, low byte first. */
export function withCrc(body: readonly number[]): Uint8Array {
  const frame = new Uint8Array(body.length + 2);
  frame.set(body, 0);
  const crc = crc16Modbus(frame.subarray(0, body.length));
  frame[body.length] = crc & 0xff;
  frame[body.length + 1] = crc >>> 8;
  return frame;
}
