import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cameraConfigSchema } from '../../../shared/rig/rigConfig';
import { RealSenseCamera, realsenseOptionsSchema } from '../../../main/devices/camera/realsenseCamera';
import { createDeviceRegistry } from '../../../main/devices/catalog';
import { systemClock, type CameraFrame, type DeviceStatus } from '../../../main/devices/types';
import { useTempDirs } from '../../support/tempDir';

const tempDir = useTempDirs();

const W = 96;
const H = 72;
const FPS = 15;
const GUARD_MS = 10_000;
const intrinsics = { fx_px: 80, fy_px: 80, cx_px: 48, cy_px: 36 };
const world_from_camera = { translation_m: [1, 0, 0.5], rotation_wxyz: [1, 0, 0, 0] };

const cameras: RealSenseCamera[] = [];
afterEach(async () => {
  await Promise.all(cameras.splice(0).map((camera) => camera.disconnect()));
});

/** Colour and depth from two lavfi sources, each in its own ffmpeg, as the two V4L2 nodes would be. */
function camera(extra: Record<string, unknown> = {}): RealSenseCamera {
  const options = realsenseOptionsSchema.parse({
    name: 'wrist',
    width_px: W,
    height_px: H,
    fps_hz: FPS,
    depth: true,
    intrinsics,
    world_from_camera,
    first_frame_timeout_ms: GUARD_MS,
    color_input: { format: 'lavfi', source: `testsrc2=size=${W}x${H}:rate=${FPS}` },
    // A 16-bit ramp stands in for Z16: ffmpeg hands it over as gray16le, as it would the depth node.
    depth_input: { format: 'lavfi', source: `testsrc2=size=${W}x${H}:rate=${FPS},format=gray16le` },
    ...extra,
  });
  const created = new RealSenseCamera('wrist', options, systemClock);
  cameras.push(created);
  return created;
}

function frames(cam: RealSenseCamera, count: number): Promise<CameraFrame[]> {
  return new Promise((resolve, reject) => {
    const got: CameraFrame[] = [];
    const guard = setTimeout(() => reject(new Error(`only ${got.length} of ${count} frames arrived`)), GUARD_MS);
    const off = cam.onFrame((frame) => {
      got.push(frame);
      if (got.length < count) return;
      clearTimeout(guard);
      off();
      resolve(got);
    });
  });
}

function failure(cam: RealSenseCamera): Promise<DeviceStatus> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('no error status')), GUARD_MS);
    const off = cam.onStatus((status) => {
      if (status.error === undefined) return;
      clearTimeout(guard);
      off();
      resolve(status);
    });
  });
}

describe('realsense camera: colour + Z16 depth through ffmpeg', () => {
  it("pairs colour and 16-bit depth frames by time, with the rig config's calibration", async () => {
    const cam = camera();
    const pending = frames(cam, 4);
    await cam.connect();
    const got = await pending;
    for (const frame of got) {
      expect(frame).toMatchObject({ camera: 'wrist', width_px: W, height_px: H, intrinsics });
      expect(frame.rgb.length).toBe(W * H * 3);
      expect(frame.depth_mm).toBeInstanceOf(Uint16Array);
      expect(frame.depth_mm!.length).toBe(W * H);
      expect(frame.world_from_camera?.slice(12, 15)).toEqual([1, 0, 0.5]);
    }
    // genuinely 16-bit: values above the 8-bit range, and not constant
    const depth = got[0]!.depth_mm!;
    expect(Math.max(...depth)).toBeGreaterThan(255);
    expect(new Set(depth).size).toBeGreaterThan(10);
    expect(got.slice(1).every((frame, i) => frame.capture_ns > got[i]!.capture_ns)).toBe(true);
    expect(Object.keys(cam.features())).toEqual(['observation.images.wrist', 'observation.depth.wrist']);
  });

  it('reports the depth stream dying as a camera error, and connects again', async () => {
    const cam = camera();
    await cam.connect();
    const failed = failure(cam);
    process.kill(cam.ffmpegPids.depth!, 'SIGKILL');
    const status = await failed;
    expect(status.connected).toBe(false);
    expect(status.error?.message).toContain('camera "wrist" depth');
    expect(status.error?.fix).toBeDefined();
    const pending = frames(cam, 1);
    await cam.connect();
    await pending;
    expect(cam.status()).toEqual({ connected: true });
  });

  it('reads the depth node through v4l2-ctl piped into ffmpeg', async () => {
    // A stand-in v4l2-ctl: notes its arguments, then streams raw 16-bit frames to stdout as the real one does.
    const dir = tempDir();
    const script = join(dir, 'v4l2-ctl');
    writeFileSync(
      script,
      `#!/bin/sh\necho "$@" > "${join(dir, 'args')}"\nexec ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=${W}x${H}:rate=${FPS},format=gray16le -f rawvideo pipe:1\n`,
    );
    chmodSync(script, 0o755);
    const previous = process.env.STUDIO_V4L2_CTL;
    process.env.STUDIO_V4L2_CTL = script;
    try {
      const cam = camera({ depth_input: undefined, depth_device: '/dev/video0', depth_scale_mm: 0.1 });
      const pending = frames(cam, 2);
      await cam.connect();
      const got = await pending;
      expect(got[1]!.depth_mm!.length).toBe(W * H);
      expect(Math.max(...got[1]!.depth_mm!)).toBeLessThanOrEqual(6554); // scaled by 0.1 mm per unit
      expect(readFileSync(join(dir, 'args'), 'utf8').trim()).toBe(
        `-d /dev/video0 --set-fmt-video=width=${W},height=${H},pixelformat=Z16  --set-parm=${FPS} --stream-mmap=4 --stream-to=-`,
      );
    } finally {
      if (previous === undefined) delete process.env.STUDIO_V4L2_CTL;
      else process.env.STUDIO_V4L2_CTL = previous;
    }
  });

  it('needs intrinsics, depth and both nodes in the rig config', () => {
    const registry = createDeviceRegistry();
    const context = { clock: systemClock, name: 'wrist', resolve: () => undefined };
    const entry = cameraConfigSchema.parse({
      type: 'realsense',
      name: 'wrist',
      width_px: 640,
      height_px: 480,
      fps_hz: 30,
      color_device: '/dev/video4',
    });
    expect(() => registry.create('camera', entry, 'cameras[1]', context)).toThrow(
      /cameras\[1\]\.depth_device[\s\S]*cameras\[1\]\.depth: a realsense camera records depth[\s\S]*cameras\[1\]\.intrinsics/,
    );
    const good = cameraConfigSchema.parse({
      type: 'realsense',
      name: 'wrist',
      width_px: 640,
      height_px: 480,
      fps_hz: 30,
      depth: true,
      intrinsics,
      color_device: '/dev/video4',
      depth_device: '/dev/video0',
    });
    expect(registry.create('camera', good, 'cameras[1]', context)).toBeInstanceOf(RealSenseCamera);
  });
});
