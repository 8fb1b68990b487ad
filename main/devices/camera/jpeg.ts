/**
 * Just enough JPEG structure to pass a camera's MJPEG frames through untouched: where a frame starts
 * (SOI) and ends (EOI), its size (SOF), and whether it carries Huffman tables. Many UVC cameras send
 * "abbreviated" MJPEG frames without a DHT segment (the USB Video Class implies the standard tables of
 * ITU T.81 Annex K); such a frame decodes in ffmpeg but not in a browser or libjpeg, so
 * `withHuffmanTables` inserts the standard ones. Nothing is re-encoded.
 */

export interface JpegExtent {
  /** Offset of the SOI marker (FF D8). */
  start: number;
  /** Offset just past the EOI marker (FF D9). */
  end: number;
  width_px: number;
  height_px: number;
  /** Offset of the first SOS marker (start of scan). */
  sos_offset: number;
  /** Whether a DHT segment precedes the first scan. */
  huffman_tables: boolean;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const DHT = 0xc4;

function isStandalone(marker: number): boolean {
  // RSTn, TEM and stray SOI carry no length field.
  return (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === SOI;
}

function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== DHT && marker !== 0xc8 && marker !== 0xcc;
}

function findSoi(bytes: Uint8Array, from: number): number {
  let i = bytes.indexOf(0xff, from);
  while (i !== -1 && i + 1 < bytes.length) {
    if (bytes[i + 1] === SOI) return i;
    i = bytes.indexOf(0xff, i + 1);
  }
  return -1;
}

/**
 * The first complete JPEG in `bytes` at or after `from`, by walking its segments (so an EOI inside an
 * embedded EXIF thumbnail does not end it early). `undefined` when there is none or it is incomplete.
 */
export function findJpeg(bytes: Uint8Array, from = 0): JpegExtent | undefined {
  const start = findSoi(bytes, from);
  if (start === -1) return undefined;
  let i = start + 2;
  let width_px = 0;
  let height_px = 0;
  let sos_offset = -1;
  let huffman_tables = false;
  while (i + 1 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined; // not a marker where one must be: corrupt
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === EOI) return sos_offset === -1 ? undefined : { start, end: i + 2, width_px, height_px, sos_offset, huffman_tables };
    if (isStandalone(marker)) {
      i += 2;
      continue;
    }
    if (i + 3 >= bytes.length) return undefined;
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (length < 2) return undefined;
    if (isStartOfFrame(marker) && i + 8 < bytes.length) {
      height_px = (bytes[i + 5]! << 8) | bytes[i + 6]!;
      width_px = (bytes[i + 7]! << 8) | bytes[i + 8]!;
    }
    if (marker === DHT && sos_offset === -1) huffman_tables = true;
    i += 2 + length;
    if (marker !== SOS) continue;
    if (sos_offset === -1) sos_offset = i - 2 - length;
    // Entropy-coded data: FF 00 is a stuffed byte and FF D0–D7 a restart marker; any other marker ends it.
    for (;;) {
      const ff = bytes.indexOf(0xff, i);
      if (ff === -1 || ff + 1 >= bytes.length) return undefined;
      const next = bytes[ff + 1]!;
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
        i = ff + (next === 0xff ? 1 : 2);
        continue;
      }
      i = ff;
      break;
    }
  }
  return undefined;
}

// ---- the standard Huffman tables (ITU T.81 Annex K.3), as one DHT segment --------------------------

const hex = (text: string): number[] =>
  Array.from({ length: text.length / 2 }, (_, k) => Number.parseInt(text.slice(2 * k, 2 * k + 2), 16));

const DC_VALUES = hex('000102030405060708090a0b');
const AC_LUMINANCE_VALUES = hex(
  '01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa',
);
const AC_CHROMINANCE_VALUES = hex(
  '000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa',
);

const STANDARD_TABLES: readonly { classAndId: number; bits: number[]; values: number[] }[] = [
  { classAndId: 0x00, bits: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], values: DC_VALUES },
  { classAndId: 0x01, bits: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], values: DC_VALUES },
  { classAndId: 0x10, bits: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d], values: AC_LUMINANCE_VALUES },
  { classAndId: 0x11, bits: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77], values: AC_CHROMINANCE_VALUES },
];

/** FF C4, length, then the four standard tables: what `mjpeg2jpeg` and UVC decoders assume. */
export const STANDARD_DHT_SEGMENT: Uint8Array = (() => {
  const body = STANDARD_TABLES.flatMap((table) => [table.classAndId, ...table.bits, ...table.values]);
  const length = body.length + 2;
  return Uint8Array.from([0xff, DHT, length >> 8, length & 0xff, ...body]);
})();

/**
 * The frame as a self-contained JPEG: unchanged when it has Huffman tables, else with the standard
 * DHT segment inserted before the first scan. `extent` is `findJpeg`'s answer for `jpeg`.
 */
export function withHuffmanTables(jpeg: Uint8Array, extent: JpegExtent): Uint8Array {
  const frame = extent.start === 0 && extent.end === jpeg.length ? jpeg : jpeg.subarray(extent.start, extent.end);
  if (extent.huffman_tables) return frame;
  const at = extent.sos_offset - extent.start;
  const out = new Uint8Array(frame.length + STANDARD_DHT_SEGMENT.length);
  out.set(frame.subarray(0, at), 0);
  out.set(STANDARD_DHT_SEGMENT, at);
  out.set(frame.subarray(at), at + STANDARD_DHT_SEGMENT.length);
  return out;
}
