import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { findProduct, SPACEMOUSE_PRODUCTS, type SpaceMouseProduct } from '../../../main/devices/spacemouse/products';
import { parseSpaceMouseReport, SPACEMOUSE_AXIS_RANGE, type SpaceMouseReport } from '../../../main/devices/spacemouse/reportParser';
import { mulberry32 } from '../../../main/sim/math3d';
import {
  hexBytes,
  parseReportDescriptor,
  readField,
  reportLength,
  USAGE,
  writeField,
  type HidField,
  type HidInputReport,
} from '../../support/hidDescriptor';

/**
 * The studio's SpaceMouse layouts (products.ts, reportParser.ts) against sources it was not written
 * from (test/fixtures/spacemouse/layouts.json says where each came from): the HID report descriptors
 * two real devices returned, reports captured from real devices, and PySpaceMouse's product table.
 */
interface Fixture {
  descriptors: { vid_pid: string; product: string; source: string; bytes: number; hex: string }[];
  captured: { vid_pid: string; source: string; hex: string; says: string; values: Record<string, number> }[];
  pyspacemouse: Record<
    string,
    { vid_pid: string; mappings: Record<string, [number, number, number, number]>; buttons: Record<string, [number, number, number]> }
  >;
}

const fixtures = join(__dirname, '../../fixtures/spacemouse');
const fixture = JSON.parse(readFileSync(join(fixtures, 'layouts.json'), 'utf8')) as Fixture;

function productOf(vidPid: string): SpaceMouseProduct {
  const [vid, pid] = vidPid.split(':').map((part) => Number.parseInt(part, 16)) as [number, number];
  const product = findProduct(vid, pid);
  if (product === undefined) throw new Error(`the studio does not know ${vidPid}`);
  return product;
}

/** What a descriptor says about one device: where each named value sits. */
interface DescribedDevice {
  reports: Map<number, HidInputReport>;
  /** x, y, z, rx, ry, rz, button1, button2, battery → report and field. */
  fields: Map<string, { report: HidInputReport; field: HidField }>;
}

const AXES = ['x', 'y', 'z', 'rx', 'ry', 'rz'] as const;
const AXIS_USAGES: Record<(typeof AXES)[number], number> = { x: USAGE.x, y: USAGE.y, z: USAGE.z, rx: USAGE.rx, ry: USAGE.ry, rz: USAGE.rz };

function describeDevice(hex: string): DescribedDevice {
  const reports = parseReportDescriptor(hexBytes(hex));
  const fields = new Map<string, { report: HidInputReport; field: HidField }>();
  for (const report of reports.values()) {
    for (const field of report.fields) {
      let name: string | undefined;
      if (field.usagePage === USAGE.genericDesktop) name = AXES.find((axis) => AXIS_USAGES[axis] === field.usage);
      else if (field.usagePage === USAGE.button) name = `button${field.usage}`;
      else if (field.usagePage === USAGE.genericDeviceControls && field.usage === USAGE.batteryStrength) name = 'battery';
      if (name !== undefined) fields.set(name, { report, field });
    }
  }
  return { reports, fields };
}

function described(device: DescribedDevice, name: string): { report: HidInputReport; field: HidField } {
  const found = device.fields.get(name);
  if (found === undefined) throw new Error(`the descriptor has no ${name}`);
  return found;
}

/** The values the studio's parser read from a report, by the descriptor's names. */
function studioValues(parsed: SpaceMouseReport, product: SpaceMouseProduct): Record<string, number> {
  const named = (names: readonly string[], values: readonly number[]) =>
    Object.fromEntries(names.map((name, i) => [name, values[i] ?? NaN]));
  switch (parsed.kind) {
    case 'motion':
      return named(AXES, [...parsed.translation, ...parsed.rotation]);
    case 'translation':
      return named(['x', 'y', 'z'], parsed.raw);
    case 'rotation':
      return named(['rx', 'ry', 'rz'], parsed.raw);
    case 'buttons': {
      // Buttons 1 and 2 of the two-button devices are the studio's left and right.
      expect(Object.keys(product.buttons).sort()).toEqual(['left', 'right']);
      return { button1: parsed.pressed.left === true ? 1 : 0, button2: parsed.pressed.right === true ? 1 : 0 };
    }
    case 'battery':
      return { battery: parsed.percent };
    default:
      throw new Error(`the studio read ${JSON.stringify(parsed)}`);
  }
}

