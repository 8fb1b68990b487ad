import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { statSync } from 'node:fs';
import { StudioError } from '../../shared/api/errors';
import type { VideoCodec } from './types';

/**
 * ffmpeg and ffprobe as child processes: encoding and decoding run there, off the thread that
 * drives the export. Every process is killed when the export's AbortSignal fires.
 */

const FFMPEG = process.env.STUDIO_FFMPEG ?? 'ffmpeg';
const FFPROBE = process.env.STUDIO_FFPROBE ?? 'ffprobe';

export class ExportCancelled extends Error {
  constructor() {
    super('the export was cancelled');
    this.name = 'ExportCancelled';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new ExportCancelled();
}

function missingTool(tool: string, error: Error): StudioError {
  return new StudioError({
    code: 'failed_precondition',
    message: `cannot run ${tool}: ${error.message}`,
    fix: `Install ffmpeg (Debian/Ubuntu: \`apt-get install ffmpeg\`; macOS: \`brew install ffmpeg\`), or point STUDIO_${tool.toUpperCase()} at the binary.`,
  });
}

/** A running ffmpeg fed through stdin, with back-pressure and a readable failure. */
export class FfmpegProcess {
  readonly child: ChildProcessWithoutNullStreams;
  private stderrTail = '';
  private spawnError: Error | null = null;
  private readonly exited: Promise<number | null>;
  private readonly offAbort: () => void;

  constructor(
    readonly args: string[],
    private readonly what: string,
    signal?: AbortSignal,
  ) {
    throwIfAborted(signal);
    this.child = spawn(FFMPEG, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000);
    });
    this.child.stdin.on('error', () => {
      // EPIPE when ffmpeg dies early: reported by `close()` with ffmpeg's own message.
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.spawnError = error;
        resolve(null);
      });
      this.child.once('close', (code) => resolve(code));
    });
    const abort = () => this.child.kill('SIGKILL');
    signal?.addEventListener('abort', abort, { once: true });
    this.offAbort = () => signal?.removeEventListener('abort', abort);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.child.stdin.destroyed || this.child.exitCode !== null) await this.close();
    if (!this.child.stdin.write(bytes)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.child.stdin.off('drain', done);
          this.child.off('close', done);
          resolve();
        };
        this.child.stdin.once('drain', done);
        this.child.once('close', done);
      });
    }
  }

  /** Ends the input and waits; throws with ffmpeg's message when it failed. */
  async close(signal?: AbortSignal): Promise<void> {
    if (!this.child.stdin.destroyed) this.child.stdin.end();
    const code = await this.exited;
    this.offAbort();
    throwIfAborted(signal);
    if (this.spawnError !== null) throw missingTool('ffmpeg', this.spawnError);
    if (code !== 0) {
      throw new StudioError({
        code: 'internal',
        message: `ffmpeg failed while ${this.what} (exit ${code}): ${this.stderrTail.trim().split('\n').slice(-4).join(' | ')}`,
        fix: 'Check that ffmpeg has the encoder (`ffmpeg -encoders`), or choose another with --vcodec.',
      });
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

export interface EncoderSettings {
  vcodec: VideoCodec;
  crf: number;
  gop: number;
  threads?: number;
  h264_preset?: string;
}

// superfast: the fastest preset that keeps files reasonable; ≥ 3× real time for three 640×480 cameras on 2 cores (BENCHMARKS.md).
export const H264_PRESET = 'superfast';
export const SVTAV1_PRESET = 12;

function codecArgs(settings: EncoderSettings): string[] {
  const threads = settings.threads === undefined ? [] : ['-threads', String(settings.threads)];
  if (settings.vcodec === 'libsvtav1') {
    const lp = settings.threads === undefined ? '' : `:lp=${settings.threads}`;
    return [
      '-c:v',
      'libsvtav1',
      '-pix_fmt',
      'yuv420p',
      '-g',
      String(settings.gop),
      '-crf',
      String(settings.crf),
      '-preset',
      String(SVTAV1_PRESET),
      '-svtav1-params',
      `fast-decode=0${lp}`,
    ];
  }
  // No B-frames: presentation order = decode order, so pts are exactly frame / fps.
  return [
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(settings.gop),
    '-crf',
    String(settings.crf),
    '-preset',
    settings.h264_preset ?? H264_PRESET,
    '-bf',
    '0',
    ...threads,
  ];
}

export type EncoderInput =
  { kind: 'encoded'; codec: 'mjpeg' | 'png' } | { kind: 'raw'; pix_fmt: 'gray12le' | 'rgb24'; width: number; height: number };

/**
 * One MP4 at a constant `fps`: frame i has pts i / fps. Frames are fed one by one (encoded JPEG/PNG
 * files, or raw pixels); optionally a tiny RGB copy of every frame comes back for statistics.
 */
export class VideoEncoder {
  private readonly process: FfmpegProcess;
  frames = 0;

  constructor(
    readonly path: string,
    options: {
      input: EncoderInput;
      fps: number;
      settings: EncoderSettings | 'depth-lossless';
      statsSize?: [number, number];
      onStatsFrame?: (rgb: Uint8Array) => void;
      signal?: AbortSignal;
    },
  ) {
    const input =
      options.input.kind === 'encoded'
        ? ['-f', 'image2pipe', '-c:v', options.input.codec, '-framerate', String(options.fps), '-i', 'pipe:0']
        : [
            '-f',
            'rawvideo',
            '-pix_fmt',
            options.input.pix_fmt,
            '-s',
            `${options.input.width}x${options.input.height}`,
            '-framerate',
            String(options.fps),
            '-i',
            'pipe:0',
          ];
    const codec =
      options.settings === 'depth-lossless'
        ? ['-c:v', 'libx265', '-pix_fmt', 'gray12le', '-x265-params', 'lossless=1:log-level=error', '-g', '2']
        : codecArgs(options.settings);
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...input];
    const stats = options.statsSize !== undefined && options.onStatsFrame !== undefined;
    if (stats) {
      const [w, h] = options.statsSize!;
      args.push('-filter_complex', `[0:v]split=2[enc][st];[st]scale=${w}:${h}:flags=area,format=rgb24[stats]`, '-map', '[enc]');
    }
    args.push(...codec, '-movflags', '+faststart', '-f', 'mp4', path);
    if (stats) args.push('-map', '[stats]', '-f', 'rawvideo', 'pipe:1');
    this.process = new FfmpegProcess(args, `encoding ${path}`, options.signal);
    if (stats) {
      const frameBytes = options.statsSize![0] * options.statsSize![1] * 3;
      let pending: Buffer = Buffer.alloc(0);
      this.process.child.stdout.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        while (pending.length >= frameBytes) {
          options.onStatsFrame!(new Uint8Array(pending.subarray(0, frameBytes)));
          pending = pending.subarray(frameBytes);
        }
      });
    } else {
      this.process.child.stdout.resume();
    }
  }

  /** Bytes fed in: a stand-in for the output size until ffmpeg has flushed anything. */
  inputBytes = 0;

  async write(frame: Uint8Array): Promise<void> {
    this.frames += 1;
    this.inputBytes += frame.byteLength;
    await this.process.write(frame);
  }

  /** Bytes written so far (the MP4 is finished only after `close`). */
  size(): number {
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  close(signal?: AbortSignal): Promise<void> {
    return this.process.close(signal);
  }

  kill(): void {
    this.process.kill();
  }
}

