import { z } from 'zod';
import type { DeviceContext, DeviceFactory } from '../registry';
import type { CameraFrame, Clock, Features, PinholeIntrinsics } from '../types';
import { FfmpegCameraBase, ffmpegCameraBaseOptions, poseMat4 } from './cameraBase';
import { asDeviceError, captureError } from './captureErrors';
import { FfmpegCapture, type CapturedImage } from './ffmpegCapture';
import { describeInput, ffmpegInputSchema, v4l2PixelFormats, type FfmpegInput } from './ffmpegInput';
import { resolveInput } from './v4l2Formats';

export const uvcOptionsSchema = ffmpegCameraBaseOptions
  .extend({
    /** The V4L2 capture node, e.g. `/dev/video0` or `/dev/v4l/by-id/usb-...-video-index0`. */
    device: z.string().min(1).optional(),
    /** `auto` takes MJPEG when offered (frames recorded as sent), else the camera's raw format. */
    pixel_format: z.enum(v4l2PixelFormats).default('auto'),
    /** Instead of `device`: any ffmpeg input (a `lavfi` test source or a recorded MJPEG file). */
    input: ffmpegInputSchema.optional(),
  })
  .strict()
  .superRefine((options, ctx) => {
    if ((options.device === undefined) === (options.input === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['device'],
        message: 'give the camera\'s `device` (e.g. "/dev/video0"), or an `input` stand-in, not both',
      });
    }
    if (options.depth) {
      ctx.addIssue({ code: 'custom', path: ['depth'], message: 'a uvc camera has no depth; use type "realsense" for an RGB-D camera' });
    }
  });
export type UvcOptions = z.output<typeof uvcOptionsSchema>;

/** Where the frames come from; `auto` pixel formats are settled at connect time. */
export function uvcInput(options: UvcOptions): FfmpegInput {
  if (options.input !== undefined) return options.input;
  return { format: 'v4l2', device: options.device ?? '/dev/video0', pixel_format: options.pixel_format };
}

/**
 * `uvc`: a USB Video Class camera through ffmpeg's V4L2 input. MJPEG frames are passed through for
 * recording (`CameraFrame.jpeg`, no re-encode) and decoded by the same ffmpeg for preview (`rgb`).
 * An unplugged camera or a dead ffmpeg becomes `status().error` with the fix; `connect()` again
 * starts over.
 */
export class UvcCamera extends FfmpegCameraBase {
  readonly type = 'uvc';
  private capture: FfmpegCapture | undefined;
  private readonly intrinsics: PinholeIntrinsics | undefined;
  private readonly world_from_camera: number[] | undefined;

  constructor(
    name: string,
    readonly options: UvcOptions,
    private readonly clock: Clock,
  ) {
    super(name);
    this.intrinsics = options.intrinsics;
    this.world_from_camera = options.world_from_camera === undefined ? undefined : poseMat4(options.world_from_camera);
  }

  private get who(): string {
    return `camera "${this.name}"`;
  }

  /** The running ffmpeg's process id (diagnostics and tests). */
  get ffmpegPid(): number | undefined {
    return this.capture?.pid;
  }

  protected async start(): Promise<void> {
    const epoch = this.epoch;
    await this.stopCapture();
    const { width_px, height_px, fps_hz, first_frame_timeout_ms } = this.options;
    try {
      const resolved = await resolveInput(uvcInput(this.options), this.options, this.who);
      this.throwIfCalledOff(epoch);
      const capture = new FfmpegCapture({
        who: this.who,
        resolved,
        output: 'rgb24',
        clock: this.clock,
        width_px,
        height_px,
        fps_hz,
        first_frame_timeout_ms,
      });
      this.capture = capture;
      capture.on('image', (image) => this.receive(image));
      capture.on('failed', (error) => {
        if (this.capture !== capture) return;
        this.setStatus(false, error);
      });
      await capture.start();
      this.throwIfCalledOff(epoch);
      this.setStatus(true, undefined);
    } catch (error) {
      const reason = asDeviceError(error);
      // A disconnect() while starting is not a camera error.
      if (epoch === this.epoch) this.setStatus(false, reason);
      await this.stopCapture();
      throw captureError(reason);
    }
  }

  async disconnect(): Promise<void> {
    this.epoch++;
    await this.stopCapture();
    this.setStatus(false, undefined);
  }

  features(): Features {
    const { height_px: h, width_px: w } = this.options;
    return { [`observation.images.${this.name}`]: { dtype: 'uint8', shape: [h, w, 3], names: ['height', 'width', 'channel'] } };
  }

  /** Where frames come from, for messages and `studio devices list`. */
  describe(): string {
    return describeInput(uvcInput(this.options));
  }

  private async stopCapture(): Promise<void> {
    const capture = this.capture;
    this.capture = undefined;
    if (capture === undefined) return;
    capture.removeAllListeners();
    await capture.stop();
  }

  private receive(image: CapturedImage): void {
    const frame: CameraFrame = {
      camera: this.name,
      capture_ns: image.capture_ns,
      width_px: this.options.width_px,
      height_px: this.options.height_px,
      rgb: image.pixels,
      ...(image.jpeg !== undefined ? { jpeg: image.jpeg } : {}),
      ...(this.intrinsics !== undefined ? { intrinsics: this.intrinsics } : {}),
      ...(this.world_from_camera !== undefined ? { world_from_camera: this.world_from_camera } : {}),
      dropped_before: image.dropped_before,
    };
    this.publish(frame);
  }
}

export const uvcCameraFactory: DeviceFactory<typeof uvcOptionsSchema> = {
  kind: 'camera',
  type: 'uvc',
  summary: "USB (UVC) camera through ffmpeg's V4L2 input; MJPEG frames recorded as sent, decoded for preview.",
  options: uvcOptionsSchema,
  create(options, context: DeviceContext) {
    return new UvcCamera(context.name, options, context.clock);
  },
};
