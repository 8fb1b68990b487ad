import { describe, expect, test } from 'vitest';
import { SPACEMOUSE_PRODUCTS } from '../../../main/devices/spacemouse/products';
import { parseSpaceMouseReport } from '../../../main/devices/spacemouse/reportParser';
import type { HidBackend, HidConnection } from '../../../main/devices/spacemouse/hidBackend';
import { SpaceMouse, spacemouseOptionsSchema } from '../../../main/devices/spacemouse/spacemouse';
import { mulberry32 } from '../../../main/sim/math3d';

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

describe('SpaceMouse report parser under fuzzing (seeded)', () => {
  test('12,000 random/truncated/corrupted reports: never throws, values stay in range', () => {
    const random = mulberry32(1234);
    const kinds: Record<string, number> = {};
    for (const report of reports(12_000, random)) {
      for (const product of [SPACEMOUSE_PRODUCTS[0]!, SPACEMOUSE_PRODUCTS[6]!, SPACEMOUSE_PRODUCTS[12]!]) {
        const parsed = parseSpaceMouseReport(report, product.layout, product.buttons);
        kinds[parsed.kind] = (kinds[parsed.kind] ?? 0) + 1;
        if (parsed.kind === 'invalid') expect(parsed.reason).toMatch(/\w/);
        if (parsed.kind === 'battery') expect(parsed.percent).toBeLessThanOrEqual(100);
        if (parsed.kind === 'motion') for (const v of [...parsed.translation, ...parsed.rotation]) expect(Math.abs(v)).toBeLessThanOrEqual(32768);
      }
    }
    for (const kind of ['invalid', 'ignored', 'motion', 'translation', 'rotation', 'buttons', 'battery']) expect(kinds[kind] ?? 0).toBeGreaterThan(0);
  });

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
