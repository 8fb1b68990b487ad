import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SPACEMOUSE_PRODUCTS, type SpaceMouseProduct } from '../../../main/devices/spacemouse/products';
import { parseSpaceMouseReport, type SpaceMouseReport } from '../../../main/devices/spacemouse/reportParser';
import type { HidBackend, HidConnection } from '../../../main/devices/spacemouse/hidBackend';
import { SpaceMouse, spacemouseOptionsSchema } from '../../../main/devices/spacemouse/spacemouse';
import { mulberry32 } from '../../../main/sim/math3d';
import {
  hexBytes,
  parseReportDescriptor,
  readField,
  USAGE,
  writeField,
  type HidField,
  type HidInputReport,
} from '../../support/hidDescriptor';

const valid = [
  [1, 0xaf, 0, 0, 0, 0x5e, 1, 0, 0, 0, 0, 0xaf, 0],
  [1, 0xaf, 0, 0, 0, 0, 0],
  [2, 0, 0, 0, 0, 0x2d, 0],
  [3, 3, 0],
  [0x17, 0x55],
];

function reports(count: number, random: () => number): Uint8Array[] {
  const int = (n: number) => Math.floor(random() * n);
  return Array.from({ length: count }, (_, i) => {
    const base = Uint8Array.from(valid[int(valid.length)]!);
    switch (i % 4) {
      case 0:
        return Uint8Array.from({ length: int(40) }, () => int(256));
      case 1:
        return base.slice(0, int(base.length + 1));
      case 2: {
        const bytes = base.slice();
        for (let n = 1 + int(4); n > 0; n--) bytes[int(bytes.length)] = int(256);
        return bytes;
      }
      default: {
        // A plausible ID with a random length and payload.
        const bytes = Uint8Array.from({ length: int(20) }, () => int(256));
        if (bytes.length > 0) bytes[0] = [1, 2, 3, 0x17][int(4)]!;
        return bytes;
      }
    }
  });
}

interface Layouts {
  descriptors: { vid_pid: string; hex: string }[];
  pyspacemouse: Record<string, { vid_pid: string; buttons: Record<string, [number, number, number]> }>;
}
const layouts = JSON.parse(readFileSync(join(__dirname, '../../fixtures/spacemouse/layouts.json'), 'utf8')) as Layouts;

/** The independent reader: the devices' own descriptors (spacemouseLayouts.test.ts checks them). */
function descriptorOf(vidPid: string): Map<number, HidInputReport> {
  return parseReportDescriptor(hexBytes(layouts.descriptors.find((d) => d.vid_pid === vidPid)?.hex ?? ''));
}
const navigatorReports = descriptorOf('046d:c626');
const wirelessReports = descriptorOf('256f:c62e');
const genericDesktop = (reports: Map<number, HidInputReport>, id: number, usages: readonly number[]): HidField[] =>
  usages.map((usage) => {
    const field = reports.get(id)?.fields.find((f) => f.usagePage === USAGE.genericDesktop && f.usage === usage);
    if (field === undefined) throw new Error(`no usage ${usage} in report ${id}`);
    return field;
  });
const TRANSLATION = [USAGE.x, USAGE.y, USAGE.z];
const ROTATION = [USAGE.rx, USAGE.ry, USAGE.rz];
/** Report 1 of a 7-byte device, report 2, and report 1 of a 13-byte device (translation, then rotation). */
const twoReportTranslation = genericDesktop(navigatorReports, 1, TRANSLATION);
const twoReportRotation = genericDesktop(navigatorReports, 2, ROTATION);
const singleReport = [...genericDesktop(wirelessReports, 1, TRANSLATION), ...genericDesktop(wirelessReports, 1, ROTATION)];
const battery = wirelessReports
  .get(0x17)
  ?.fields.find((f) => f.usagePage === USAGE.genericDeviceControls && f.usage === USAGE.batteryStrength);

const isInt16 = (v: number) => Number.isInteger(v) && v >= -32768 && v <= 32767;

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

/**
 * Every accepted report: the documented invariants, the descriptor's reading, and a byte-exact round
 * trip. Returns what is wrong (plain comparisons: tens of thousands of `expect`s would dominate the run).
 */
