import { endianness } from 'node:os';
import { z } from 'zod';
import type { DeviceContext, DeviceFactory } from '../registry';
import type { CameraFrame, Clock, Features, PinholeIntrinsics } from '../types';
import { FfmpegCameraBase, ffmpegCameraBaseOptions, poseMat4 } from './cameraBase';
import { asDeviceError, captureError, type DeviceError } from './captureErrors';
import { FfmpegCapture, type CapturedImage } from './ffmpegCapture';
import { ffmpegInputSchema, v4l2PixelFormats, type FfmpegInput, type ResolvedInput } from './ffmpegInput';
import { resolveInput } from './v4l2Formats';

export const realsenseOptionsSchema = ffmpegCameraBaseOptions
  .extend({
    /** The colour node, e.g. `/dev/video4` (see `studio devices list`: "... RealSense ... RGB"). */
    color_device: z.string().min(1).optional(),
    color_pixel_format: z.enum(v4l2PixelFormats).default('auto'),
    /** The depth node (Z16), e.g. `/dev/video0`; read with `v4l2-ctl` because ffmpeg's V4L2 input has no Z16. */
    depth_device: z.string().min(1).optional(),
    /** Stand-ins instead of the devices (tests, replays): any ffmpeg input; depth is read as gray16le. */
    color_input: ffmpegInputSchema.optional(),
    depth_input: ffmpegInputSchema.optional(),
    /** Millimetres per Z16 unit: 1 for D400 defaults (depth units 0.001 m), 0.1 for a D405. */
    depth_scale_mm: z.number().finite().positive().max(100).default(1),
    /** Colour and depth frames further apart than this are not paired; default half a frame period. */
    pair_tolerance_ms: z.number().finite().positive().max(1000).optional(),
  })
  .strict()
  .superRefine((options, ctx) => {
    if ((options.color_device === undefined) === (options.color_input === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['color_device'],
        message: 'give the colour node as `color_device` (e.g. "/dev/video4"), or a `color_input` stand-in, not both',
      });
    }
    if ((options.depth_device === undefined) === (options.depth_input === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['depth_device'],
        message: 'give the depth node as `depth_device` (e.g. "/dev/video0"), or a `depth_input` stand-in, not both',
      });
    }
    if (!options.depth) {
      ctx.addIssue({
        code: 'custom',
        path: ['depth'],
        message: 'a realsense camera records depth: set `"depth": true` (or use type "uvc" for its colour stream alone)',
      });
    }
    if (options.intrinsics === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['intrinsics'],
        message: "a realsense camera needs the depth stream's intrinsics (fx_px, fy_px, cx_px, cy_px), e.g. from `rs-enumerate-devices -c`",
      });
    }
  });
export type RealSenseOptions = z.output<typeof realsenseOptionsSchema>;

interface Pending {
  image: CapturedImage;
}

/**
 * `realsense`: an Intel RealSense D400 through plain V4L2 (no librealsense): the colour node through
 * ffmpeg (MJPEG passed through when offered) and the depth node's Z16 frames as 16-bit depth. Frames
 * are paired by capture time within half a period; a colour frame without depth is counted as dropped.
 * The intrinsics come from the rig config and describe the depth image; colour and depth are not
 * registered to each other (that needs the factory extrinsics librealsense reads from the camera).
 */
export class RealSenseCamera extends FfmpegCameraBase {
  readonly type = 'realsense';
  private color: FfmpegCapture | undefined;
  private depth: FfmpegCapture | undefined;
  private colorQueue: Pending[] = [];
  private depthQueue: Pending[] = [];
  private unpaired = 0;
  private readonly tolerance_ns: bigint;
  private readonly maxQueue: number;
  private readonly intrinsics: PinholeIntrinsics;
  private readonly world_from_camera: number[] | undefined;

  constructor(
    name: string,
    readonly options: RealSenseOptions,
    private readonly clock: Clock,
  ) {
    super(name);
    const period_ms = 1000 / options.fps_hz;
    this.tolerance_ns = BigInt(Math.round((options.pair_tolerance_ms ?? period_ms / 2) * 1e6));
    this.maxQueue = Math.max(4, Math.ceil(options.fps_hz / 2));
    const { intrinsics } = options;
    if (intrinsics === undefined) throw new Error('unreachable: the options schema requires intrinsics');
    this.intrinsics = intrinsics;
    this.world_from_camera = options.world_from_camera === undefined ? undefined : poseMat4(options.world_from_camera);
  }

  private get who(): string {
    return `camera "${this.name}"`;
  }

  /** Process ids of the colour and depth ffmpeg (diagnostics and tests). */
  get ffmpegPids(): { color: number | undefined; depth: number | undefined } {
    return { color: this.color?.pid, depth: this.depth?.pid };
  }