describe('SpaceMouse layouts from the devices’ own HID report descriptors', () => {
  test.each(fixture.descriptors)('$product ($vid_pid): the descriptor gives the studio’s layout', ({ vid_pid, hex, bytes }) => {
    expect(hexBytes(hex)).toHaveLength(bytes);
    const device = describeDevice(hex);
    const product = productOf(vid_pid);
    // Six axes, each a signed 16-bit field with the logical range the studio normalises by.
    for (const axis of AXES) {
      const { field } = described(device, axis);
      expect({ axis, bits: field.bitSize, min: field.logicalMin, max: field.logicalMax }).toEqual({
        axis,
        bits: 16,
        min: -SPACEMOUSE_AXIS_RANGE,
        max: SPACEMOUSE_AXIS_RANGE,
      });
    }
    // One report for all six axes, or translation and rotation in two: the layout the studio names.
    const translationReport = described(device, 'x').report.reportId;
    const rotationReport = described(device, 'rx').report.reportId;
    expect(translationReport).toBe(1);
    expect(product.layout).toBe(rotationReport === translationReport ? 'single-report' : 'two-report');
    if (product.layout === 'two-report') expect(rotationReport).toBe(2);
    // The sizes the parser checks: 13 bytes for all six axes, 7 for three.
    expect(reportLength(described(device, 'x').report)).toBe(product.layout === 'single-report' ? 13 : 7);
    // Buttons 1 and 2 in report 3 at the byte and bit the studio reads left and right from.
    for (const [name, button] of [
      ['left', 'button1'],
      ['right', 'button2'],
    ] as const) {
      const { report, field } = described(device, button);
      expect(report.reportId).toBe(3);
      expect(field.bitSize).toBe(1);
      expect(product.buttons[name]).toEqual([1 + Math.floor(field.bitOffset / 8), field.bitOffset % 8]);
    }
    // Battery strength, where the device has one: report 0x17, one byte at byte 1, 0..100 %.
    const battery = device.fields.get('battery');
    if (battery !== undefined) {
      expect({
        id: battery.report.reportId,
        offset: battery.field.bitOffset,
        bits: battery.field.bitSize,
        max: battery.field.logicalMax,
      }).toEqual({ id: 0x17, offset: 0, bits: 8, max: 100 });
    }
  });

  test.each(fixture.descriptors)(
    '$product ($vid_pid): 2,000 reports built from the descriptor read the same in the studio',
    ({ vid_pid, hex }) => {
      const device = describeDevice(hex);
      const product = productOf(vid_pid);
      const random = mulberry32(Number.parseInt(vid_pid.replace(':', ''), 16) % 2 ** 31);
      const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
      let checked = 0;
      for (let i = 0; i < 2000; i++) {
        const reports = [...device.reports.values()].filter((report) =>
          report.fields.some((field) => [...device.fields.values()].some((known) => known.field === field)),
        );
        const report = reports[i % reports.length]!;
        const bytes = new Uint8Array(reportLength(report));
        bytes[0] = report.reportId;
        const written: Record<string, number> = {};
        for (const [name, known] of device.fields) {
          if (known.report !== report) continue;
          // Axes beyond the logical range occur on real devices (spec §3.3); any 16-bit value is legal on the wire.
          const value = known.field.bitSize === 16 ? int(-32768, 32767) : int(known.field.logicalMin, known.field.logicalMax);
          writeField(bytes, known.field, value);
          written[name] = value;
        }
        // The descriptor reads back what it wrote, and so must the studio.
        for (const [name, value] of Object.entries(written)) expect(readField(bytes, described(device, name).field)).toBe(value);
        expect(studioValues(parseSpaceMouseReport(bytes, product.layout, product.buttons), product)).toEqual(written);
        checked++;
      }
      expect(checked).toBe(2000);
    },
  );

  test.each(fixture.captured)('captured on a $vid_pid ($source): $hex — $says', ({ vid_pid, hex, values }) => {
    const product = productOf(vid_pid);
    const descriptor = fixture.descriptors.find((d) => d.vid_pid === vid_pid);
    if (descriptor === undefined) throw new Error(`no descriptor for ${vid_pid}`);
    const device = describeDevice(descriptor.hex);
    const bytes = hexBytes(hex);
    // The report is as long as its descriptor says, and decodes to what the source says it meant.
    const report = device.reports.get(bytes[0] ?? -1);
    expect(report && reportLength(report)).toBe(bytes.length);
    expect(Object.fromEntries(Object.keys(values).map((name) => [name, readField(bytes, described(device, name).field)]))).toEqual(values);
    expect(studioValues(parseSpaceMouseReport(bytes, product.layout, product.buttons), product)).toEqual(values);
  });

  test.each([
    ['wireless-single-report.hex', '256f:c62e'],
    ['navigator-two-report.hex', '046d:c626'],
  ])('the hand-written fixture %s agrees with the %s descriptor', (file, vidPid) => {
    const product = productOf(vidPid);
    const device = describeDevice(fixture.descriptors.find((d) => d.vid_pid === vidPid)?.hex ?? '');
    const lines = readFileSync(join(fixtures, file), 'utf8')
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const bytes = hexBytes(line);
      const report = device.reports.get(bytes[0] ?? -1);
      expect(report && reportLength(report), line).toBe(bytes.length);
      const expected = Object.fromEntries(
        [...device.fields].filter(([, known]) => known.report === report).map(([name, known]) => [name, readField(bytes, known.field)]),
      );
      expect(studioValues(parseSpaceMouseReport(bytes, product.layout, product.buttons), product), line).toEqual(expected);
    }
  });
});

