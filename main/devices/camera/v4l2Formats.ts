import { spawn } from 'node:child_process';
import { captureError, explainCaptureFailure } from './captureErrors';
import { ffmpegPath, type FfmpegInput, type ResolvedInput, type StreamGeometry, type V4l2PixelFormat } from './ffmpegInput';

/** One pixel format a V4L2 node offers, as `ffmpeg -f v4l2 -list_formats all` reports it. */
export interface V4l2Format {
  compressed: boolean;
  /** ffmpeg's name (`mjpeg`, `yuyv422`), or `Unsupported` for formats ffmpeg cannot read (e.g. Z16). */
  name: string;
  description: string;
  /** Discrete sizes as `WxH`; empty when the node gives ranges instead. */
  sizes: string[];
}

/** Parses the format listing from ffmpeg's stderr. */
export function parseFormatList(stderr: string): V4l2Format[] {
  const formats: V4l2Format[] = [];
  for (const line of stderr.split('\n')) {
    const match = /(Raw|Compressed)\s*:\s*(\S+)\s+:\s+(.+?)\s+:(.*)$/.exec(line);
    if (match === null) continue;
    const sizes = [...match[4]!.matchAll(/(?:^|\s)(\d+x\d+)(?=\s|$)/g)].map((m) => m[1]!);
    formats.push({ compressed: match[1] === 'Compressed', name: match[2]!, description: match[3]!.trim(), sizes });
  }
  return formats;
}

/** Asks a V4L2 node which formats and sizes it offers. Rejects with the explained reason (permissions, no such node). */
export function listV4l2Formats(device: string, who: string): Promise<V4l2Format[]> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const child = spawn(ffmpegPath(), ['-hide_banner', '-nostdin', '-f', 'v4l2', '-list_formats', 'all', '-i', device], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) =>
      reject(
        captureError(
          explainCaptureFailure({
            who,
            source: device,
            tool: 'ffmpeg',
            stderr,
            code: null,
            signal: null,
            spawnError: error,
            wasStreaming: false,
          }),
        ),
      ),
    );
    child.on('close', (code, signal) => {
      const formats = parseFormatList(stderr);
      // ffmpeg exits 1 after listing ("Immediate exit requested"): formats found means it worked.
      if (formats.length > 0) resolve(formats);
      else reject(captureError(explainCaptureFailure({ who, source: device, tool: 'ffmpeg', stderr, code, signal, wasStreaming: false })));
    });
  });
}

/**
 * Picks how to read a V4L2 node: `auto` takes MJPEG when the camera offers it at the configured size
 * (full frame rate over USB 2, and the frames are recorded as sent), else the camera's default.
 * An explicit pixel format is used as given. Returns an error when the node cannot be listed.
 */
export async function resolveV4l2(
  device: string,
  pixel_format: V4l2PixelFormat,
  geometry: StreamGeometry,
  who: string,
): Promise<ResolvedInput> {
  const input = { format: 'v4l2' as const, device, pixel_format };
  if (pixel_format !== 'auto') return { input, mjpeg: pixel_format === 'mjpeg', input_format: pixel_format };
  const formats = await listV4l2Formats(device, who);
  const size = `${geometry.width_px}x${geometry.height_px}`;
  const fits = (format: V4l2Format): boolean => format.sizes.length === 0 || format.sizes.includes(size);
  const mjpeg = formats.find((format) => format.name === 'mjpeg' && fits(format));
  if (mjpeg !== undefined) return { input, mjpeg: true, input_format: 'mjpeg' };
  const raw = formats.find((format) => !format.compressed && format.name !== 'Unsupported' && fits(format));
  if (raw !== undefined) return { input, mjpeg: false, input_format: raw.name };
  const offered = formats.map((format) => `${format.name} (${format.description}): ${format.sizes.join(' ') || 'any size'}`).join('; ');
  throw captureError({
    message: `${who}: ${device} offers no format ffmpeg can read at ${size} (offers ${offered})`,
    fix: 'Set width_px and height_px to a listed size. A depth node (Z16) belongs to a `realsense` camera, not `uvc`.',
  });
}

/** Settles `auto`: asks a V4L2 node what it offers; stand-ins say what they are. */
export async function resolveInput(input: FfmpegInput, geometry: StreamGeometry, who: string): Promise<ResolvedInput> {
  switch (input.format) {
    case 'v4l2':
      return resolveV4l2(input.device, input.pixel_format, geometry, who);
    case 'file':
      return { input, mjpeg: input.demuxer === 'mjpeg' };
    default:
      return { input, mjpeg: false };
  }
}
