import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CaptureClock } from '../../../main/devices/camera/captureClock';
import { driverChangedSettings, explainCaptureFailure, type CaptureFailure } from '../../../main/devices/camera/captureErrors';
import { FrameIndexParser, type IndexEntry } from '../../../main/devices/camera/ffmpegCapture';
import { findJpeg, STANDARD_DHT_SEGMENT, withHuffmanTables } from '../../../main/devices/camera/jpeg';
import { depthMillimetres } from '../../../main/devices/camera/realsenseCamera';
import { inputArgs, v4l2CtlArgs } from '../../../main/devices/camera/ffmpegInput';
import { parseFormatList } from '../../../main/devices/camera/v4l2Formats';

function ffmpeg(args: string[], input?: Uint8Array): Buffer {
  const result = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { input, maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`ffmpeg failed: ${result.stderr.toString()}`);
  return result.stdout;
}

const decodeRgb = (jpeg: Uint8Array): Buffer =>
  ffmpeg(['-f', 'mjpeg', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], jpeg);

/** A 64×48 JPEG with the standard tables, as ffmpeg writes it. */
const standardJpeg = (): Uint8Array =>
  new Uint8Array(
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x48', '-frames:v', '1', '-c:v', 'mjpeg', '-huffman', 'default', '-f', 'mjpeg', 'pipe:1']),
  );

/** Removes every DHT segment before the first scan: what many UVC cameras send. */
function stripHuffmanTables(jpeg: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [jpeg.subarray(0, 2)];
  let i = 2;
  while (jpeg[i + 1] !== 0xda) {
    const length = (jpeg[i + 2]! << 8) | jpeg[i + 3]!;
    if (jpeg[i + 1] !== 0xc4) parts.push(jpeg.subarray(i, i + 2 + length));
    i += 2 + length;
  }
  parts.push(jpeg.subarray(i));
  return Buffer.concat(parts);
}

