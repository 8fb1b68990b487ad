/**
 * The CRC-16 of Dynamixel Protocol 2.0 (DynamixelSDK `updateCRC`): polynomial 0x8005, initial value
 * 0, not reflected. The SDK ships the table as a literal; it is exactly this generated table.
 */
const table = new Uint16Array(256);
for (let index = 0; index < 256; index++) {
  let crc = index << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  table[index] = crc;
}

export const dynamixelCrcTable: Readonly<Uint16Array> = table;

export function crc16Dynamixel(bytes: Uint8Array, initial = 0): number {
  let crc = initial;
  for (const byte of bytes) crc = ((crc << 8) ^ (table[((crc >>> 8) ^ byte) & 0xff] ?? 0)) & 0xffff;
  return crc;
}
