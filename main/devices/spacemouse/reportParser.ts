import type { ButtonMap, ReportLayout } from './products';

/** HID logical range of every axis (captured descriptors): ±350. */
export const SPACEMOUSE_AXIS_RANGE = 350;

export type SpaceMouseReport =
  /** Raw HID values, HID axes (+x right, +y toward the user, +z down). */
  | { kind: 'translation'; raw: [number, number, number] }
  | { kind: 'rotation'; raw: [number, number, number] }
  | { kind: 'motion'; translation: [number, number, number]; rotation: [number, number, number] }
  | { kind: 'buttons'; pressed: Record<string, boolean> }
  | { kind: 'battery'; percent: number }
  | { kind: 'ignored'; report_id: number }
  | { kind: 'invalid'; reason: string };

function int16s(data: Uint8Array, from: number, count: number): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Array.from({ length: count }, (_, i) => view.getInt16(from + 2 * i, true));
}

/**
 * One HID input report (byte 0 = report ID) → what it says. Never throws: anything malformed comes
 * back as `invalid` with the reason, so a noisy device or a bad fixture cannot stop the reader.
 */
export function parseSpaceMouseReport(data: Uint8Array, layout: ReportLayout, buttons: ButtonMap): SpaceMouseReport {
  if (data.length === 0) return { kind: 'invalid', reason: 'empty report' };
  const id = data[0] ?? 0;
  switch (id) {
    case 1: {
      if (data.length < 7) return { kind: 'invalid', reason: `report 1 has ${data.length} bytes, needs at least 7` };
      const [x, y, z] = int16s(data, 1, 3) as [number, number, number];
      // nytamin's rule: a 13-byte report 1 carries rotation too, whatever the product table says.
      if (data.length >= 13) {
        const [rx, ry, rz] = int16s(data, 7, 3) as [number, number, number];
        return { kind: 'motion', translation: [x, y, z], rotation: [rx, ry, rz] };
      }
      if (layout === 'single-report') return { kind: 'invalid', reason: `report 1 has ${data.length} bytes, this device sends 13` };
      return { kind: 'translation', raw: [x, y, z] };
    }
    case 2: {
      if (data.length < 7) return { kind: 'invalid', reason: `report 2 has ${data.length} bytes, needs at least 7` };
      return { kind: 'rotation', raw: int16s(data, 1, 3) as [number, number, number] };
    }
    case 3: {
      if (data.length < 2) return { kind: 'invalid', reason: 'report 3 (buttons) has no data' };
      const pressed: Record<string, boolean> = {};
      for (const [name, [byte, bit]] of Object.entries(buttons)) pressed[name] = (((data[byte] ?? 0) >> bit) & 1) === 1;
      return { kind: 'buttons', pressed };
    }
    case 0x17: {
      const percent = data[1];
      if (percent === undefined) return { kind: 'invalid', reason: 'battery report 0x17 has no data' };
      if (percent > 100) return { kind: 'invalid', reason: `battery report says ${percent} %` };
      return { kind: 'battery', percent };
    }
    default:
      return { kind: 'ignored', report_id: id };
  }
}