describe('JPEG framing', () => {
  it('finds SOI…EOI and the size, ignoring bytes around the frame', () => {
    const jpeg = standardJpeg();
    const padded = Buffer.concat([Buffer.from([0x00, 0x11, 0xff]), jpeg, Buffer.from([0, 0, 0, 0])]);
    const extent = findJpeg(padded);
    expect(extent).toMatchObject({ start: 3, end: 3 + jpeg.length, width_px: 64, height_px: 48, huffman_tables: true });
    expect(findJpeg(jpeg.subarray(0, jpeg.length - 1))).toBeUndefined(); // no EOI yet
    expect(findJpeg(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });

  it('adds the standard Huffman tables to a frame without them, and it decodes to the same picture', () => {
    const jpeg = standardJpeg();
    const abbreviated = stripHuffmanTables(jpeg);
    const extent = findJpeg(abbreviated);
    expect(extent?.huffman_tables).toBe(false);
    const complete = withHuffmanTables(abbreviated, extent!);
    expect(complete.length).toBe(abbreviated.length + STANDARD_DHT_SEGMENT.length);
    expect(findJpeg(complete)?.huffman_tables).toBe(true);
    expect(Buffer.compare(decodeRgb(complete), decodeRgb(jpeg))).toBe(0);
    // A frame that has its tables is passed through as the same bytes.
    expect(withHuffmanTables(jpeg, findJpeg(jpeg)!)).toBe(jpeg);
  });
});

describe('framecrc index', () => {
  it('reads the time base, dimensions, pts and sizes, across chunk boundaries', () => {
    const parser = new FrameIndexParser();
    const entries: IndexEntry[] = [];
    const text =
      '#software: Lavf59\n#tb 0: 1/1000000\n#dimensions 0: 160x120\n0,     1000,     1000,  66666,     5306, 0x5f620f54\n0, 67666, 67666, 66666, 6035, 0x9f729b4a\n0, -9223372036854775808, -9223372036854775808, 0, 10, 0x0\n';
    for (let i = 0; i < text.length; i += 7) parser.push(text.slice(i, i + 7), (entry) => entries.push(entry));
    expect(parser.dimensions).toEqual([160, 120]);
    expect(entries).toEqual([
      { pts_ns: 1_000_000n, size: 5306 },
      { pts_ns: 67_666_000n, size: 6035 },
      { pts_ns: undefined, size: 10 },
    ]);
  });
});

describe('capture clock', () => {
  const period_ns = 66_666_667n;

  it('spaces frames as their pts, removes delivery jitter, never stamps after arrival', () => {
    const clock = new CaptureClock(15);
    const base = 5_000_000_000n;
    const jitter_ns = [3_000_000n, 0n, 9_000_000n, 1_000_000n, 12_000_000n, 0n];
    const stamps = jitter_ns.map((jitter, i) => {
      const pts = BigInt(i) * period_ns;
      const arrival = base + pts + 2_000_000n + jitter;
      const stamp = clock.stamp(pts, arrival);
      expect(stamp.capture_ns <= arrival).toBe(true);
      return stamp;
    });
    // after the fastest delivery (frame 1), frames are exactly one period apart
    for (let i = 2; i < stamps.length; i++) expect(stamps[i]!.capture_ns - stamps[i - 1]!.capture_ns).toBe(period_ns);
    expect(stamps[5]!.capture_ns).toBe(base + 5n * period_ns + 2_000_000n);
    expect(stamps.every((s) => s.dropped_before === 0)).toBe(true);
  });

  it('counts dropped frames from pts gaps and stays strictly increasing', () => {
    const clock = new CaptureClock(15);
    expect(clock.stamp(0n, 1_000_000_000n).dropped_before).toBe(0);
    expect(clock.stamp(period_ns, 1_000_000_000n + period_ns).dropped_before).toBe(0);
    expect(clock.stamp(4n * period_ns, 1_000_000_000n + 4n * period_ns).dropped_before).toBe(2);
    // no pts: arrival times, with gaps counted the same way; equal arrivals still increase
    const noPts = new CaptureClock(10);
    const a = noPts.stamp(undefined, 1_000n);
    const b = noPts.stamp(undefined, 1_000n);
    expect(b.capture_ns).toBeGreaterThan(a.capture_ns);
    expect(noPts.stamp(undefined, 1_000n + 300_000_000n).dropped_before).toBe(2);
  });
});

describe('capture errors', () => {
  const failure = (stderr: string, extra: Partial<CaptureFailure> = {}): CaptureFailure => ({
    who: 'camera "front"',
    source: '/dev/video0',
    tool: 'ffmpeg',
    stderr,
    code: 1,
    signal: null,
    wasStreaming: false,
    ...extra,
  });

  it('names the camera and the fix for the usual failures', () => {
    const denied = explainCaptureFailure(failure('[video4linux2,v4l2 @ 0x55] Cannot open video device /dev/video0: Permission denied\n'));
    expect(denied.message).toBe('permission denied on /dev/video0 (camera "front")');
    expect(denied.fix).toContain('`video` group');
    expect(explainCaptureFailure(failure('/dev/video0: No such file or directory')).message).toBe(
      'no camera at /dev/video0 (camera "front")',
    );
    expect(explainCaptureFailure(failure('Device or resource busy')).fix).toContain('fuser /dev/video0');
    expect(explainCaptureFailure(failure('ioctl(VIDIOC_QUERYCAP): Inappropriate ioctl for device')).message).toContain(
      'not a video capture node',
    );
    expect(explainCaptureFailure(failure('The V4L2 driver changed the video from 1920x1080 to 1280x720')).message).toContain(
      'cannot deliver 1920x1080',
    );
    expect(explainCaptureFailure(failure('The driver changed the time per frame from 1/60 to 1/30')).message).toContain('offers 30 fps');
    expect(explainCaptureFailure(failure('ioctl(VIDIOC_DQBUF): No such device', { wasStreaming: true })).message).toContain('unplugged');
    const missing = new Error('spawn ffmpeg ENOENT') as NodeJS.ErrnoException;
    missing.code = 'ENOENT';
    expect(explainCaptureFailure(failure('', { spawnError: missing })).fix).toContain('apt-get install ffmpeg');
    const killed = explainCaptureFailure(failure('', { signal: 'SIGKILL', code: null, wasStreaming: true }));
    expect(killed.message).toContain('SIGKILL');
    expect(killed.fix).toContain('Connect the camera again');
  });

  it('treats a size or rate the driver changed as fatal, but not the same rate spelled differently', () => {
    expect(driverChangedSettings('The V4L2 driver changed the video from 1920x1080 to 1280x720')).toBe(true);
    expect(driverChangedSettings('The driver changed the time per frame from 1/60 to 1/30')).toBe(true);
    expect(driverChangedSettings('The driver changed the time per frame from 1/30 to 333333/10000000')).toBe(false);
    expect(driverChangedSettings('Stream #0:0: Video: mjpeg (Baseline), 640x480, 30 fps')).toBe(false);
  });

  it('parses the formats a node offers', () => {
    const listing = [
      '[video4linux2,v4l2 @ 0x5581] Compressed:       mjpeg :          Motion-JPEG : 1280x720 640x480 320x240',
      '[video4linux2,v4l2 @ 0x5581] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 320x240',
      '[video4linux2,v4l2 @ 0x5581] Raw       : Unsupported :         16-bit Depth : {32-1280, 2}x{24-720, 2}',
    ].join('\n');
    expect(parseFormatList(listing)).toEqual([
      { compressed: true, name: 'mjpeg', description: 'Motion-JPEG', sizes: ['1280x720', '640x480', '320x240'] },
      { compressed: false, name: 'yuyv422', description: 'YUYV 4:2:2', sizes: ['640x480', '320x240'] },
      { compressed: false, name: 'Unsupported', description: '16-bit Depth', sizes: [] },
    ]);
  });
});

describe('input arguments', () => {
  const geometry = { width_px: 640, height_px: 480, fps_hz: 30 };

  it('asks a V4L2 camera for its format, size and rate', () => {
    expect(
      inputArgs({ input: { format: 'v4l2', device: '/dev/video0', pixel_format: 'auto' }, mjpeg: true, input_format: 'mjpeg' }, geometry),
    ).toEqual(['-f', 'v4l2', '-input_format', 'mjpeg', '-video_size', '640x480', '-framerate', '30', '-i', '/dev/video0']);
  });

  it('reads Z16 depth with v4l2-ctl (four-character fourcc) into ffmpeg as gray16le', () => {
    expect(v4l2CtlArgs('/dev/video2', 'Z16', geometry)).toEqual([
      '-d',
      '/dev/video2',
      '--set-fmt-video=width=640,height=480,pixelformat=Z16 ',
      '--set-parm=30',
      '--stream-mmap=4',
      '--stream-to=-',
    ]);
    expect(inputArgs({ input: { format: 'v4l2-ctl', device: '/dev/video2', fourcc: 'Z16' }, mjpeg: false }, geometry)).toEqual([
      '-f',
      'rawvideo',
      '-pixel_format',
      'gray16le',
      '-video_size',
      '640x480',
      '-framerate',
      '30',
      '-use_wallclock_as_timestamps',
      '1',
      '-i',
      'pipe:0',
    ]);
  });
});

describe('depth', () => {
  it('reads gray16le as millimetres and applies the depth scale', () => {
    const bytes = new Uint8Array([0x10, 0x27, 0xff, 0xff, 0x00, 0x00]); // 10000, 65535, 0
    expect([...depthMillimetres(bytes.slice(), 1)]).toEqual([10000, 65535, 0]);
    expect([...depthMillimetres(bytes.slice(), 0.1)]).toEqual([1000, 6554, 0]);
  });
});