function checkAccepted(
  report: Uint8Array,
  parsed: SpaceMouseReport,
  product: SpaceMouseProduct,
  pyButtons: Record<string, [number, number, number]> | undefined,
): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(`${product.name}, report ${Buffer.from(report).toString('hex')} read as ${JSON.stringify(parsed)}: ${what}`);
  };
  const roundTrip = (fields: HidField[], values: readonly number[], length: number) => {
    const bytes = new Uint8Array(length);
    bytes[0] = report[0] ?? 0;
    fields.forEach((field, i) => writeField(bytes, field, values[i] ?? NaN));
    check(same(bytes, report.subarray(0, length)), `re-encoded as ${Buffer.from(bytes).toString('hex')}`);
  };
  switch (parsed.kind) {
    case 'motion': {
      // Six axes: 13 bytes or more with ID 1, read as the single-report descriptor reads them.
      const values = [...parsed.translation, ...parsed.rotation];
      check(values.every(isInt16), 'an axis is not an int16');
      check(report[0] === 1 && report.length >= 13, 'six axes from something other than a 13-byte report 1');
      check(
        same(
          values,
          singleReport.map((field) => readField(report, field)),
        ),
        'the descriptor reads other values',
      );
      roundTrip(singleReport, values, 13);
      break;
    }
    case 'translation':
    case 'rotation': {
      const fields = parsed.kind === 'translation' ? twoReportTranslation : twoReportRotation;
      // A short report 1 only from a two-report device; report 2 from any (a product listed as
      // single-report that sends it is read, as nytamin's 13-byte rule reads the other way round).
      if (parsed.kind === 'translation') check(product.layout === 'two-report', 'translation alone from a single-report device');
      check(report[0] === (parsed.kind === 'translation' ? 1 : 2) && report.length >= 7, 'wrong report ID or too short');
      check(parsed.raw.every(isInt16), 'an axis is not an int16');
      check(
        same(
          parsed.raw,
          fields.map((field) => readField(report, field)),
        ),
        'the descriptor reads other values',
      );
      roundTrip(fields, parsed.raw, 7);
      break;
    }
    case 'battery':
      check(report[0] === 0x17, 'battery from another report');
      check(Number.isInteger(parsed.percent) && parsed.percent >= 0 && parsed.percent <= 100, 'not a percentage');
      check(battery !== undefined && parsed.percent === readField(report, battery), 'the descriptor reads another strength');
      break;
    case 'buttons': {
      // Exactly the product's buttons, each the bit PySpaceMouse reads it from (an independent table).
      check(report[0] === 3, 'buttons from another report');
      check(Object.keys(parsed.pressed).sort().join() === Object.keys(product.buttons).sort().join(), 'not the product’s buttons');
      for (const [name, pressed] of Object.entries(parsed.pressed)) {
        const py =
          pyButtons?.[name === 'left' ? 'LEFT' : name === 'right' ? 'RIGHT' : name.replace(/^button_/, 'BTN_').toUpperCase()] ??
          pyButtons?.[name === 'rear' ? 'RIGHT' : name === 'rotation_lock' ? 'LOCK' : ''];
        if (py === undefined) throw new Error(`${product.name}: no PySpaceMouse entry for ${name}`);
        check(pressed === ((((report[py[1]] ?? 0) >> py[2]) & 1) === 1), `${name} is not bit ${py[2]} of byte ${py[1]}`);
      }
      break;
    }
    case 'ignored':
      check(![1, 2, 3, 0x17].includes(parsed.report_id) && parsed.report_id === report[0], 'ignored a report it reads');
      break;
    case 'invalid':
      check(/\w/.test(parsed.reason), 'no reason');
      break;
  }
  return problems;
}

describe('SpaceMouse report parser under fuzzing (seeded)', () => {
  test('12,000 random/truncated/corrupted reports: never throws; what it accepts is what the descriptors say, and round-trips', () => {
    const random = mulberry32(1234);
    const kinds: Record<string, number> = {};
    const products = [SPACEMOUSE_PRODUCTS[0]!, SPACEMOUSE_PRODUCTS[6]!, SPACEMOUSE_PRODUCTS[12]!];
    expect(products.map((p) => p.name)).toEqual(['SpaceNavigator', 'SpaceMouse Wireless (cabled)', 'SpaceMouse Enterprise']);
    const py = [layouts.pyspacemouse.SpaceNavigator, layouts.pyspacemouse.SpaceMouseWireless, layouts.pyspacemouse.SpaceMouseEnterprise];
    const problems: string[] = [];
    for (const report of reports(12_000, random)) {
      products.forEach((product, i) => {
        const parsed = parseSpaceMouseReport(report, product.layout, product.buttons);
        kinds[parsed.kind] = (kinds[parsed.kind] ?? 0) + 1;
        problems.push(...checkAccepted(report, parsed, product, py[i]?.buttons));
      });
    }
    expect(problems.slice(0, 5)).toEqual([]);
    for (const kind of ['invalid', 'ignored', 'motion', 'translation', 'rotation', 'buttons', 'battery'])
      expect(kinds[kind] ?? 0).toBeGreaterThan(0);
  }, 60_000);

  test('the device keeps working through garbage; its output stays normalised', async () => {
    let feed: (report: Uint8Array) => void = () => undefined;
    const connection: HidConnection = { onData: (listener) => (feed = listener), onError: () => undefined, close: async () => undefined };
    const hid: HidBackend = { devices: async () => [{ vendorId: 0x256f, productId: 0xc62e, path: 'fake' }], open: async () => connection };
    const mouse = new SpaceMouse('spacemouse', spacemouseOptionsSchema.parse({ sensitivity: 4 }), { now_ns: () => 0n }, hid);
    await mouse.connect();
    for (const report of reports(10_000, mulberry32(99))) {
      feed(report);
      const state = mouse.latest();
      if (state !== undefined) for (const v of [...state.translation, ...state.rotation]) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    }
    expect(mouse.info().invalid_reports).toBeGreaterThan(0);
    feed(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(mouse.latest()?.translation).toEqual([0, 0, 0]);
    await mouse.disconnect();
  });
});