  protected async start(): Promise<void> {
    const epoch = this.epoch;
    await this.stopCaptures();
    const { options } = this;
    const geometry = { width_px: options.width_px, height_px: options.height_px, fps_hz: options.fps_hz };
    const common = { clock: this.clock, first_frame_timeout_ms: options.first_frame_timeout_ms, ...geometry };
    try {
      const colorInput: FfmpegInput = options.color_input ?? {
        format: 'v4l2',
        device: options.color_device ?? '',
        pixel_format: options.color_pixel_format,
      };
      const colorResolved = await resolveInput(colorInput, geometry, `${this.who} colour`);
      this.throwIfCalledOff(epoch);
      const color = new FfmpegCapture({ ...common, who: `${this.who} colour`, resolved: colorResolved, output: 'rgb24' });
      const depth = new FfmpegCapture({ ...common, who: `${this.who} depth`, resolved: this.depthResolved(), output: 'gray16le' });
      this.color = color;
      this.depth = depth;
      this.colorQueue = [];
      this.depthQueue = [];
      this.unpaired = 0;
      color.on('image', (image) => this.receive(this.colorQueue, image));
      depth.on('image', (image) => this.receive(this.depthQueue, image));
      const lost = (capture: FfmpegCapture) => (error: DeviceError) => {
        if (this.color !== capture && this.depth !== capture) return;
        this.setStatus(false, error);
        void this.stopCaptures();
      };
      color.on('failed', lost(color));
      depth.on('failed', lost(depth));
      const results = await Promise.allSettled([color.start(), depth.start()]);
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      this.throwIfCalledOff(epoch);
      this.setStatus(true, undefined);
    } catch (error) {
      const reason = asDeviceError(error);
      // A disconnect() while starting is not a camera error.
      if (epoch === this.epoch) this.setStatus(false, reason);
      await this.stopCaptures();
      throw captureError(reason);
    }
  }

  async disconnect(): Promise<void> {
    this.epoch++;
    await this.stopCaptures();
    this.setStatus(false, undefined);
  }

  features(): Features {
    const { height_px: h, width_px: w } = this.options;
    return {
      [`observation.images.${this.name}`]: { dtype: 'uint8', shape: [h, w, 3], names: ['height', 'width', 'channel'] },
      [`observation.depth.${this.name}`]: { dtype: 'uint16', shape: [h, w], names: ['height', 'width'], unit: 'mm' },
    };
  }

  private depthResolved(): ResolvedInput {
    const input = this.options.depth_input;
    if (input === undefined) return { input: { format: 'v4l2-ctl', device: this.options.depth_device ?? '', fourcc: 'Z16' }, mjpeg: false };
    // A V4L2 node that ffmpeg can read as 16-bit grey (Y16); anything else is a stand-in converted to gray16le.
    if (input.format === 'v4l2') return { input, mjpeg: false, input_format: 'gray16le' };
    return { input, mjpeg: false };
  }

  private async stopCaptures(): Promise<void> {
    const captures = [this.color, this.depth];
    this.color = undefined;
    this.depth = undefined;
    await Promise.all(
      captures.map(async (capture) => {
        if (capture === undefined) return;
        capture.removeAllListeners();
        await capture.stop();
      }),
    );
  }

  private receive(queue: Pending[], image: CapturedImage): void {
    queue.push({ image });
    this.pair();
  }

  /** Pairs the oldest colour frame with the depth frame nearest in time, within the tolerance. */
  private pair(): void {
    const tolerance = this.tolerance_ns;
    while (this.colorQueue.length > 0 && this.depthQueue.length > 0) {
      const color = this.colorQueue[0]!.image;
      // Skip depth frames that a later one matches better.
      while (
        this.depthQueue.length > 1 &&
        distance(this.depthQueue[1]!.image.capture_ns, color.capture_ns) <= distance(this.depthQueue[0]!.image.capture_ns, color.capture_ns)
      )
        this.depthQueue.shift();
      const depth = this.depthQueue[0]!.image;
      if (distance(depth.capture_ns, color.capture_ns) <= tolerance) {
        this.colorQueue.shift();
        this.depthQueue.shift();
        this.emitPair(color, depth);
      } else if (depth.capture_ns < color.capture_ns) {
        this.depthQueue.shift(); // depth without colour: colour drops are counted on the colour side
      } else {
        this.colorQueue.shift();
        this.unpaired += 1 + color.dropped_before;
      }
    }
    // One side stalled: keep at most half a second waiting, counting what falls out.
    while (this.colorQueue.length > this.maxQueue) this.unpaired += 1 + this.colorQueue.shift()!.image.dropped_before;
    while (this.depthQueue.length > this.maxQueue) this.depthQueue.shift();
  }

  private emitPair(color: CapturedImage, depth: CapturedImage): void {
    const { width_px, height_px, depth_scale_mm } = this.options;
    const frame: CameraFrame = {
      camera: this.name,
      capture_ns: color.capture_ns,
      width_px,
      height_px,
      rgb: color.pixels,
      ...(color.jpeg !== undefined ? { jpeg: color.jpeg } : {}),
      depth_mm: depthMillimetres(depth.pixels, depth_scale_mm),
      intrinsics: this.intrinsics,
      ...(this.world_from_camera !== undefined ? { world_from_camera: this.world_from_camera } : {}),
      dropped_before: color.dropped_before + this.unpaired,
    };
    this.unpaired = 0;
    this.publish(frame);
  }
}

function distance(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}

/** gray16le bytes (a buffer of their own) as depth in millimetres. */
export function depthMillimetres(bytes: Uint8Array, scale_mm: number): Uint16Array {
  const count = bytes.byteLength >> 1;
  let depth: Uint16Array;
  if (endianness() === 'LE' && bytes.byteOffset % 2 === 0) {
    depth = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  } else {
    depth = new Uint16Array(count);
    for (let i = 0; i < count; i++) depth[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
  }
  if (scale_mm !== 1) {
    for (let i = 0; i < count; i++) depth[i] = Math.min(65535, Math.round(depth[i]! * scale_mm));
  }
  return depth;
}

export const realsenseCameraFactory: DeviceFactory<typeof realsenseOptionsSchema> = {
  kind: 'camera',
  type: 'realsense',
  summary: 'Intel RealSense D400 over plain V4L2: colour through ffmpeg, Z16 depth, paired by capture time.',
  options: realsenseOptionsSchema,
  create(options, context: DeviceContext) {
    return new RealSenseCamera(context.name, options, context.clock);
  },
};
