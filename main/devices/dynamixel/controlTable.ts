/** X-series control table addresses used by GELLO (§5.2). Multi-byte values are little-endian. */
export const ADDR_MODEL_NUMBER = 0; // 2 bytes
export const ADDR_FIRMWARE_VERSION = 6; // 1
export const ADDR_ID = 7; // 1
export const ADDR_OPERATING_MODE = 11; // 1
export const ADDR_TORQUE_ENABLE = 64; // 1
export const ADDR_PRESENT_VELOCITY = 128; // 4, unit 0.229 rev/min
export const ADDR_PRESENT_POSITION = 132; // 4, pulses
export const CONTROL_TABLE_BYTES = 147;

/** XL330-M288-T, the GELLO servo. */
export const MODEL_XL330_M288 = 1200;

/** GELLO's conversion: 4096 ticks per turn, signed 32-bit (`rad = ticks / 2048 · π`). */
export const RAD_PER_TICK = Math.PI / 2048;
