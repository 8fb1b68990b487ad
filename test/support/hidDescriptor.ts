/**
 * A USB HID report descriptor parser (Device Class Definition for HID 1.11, §6.2.2 items, §8.4 report
 * constraints), written for the tests from the specification and independent of the studio's
 * SpaceMouse parser: it knows nothing about 3Dconnexion products. Given a device's captured
 * descriptor it says where every input field of every report sits, and it reads and writes those
 * fields, so reports built from the descriptor check the studio's hand-written layouts.
 */

export interface HidField {
  /** Usage page (e.g. 0x01 Generic Desktop, 0x06 Generic Device Controls, 0x09 Button). */
  usagePage: number;
  usage: number;
  /** Bit offset within the report data after the report ID byte; bits are little-endian. */
  bitOffset: number;
  bitSize: number;
  logicalMin: number;
  logicalMax: number;
  relative: boolean;
}

export interface HidInputReport {
  reportId: number;
  /** Data bits after the ID byte, constant (padding) fields included. */
  bits: number;
  /** Variable data fields; padding is left out. */
  fields: HidField[];
}

interface Globals {
  usagePage: number;
  logicalMin: number;
  logicalMax: number;
  reportSize: number;
  reportCount: number;
  reportId: number;
}

function unsigned(data: Uint8Array): number {
  let value = 0;
  for (let i = data.length - 1; i >= 0; i--) value = value * 256 + (data[i] ?? 0);
  return value;
}

function signed(data: Uint8Array): number {
  const value = unsigned(data);
  const bits = 8 * data.length;
  return data.length > 0 && value >= 2 ** (bits - 1) ? value - 2 ** bits : value;
}

/** Input reports by report ID. Throws on items this parser does not know (long items, delimiters). */
export function parseReportDescriptor(descriptor: Uint8Array): Map<number, HidInputReport> {
  const reports = new Map<number, HidInputReport>();
  const stack: Globals[] = [];
  let globals: Globals = { usagePage: 0, logicalMin: 0, logicalMax: 0, reportSize: 0, reportCount: 0, reportId: 0 };
  let usages: number[] = [];
  let usageMin: number | undefined;
  let usageMax: number | undefined;
  const report = (id: number): HidInputReport => {
    let found = reports.get(id);
    if (found === undefined) reports.set(id, (found = { reportId: id, bits: 0, fields: [] }));
    return found;
  };
  const usageOf = (value: number, size: number) => (size === 4 ? value : globals.usagePage * 0x10000 + value);

  for (let at = 0; at < descriptor.length;) {
    const prefix = descriptor[at] ?? 0;
    if (prefix === 0xfe) throw new Error(`long item at byte ${at}: not supported`);
    const size = [0, 1, 2, 4][prefix & 3] ?? 0;
    const type = (prefix >> 2) & 3;
    const tag = prefix >> 4;
    const data = descriptor.subarray(at + 1, at + 1 + size);
    if (data.length !== size) throw new Error(`item at byte ${at} runs past the end of the descriptor`);
    at += 1 + size;
    const u = unsigned(data);
    if (type === 1) {
      // Global items.
      if (tag === 0x0) globals.usagePage = u;
      else if (tag === 0x1) globals.logicalMin = signed(data);
      else if (tag === 0x2) globals.logicalMax = globals.logicalMin < 0 ? signed(data) : u;
      else if (tag === 0x7) globals.reportSize = u;
      else if (tag === 0x8) globals.reportId = u;
      else if (tag === 0x9) globals.reportCount = u;
      else if (tag === 0xa) stack.push({ ...globals });
      else if (tag === 0xb) globals = stack.pop() ?? globals;
      // Physical range, unit exponent and unit (0x3–0x6) do not move any bits.
    } else if (type === 2) {
      // Local items.
      if (tag === 0x0) usages.push(usageOf(u, size));
      else if (tag === 0x1) usageMin = usageOf(u, size);
      else if (tag === 0x2) usageMax = usageOf(u, size);
      else if (tag === 0xa) throw new Error('delimiter items are not supported');
    } else if (type === 0) {
      // Main items: Input 0x8, Output 0x9, Feature 0xb, Collection 0xa, End Collection 0xc.
      if (tag === 0x8) {
        const constant = (u & 1) === 1;
        const variable = (u & 2) === 2;
        const relative = (u & 4) === 4;
        const target = report(globals.reportId);
        const list = [...usages];
        if (usageMin !== undefined && usageMax !== undefined) for (let usage = usageMin; usage <= usageMax; usage++) list.push(usage);
        for (let i = 0; i < globals.reportCount; i++) {
          if (!constant) {
            if (!variable) throw new Error(`array input fields (report ${globals.reportId}) are not supported`);
            // §6.2.2.8: with fewer usages than fields, the last usage applies to the rest.
            const usage = list[Math.min(i, list.length - 1)];
            if (usage === undefined) throw new Error(`input field without a usage in report ${globals.reportId}`);
            target.fields.push({
              usagePage: Math.floor(usage / 0x10000),
              usage: usage % 0x10000,
              bitOffset: target.bits,
              bitSize: globals.reportSize,
              logicalMin: globals.logicalMin,
              logicalMax: globals.logicalMax,
              relative,
            });
          }
          target.bits += globals.reportSize;
        }
      }
      // Every main item clears the local state.
      usages = [];
      usageMin = usageMax = undefined;
    } else {
      throw new Error(`reserved item type at byte ${at - 1 - size}`);
    }
  }
  return reports;
}

/** Bytes of an input report including its ID byte (§8.4: reports are padded to whole bytes). */
export function reportLength(report: HidInputReport): number {
  return 1 + Math.ceil(report.bits / 8);
}

/** The field's value in a report (byte 0 = report ID), sign-extended when its logical minimum is negative. */
export function readField(report: Uint8Array, field: HidField): number {
  let value = 0;
  for (let bit = field.bitSize - 1; bit >= 0; bit--) {
    const at = field.bitOffset + bit;
    value = value * 2 + (((report[1 + Math.floor(at / 8)] ?? 0) >> (at % 8)) & 1);
  }
  return field.logicalMin < 0 && value >= 2 ** (field.bitSize - 1) ? value - 2 ** field.bitSize : value;
}

/** Writes the field's value (two's complement for signed fields) into a report (byte 0 = report ID). */
export function writeField(report: Uint8Array, field: HidField, value: number): void {
  let raw = value < 0 ? value + 2 ** field.bitSize : value;
  for (let bit = 0; bit < field.bitSize; bit++) {
    const at = field.bitOffset + bit;
    const index = 1 + Math.floor(at / 8);
    const mask = 1 << (at % 8);
    report[index] = raw % 2 === 1 ? (report[index] ?? 0) | mask : (report[index] ?? 0) & ~mask;
    raw = Math.floor(raw / 2);
  }
}

export function hexBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) => Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16));
}

/** Usages the SpaceMouse descriptors use (HID Usage Tables 1.4). */
export const USAGE = {
  genericDesktop: 0x01,
  genericDeviceControls: 0x06,
  button: 0x09,
  x: 0x30,
  y: 0x31,
  z: 0x32,
  rx: 0x33,
  ry: 0x34,
  rz: 0x35,
  batteryStrength: 0x20,
} as const;
