import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../shared/api/errors';
import { cameraConfigSchema } from '../../../shared/rig/rigConfig';
import { findJpeg } from '../../../main/devices/camera/jpeg';
import { UvcCamera, uvcOptionsSchema } from '../../../main/devices/camera/uvcCamera';
import { createDeviceRegistry } from '../../../main/devices/catalog';
import { systemClock, type CameraFrame, type DeviceStatus } from '../../../main/devices/types';

const W = 160;
const H = 120;
const FPS = 15;
const GUARD_MS = 10_000;

let dir = '';
let mjpegFile = '';
const cameras: UvcCamera[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'studio-camera-'));
  mjpegFile = join(dir, 'camera.mjpeg');
  // A recorded MJPEG stream: what a UVC camera sends, replayed by ffmpeg's mjpeg demuxer in real time.
  const made = spawnSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${W}x${H}:rate=${FPS}`,
    '-frames:v',
    '6',
    '-c:v',
    'mjpeg',
    '-q:v',
    '5',
    '-f',
    'mjpeg',
    mjpegFile,
  ]);
  if (made.status !== 0) throw new Error(made.stderr.toString());
});

afterEach(async () => {
  await Promise.all(cameras.splice(0).map((camera) => camera.disconnect()));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function camera(options: Record<string, unknown>): UvcCamera {
  const parsed = uvcOptionsSchema.parse({
    name: 'front',
    width_px: W,
    height_px: H,
    fps_hz: FPS,
    first_frame_timeout_ms: GUARD_MS,
    ...options,
  });
  const created = new UvcCamera('front', parsed, systemClock);
  cameras.push(created);
  return created;
}

const lavfi = (source = `testsrc2=size=${W}x${H}:rate=${FPS}`) => ({ input: { format: 'lavfi', source } });

/** Resolves with the next `count` frames; the timeout only guards against a hang. */
function frames(cam: UvcCamera, count: number): Promise<CameraFrame[]> {
  return new Promise((resolve, reject) => {
    const got: CameraFrame[] = [];
    const guard = setTimeout(() => {
      off();
      reject(new Error(`only ${got.length} of ${count} frames arrived`));
    }, GUARD_MS);
    const off = cam.onFrame((frame) => {
      got.push(frame);
      if (got.length < count) return;
      clearTimeout(guard);
      off();
      resolve(got);
    });
  });
}

function statusWhere(cam: UvcCamera, predicate: (status: DeviceStatus) => boolean): Promise<DeviceStatus> {
  return new Promise((resolve, reject) => {
    if (predicate(cam.status())) return resolve(cam.status());
    const guard = setTimeout(() => reject(new Error(`status never matched; last ${JSON.stringify(cam.status())}`)), GUARD_MS);
    const off = cam.onStatus((status) => {
      if (!predicate(status)) return;
      clearTimeout(guard);
      off();
      resolve(status);
    });
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('uvc camera through ffmpeg (lavfi stand-in)', () => {
  it('delivers frames at the configured size and rate with increasing capture times', async () => {
    const cam = camera(lavfi());
    let arrivedLast_ns = 0n;
    const offArrival = cam.onFrame(() => (arrivedLast_ns = systemClock.now_ns()));
    const pending = frames(cam, 6);
    await cam.connect();
    expect(cam.status()).toEqual({ connected: true });
    const got = await pending;
    offArrival();
    for (const frame of got) {
      expect(frame).toMatchObject({ camera: 'front', width_px: W, height_px: H, dropped_before: 0 });
      expect(frame.rgb.length).toBe(W * H * 3);
      expect(frame.jpeg).toBeUndefined(); // a raw source: nothing to pass through
    }
    const steps = got.slice(1).map((frame, i) => Number(frame.capture_ns - got[i]!.capture_ns));
    // Capture times follow the source's own timestamps (pts, 1/15 s apart) shifted by the smallest
    // delivery latency seen so far, which can only shrink: so however late frames arrive on a busy
    // machine, each step is positive and at most one frame period, never the arrival jitter.
    // (How close to the period the steps are is a rate, measured in bench/, not asserted here.)
    expect(
      steps.every((step) => step > 0 && step <= Math.ceil(1e9 / FPS)),
      steps.join(', '),
    ).toBe(true);
    // And never later than the frame reached the studio.
    expect(got.at(-1)!.capture_ns).toBeLessThanOrEqual(arrivedLast_ns);
    expect(cam.latest()).toBe(got.at(-1));
    expect(cam.features()).toEqual({
      'observation.images.front': { dtype: 'uint8', shape: [H, W, 3], names: ['height', 'width', 'channel'] },
    });
  });

  it('counts frames missing from the stream in dropped_before', async () => {
    // The source skips frame 3: a gap of two periods in pts.
    const cam = camera(lavfi(`testsrc2=size=${W}x${H}:rate=${FPS},select=not(eq(n\\,3))`));
    const pending = frames(cam, 5);
    await cam.connect();
    const got = await pending;
    expect(got.map((frame) => frame.dropped_before)).toEqual([0, 0, 0, 1, 0]);
  });

  it('turns a killed ffmpeg into a device error with a fix, and connects again', async () => {
    const cam = camera(lavfi());
    await cam.connect();
    const pid = cam.ffmpegPid!;
    const failed = statusWhere(cam, (status) => status.error !== undefined);
    process.kill(pid, 'SIGKILL');
    const status = await failed;
    expect(status.connected).toBe(false);
    expect(status.error?.message).toContain('camera "front"');
    expect(status.error?.message).toContain('SIGKILL');
    expect(status.error?.fix).toMatch(/connect the camera again/i);
    // connect() starts a new ffmpeg; frames flow again and the error is gone
    const pending = frames(cam, 2);
    await cam.connect();
    expect(cam.status()).toEqual({ connected: true });
    expect(cam.ffmpegPid).not.toBe(pid);
    await pending;
    const second = cam.ffmpegPid!;
    await cam.disconnect();
    expect(processAlive(second)).toBe(false);
    expect(cam.status()).toEqual({ connected: false });
  });

  it('lets disconnect() call off a connect() that is still starting', async () => {
    const cam = camera(lavfi());
    const connecting = cam.connect();
    expect(cam.connect()).toBe(connecting); // one start at a time
    await cam.disconnect();
    await expect(connecting).rejects.toThrow(/stopped before the first frame/);
    expect(cam.status()).toEqual({ connected: false });
    expect(cam.ffmpegPid).toBeUndefined();
  });

  it('refuses a source whose size differs from the rig config', async () => {
    const cam = camera(lavfi('testsrc2=size=320x240:rate=15'));
    const error = await cam.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toContain('delivers 320x240 but the rig config says 160x120');
    expect(cam.status().error?.fix).toContain('width_px');
  });

  it('explains a camera that is not there', async () => {
    const cam = camera({ device: join(dir, 'video9') });
    const error = await cam.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toBe(`no camera at ${join(dir, 'video9')} (camera "front")`);
    expect((error as StudioError).fix).toContain('studio devices list');
    expect(cam.status()).toMatchObject({ connected: false, error: { message: (error as StudioError).message } });
  });
});

describe('uvc camera, MJPEG pass-through', () => {
  it("hands each frame's JPEG over as sent, next to its decoded pixels", async () => {
    const cam = camera({ input: { format: 'file', path: mjpegFile, demuxer: 'mjpeg' } });
    const pending = frames(cam, 6);
    const ended = statusWhere(cam, (status) => status.error !== undefined);
    await cam.connect();
    const got = await pending;

    // The recorded stream's own JPEGs, cut at SOI…EOI.
    const source = new Uint8Array(readFileSync(mjpegFile));
    const originals: Uint8Array[] = [];
    for (let extent = findJpeg(source); extent !== undefined; extent = findJpeg(source, extent.end))
      originals.push(source.subarray(extent.start, extent.end));
    expect(originals).toHaveLength(6);
    got.forEach((frame, i) => {
      expect(frame.jpeg).toBeDefined();
      expect(Buffer.compare(Buffer.from(frame.jpeg!), Buffer.from(originals[i]!))).toBe(0); // byte for byte: no re-encode
    });

    // The JPEG decodes (by a separate ffmpeg) to the configured size and to the very pixels in `rgb`.
    const frame = got[2]!;
    const decoded = spawnSync(
      'ffmpeg',
      ['-hide_banner', '-loglevel', 'error', '-f', 'mjpeg', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
      { input: frame.jpeg },
    );
    expect(decoded.status).toBe(0);
    expect(decoded.stdout.length).toBe(W * H * 3);
    expect(Buffer.compare(decoded.stdout, Buffer.from(frame.rgb))).toBe(0);
    const probe = spawnSync(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', '-f', 'mjpeg', '-i', 'pipe:0'],
      { input: frame.jpeg },
    );
    expect(probe.stdout.toString().trim()).toBe(`mjpeg,${W},${H}`);

    // The file ends like an unplugged camera: an error that says so, not a crash.
    const status = await ended;
    expect(status.connected).toBe(false);
    expect(status.error?.message).toContain('ended');
    expect(status.error?.fix).toContain('loop');
  });
});

describe('uvc options', () => {
  it("registers as a camera type and validates its options with the entry's path", () => {
    const registry = createDeviceRegistry();
    expect(registry.types('camera')).toEqual(expect.arrayContaining(['uvc', 'realsense']));
    const context = { clock: systemClock, name: 'front', resolve: () => undefined };
    const entry = cameraConfigSchema.parse({
      type: 'uvc',
      name: 'front',
      width_px: 640,
      height_px: 480,
      fps_hz: 30,
      device: '/dev/video0',
    });
    const created = registry.create('camera', entry, 'cameras[0]', context);
    expect(created).toBeInstanceOf(UvcCamera);
    expect((created as UvcCamera).options.pixel_format).toBe('auto');
    const bad = cameraConfigSchema.parse({ type: 'uvc', name: 'front', width_px: 640, height_px: 480, fps_hz: 30, depth: true });
    expect(() => registry.create('camera', bad, 'cameras[0]', context)).toThrow(
      /cameras\[0\]\.device: give the camera's `device`[\s\S]*cameras\[0\]\.depth: a uvc camera has no depth/,
    );
    const typo = cameraConfigSchema.parse({
      type: 'uvc',
      name: 'front',
      width_px: 640,
      height_px: 480,
      fps_hz: 30,
      device: '/dev/video0',
      pixel_fromat: 'mjpeg',
    });
    expect(() => registry.create('camera', typo, 'cameras[0]', context)).toThrow(/pixel_fromat/);
  });
});