/**
 * Decodes encoded frames (JPEG or PNG) to raw pixels, optionally resized: `rgb24` (3 bytes per
 * pixel) or `gray16le`. Returns all frames concatenated.
 */
export async function decodeFrames(
  frames: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  options: { codec: 'mjpeg' | 'png'; pix_fmt: 'rgb24' | 'gray16le'; size?: [number, number]; signal?: AbortSignal },
): Promise<Buffer> {
  const scale = options.size === undefined ? [] : ['-vf', `scale=${options.size[0]}:${options.size[1]}:flags=area`];
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-f',
    'image2pipe',
    '-c:v',
    options.codec,
    '-i',
    'pipe:0',
    ...scale,
    '-fps_mode',
    'passthrough',
    '-pix_fmt',
    options.pix_fmt,
    '-f',
    'rawvideo',
    'pipe:1',
  ];
  const process = new FfmpegProcess(args, 'decoding camera frames', options.signal);
  const chunks: Buffer[] = [];
  process.child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  for await (const frame of frames) await process.write(frame);
  await process.close(options.signal);
  return Buffer.concat(chunks);
}

export interface ProbedStream {
  codec_name: string;
  width: number;
  height: number;
  pix_fmt: string;
  r_frame_rate: string;
  avg_frame_rate: string;
  nb_frames?: string;
  time_base: string;
}

/** ffprobe's view of a video file: the first video stream, whether there is audio, and every packet's pts. */
export async function probeVideo(
  path: string,
  options: { packets?: boolean; signal?: AbortSignal } = {},
): Promise<{ stream: ProbedStream; has_audio: boolean; pts_s: number[] }> {
  const args = [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_type,codec_name,width,height,pix_fmt,r_frame_rate,avg_frame_rate,nb_frames,time_base',
    ...(options.packets === true ? ['-select_streams', 'v:0', '-show_entries', 'packet=pts_time'] : []),
    '-of',
    'json',
    path,
  ];
  const json = await new Promise<string>((resolve, reject) => {
    const child = spawn(FFPROBE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const abort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.once('error', (error) => reject(missingTool('ffprobe', error)));
    child.once('close', (code) => {
      options.signal?.removeEventListener('abort', abort);
      if (code === 0) resolve(Buffer.concat(out).toString());
      else
        reject(new StudioError({ code: 'failed_precondition', message: `ffprobe cannot read ${path}: ${err.trim() || `exit ${code}`}` }));
    });
  });
  const parsed = JSON.parse(json) as { streams?: (ProbedStream & { codec_type: string })[]; packets?: { pts_time?: string }[] };
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  if (video === undefined) throw new StudioError({ code: 'failed_precondition', message: `${path} has no video stream` });
  const pts = (parsed.packets ?? [])
    .map((p) => Number(p.pts_time))
    .filter((v) => Number.isFinite(v))
    .sort((a, b) => a - b);
  return { stream: video, has_audio: streams.some((s) => s.codec_type === 'audio'), pts_s: pts };
}

export function parseRate(rate: string): number {
  const [num, den] = rate.split('/').map(Number);
  return den === undefined || den === 0 ? Number(num) : Number(num) / den;
}

/** The codec name LeRobot writes in `video.codec` (ffmpeg's codec, not encoder, name). */
export function codecName(vcodec: VideoCodec): string {
  return vcodec === 'libsvtav1' ? 'av1' : 'h264';
}
