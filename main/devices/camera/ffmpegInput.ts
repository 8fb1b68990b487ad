import { spawn } from 'node:child_process';
import { z } from 'zod';

/**
 * Where a camera's frames come from, as ffmpeg input arguments. Real cameras are `v4l2` nodes; tests
 * and replays put a stand-in in the same place (an ffmpeg `lavfi` test source, or a recorded MJPEG
 * file), so everything after the input — framing, pass-through, timestamps, errors — is the code a
 * real camera runs through.
 */

/** Pixel formats ffmpeg's v4l2 input can ask a camera for (`-input_format`); `auto` prefers MJPEG. */
export const v4l2PixelFormats = ['auto', 'mjpeg', 'yuyv422', 'uyvy422', 'nv12', 'yuv420p', 'rgb24', 'bgr24', 'gray', 'gray16le'] as const;
export type V4l2PixelFormat = (typeof v4l2PixelFormats)[number];

export const ffmpegInputSchema = z.discriminatedUnion('format', [
  z.strictObject({
    format: z.literal('v4l2'),
    /** The capture node, e.g. `/dev/video0` or a stable `/dev/v4l/by-id/...-video-index0` link. */
    device: z.string().min(1),
    pixel_format: z.enum(v4l2PixelFormats).default('auto'),
  }),
  z.strictObject({
    /**
     * A V4L2 node read with `v4l2-ctl` (v4l-utils) and handed to ffmpeg as raw video: for pixel formats
     * ffmpeg's v4l2 input does not know, such as RealSense depth (`Z16`, read as gray16le).
     */
    format: z.literal('v4l2-ctl'),
    device: z.string().min(1),
    fourcc: z
      .string()
      .regex(/^[A-Z0-9 ]{3,4}$/, { message: 'a V4L2 fourcc such as "Z16"' })
      .default('Z16'),
  }),
  z.strictObject({
    /** An ffmpeg filter source standing in for a camera, e.g. `testsrc2=size=160x120:rate=15`. Paced in real time. */
    format: z.literal('lavfi'),
    source: z.string().min(1),
  }),
  z.strictObject({
    /** A recorded stream replayed in real time; `demuxer: "mjpeg"` makes it a pass-through MJPEG camera. */
    format: z.literal('file'),
    path: z.string().min(1),
    demuxer: z
      .string()
      .regex(/^[a-z0-9_]+$/)
      .optional(),
    loop: z.boolean().default(false),
  }),
]);
export type FfmpegInput = z.output<typeof ffmpegInputSchema>;

/** How the camera's pixels reach ffmpeg, once any `auto` choice is made. */
export interface ResolvedInput {
  input: FfmpegInput;
  /** The camera sends JPEG frames: they are passed through as they are. */
  mjpeg: boolean;
  /** For `v4l2`: the `-input_format` given to ffmpeg, if any. */
  input_format?: string;
}

export interface StreamGeometry {
  width_px: number;
  height_px: number;
  fps_hz: number;
}

export function ffmpegPath(): string {
  return process.env.STUDIO_FFMPEG ?? 'ffmpeg';
}

export function v4l2CtlPath(): string {
  return process.env.STUDIO_V4L2_CTL ?? 'v4l2-ctl';
}

/** A name for the input in messages: the device path, the file, or the test source. */
export function describeInput(input: FfmpegInput): string {
  switch (input.format) {
    case 'v4l2':
    case 'v4l2-ctl':
      return input.device;
    case 'lavfi':
      return `lavfi ${input.source}`;
    case 'file':
      return input.path;
  }
}

function rate(fps_hz: number): string {
  return Number.isInteger(fps_hz) ? String(fps_hz) : fps_hz.toFixed(3);
}

/** ffmpeg arguments up to and including `-i`. Timestamps are kept as the input gives them (`-copyts`). */
export function inputArgs(resolved: ResolvedInput, geometry: StreamGeometry): string[] {
  const { input } = resolved;
  const size = `${geometry.width_px}x${geometry.height_px}`;
  switch (input.format) {
    case 'v4l2':
      // Kernel buffer timestamps (CLOCK_MONOTONIC on uvcvideo) come through as pts.
      return [
        '-f',
        'v4l2',
        ...(resolved.input_format !== undefined ? ['-input_format', resolved.input_format] : []),
        '-video_size',
        size,
        '-framerate',
        rate(geometry.fps_hz),
        '-i',
        input.device,
      ];
    case 'v4l2-ctl':
      // Raw frames on stdin carry no timestamps: ffmpeg stamps each with the wall clock as it is read.
      return [
        '-f',
        'rawvideo',
        '-pixel_format',
        'gray16le',
        '-video_size',
        size,
        '-framerate',
        rate(geometry.fps_hz),
        '-use_wallclock_as_timestamps',
        '1',
        '-i',
        'pipe:0',
      ];
    case 'lavfi':
      return ['-re', '-f', 'lavfi', '-i', input.source];
    case 'file': {
      const raw = input.demuxer === 'mjpeg' || input.demuxer === 'rawvideo';
      return [
        '-re',
        ...(input.loop ? ['-stream_loop', '-1'] : []),
        ...(input.demuxer !== undefined ? ['-f', input.demuxer] : []),
        ...(raw ? ['-framerate', rate(geometry.fps_hz)] : []),
        ...(input.demuxer === 'rawvideo' ? ['-video_size', size] : []),
        '-i',
        input.path,
      ];
    }
  }
}

/** The `v4l2-ctl` command that streams raw frames to stdout, for `v4l2-ctl` inputs. */
export function v4l2CtlArgs(device: string, fourcc: string, geometry: StreamGeometry): string[] {
  return [
    '-d',
    device,
    // v4l2-ctl takes a fourcc of exactly four characters: Z16 is "Z16 ".
    `--set-fmt-video=width=${geometry.width_px},height=${geometry.height_px},pixelformat=${fourcc.padEnd(4, ' ')}`,
    `--set-parm=${rate(geometry.fps_hz)}`,
    '--stream-mmap=4',
    '--stream-to=-',
  ];
}

// ---- ffmpeg version: `-fps_mode` exists from 5.1; older builds (Ubuntu 22.04 ships 4.4) use `-vsync` --

let versionProbe: Promise<[number, number] | undefined> | undefined;

export function ffmpegVersion(): Promise<[number, number] | undefined> {
  versionProbe ??= new Promise((resolve) => {
    let text = '';
    const child = spawn(ffmpegPath(), ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', () => resolve(undefined));
    child.on('close', () => {
      const match = /ffmpeg version n?(\d+)\.(\d+)/.exec(text);
      resolve(match === null ? undefined : [Number(match[1]), Number(match[2])]);
    });
  });
  return versionProbe;
}

/** Frames pass through one for one: no duplicates to fill gaps, no drops to keep a constant rate. */
export function passthroughArgs(version: [number, number] | undefined): string[] {
  const modern = version === undefined || version[0] > 5 || (version[0] === 5 && version[1] >= 1);
  return modern ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
}