/** The studio's button names → PySpaceMouse's (which calls the Enterprise's REAR "RIGHT" and its rotation lock "LOCK"). */
const PY_NAMES: Record<string, readonly string[]> = {
  left: ['LEFT', 'BTN_1'],
  right: ['RIGHT', 'BTN_2'],
  menu: ['MENU'],
  fit: ['FIT'],
  top: ['TOP'],
  rear: ['REAR', 'RIGHT'],
  front: ['FRONT'],
  roll_cw: ['ROLL_CW'],
  esc: ['ESC'],
  alt: ['ALT'],
  shift: ['SHIFT'],
  ctrl: ['CTRL'],
  rotation_lock: ['ROTATION', 'LOCK'],
  lock: ['LOCK'],
  iso1: ['ISO1', 'ISO'],
  plus: ['PLUS'],
  minus: ['MINUS'],
  dominant: ['DOMINANT'],
  pan_zoom: ['PAN_ZOOM'],
};

describe('SpaceMouse layouts against PySpaceMouse’s product table', () => {
  const known = Object.entries(fixture.pyspacemouse).filter(([, entry]) => {
    const [vid, pid] = entry.vid_pid.split(':').map((part) => Number.parseInt(part, 16)) as [number, number];
    return findProduct(vid, pid) !== undefined;
  });

  test('covers most of the studio’s products', () => {
    expect(known.length).toBeGreaterThanOrEqual(12);
    expect(SPACEMOUSE_PRODUCTS.length).toBeGreaterThanOrEqual(known.length);
  });

  test.each(known)('%s: axes in the same reports and bytes, every studio button on the same bit', (_name, entry) => {
    const product = productOf(entry.vid_pid);
    // Translation always in report 1 bytes 1–6; rotation in report 2 bytes 1–6 or report 1 bytes 7–12.
    const { x, y, z, pitch, roll, yaw } = entry.mappings;
    expect([x, y, z].map((m) => m?.slice(0, 3))).toEqual([
      [1, 1, 2],
      [1, 3, 4],
      [1, 5, 6],
    ]);
    const rotation = [pitch, roll, yaw].map((m) => m?.slice(0, 3));
    expect(rotation).toEqual(
      product.layout === 'two-report'
        ? [
            [2, 1, 2],
            [2, 3, 4],
            [2, 5, 6],
          ]
        : [
            [1, 7, 8],
            [1, 9, 10],
            [1, 11, 12],
          ],
    );
    for (const [name, [byte, bit]] of Object.entries(product.buttons)) {
      const candidates = (PY_NAMES[name] ?? [name.replace(/^button_/, 'BTN_').toUpperCase()]).filter(
        (py) => entry.buttons[py] !== undefined,
      );
      expect(candidates, `${product.name}: PySpaceMouse has no button for ${name}`).not.toEqual([]);
      expect(
        candidates.some((py) => {
          const [report, pyByte, pyBit] = entry.buttons[py]!;
          return report === 3 && pyByte === byte && pyBit === bit;
        }),
        `${product.name}: ${name} at byte ${byte} bit ${bit}; PySpaceMouse: ${candidates.map((py) => `${py} ${JSON.stringify(entry.buttons[py])}`).join(', ')}`,
      ).toBe(true);
    }
  });
});
