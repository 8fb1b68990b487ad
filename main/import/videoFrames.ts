import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { StudioError } from '../../shared/api/errors';
import { findJpeg } from '../devices/camera/jpeg';
import { probeVideo, type ProbedStream } from '../export/ffmpeg';
import { inputError } from './lerobotDataset';

/**
 * A LeRobot camera MP4 read as the loader reads it — the frame at `from_timestamp + i / fps` — and
 * turned into the JPEG frames the store keeps: one ffmpeg decodes the whole file in presentation
 * order (episodes are consecutive in a v3 file, so one sequential pass serves all of them), its
 * frames are matched to their pts from ffprobe, and re-encoded as high-quality JPEG (q 2).
 */

const FFMPEG = process.env.STUDIO_FFMPEG ?? 'ffmpeg';
/** LeRobot's `tolerance_s`: a query finds the frame whose pts is this close. */
export const TOLERANCE_S = 1e-4;

export interface ProbedVideo {
  file: string;
  stream: ProbedStream;
  /** Presentation times of every frame, ascending. */
  pts_s: number[];
}

export async function probeCameraVideo(
  root: string,
  file: string,
  expected: { width: number; height: number; key: string },
  signal?: AbortSignal,
): Promise<ProbedVideo> {
  let probe;
  try {
    probe = await probeVideo(`${root}/${file}`, { packets: true, ...(signal !== undefined ? { signal } : {}) });
  } catch (error) {
    throw inputError(
      `${file} (camera ${expected.key}) is not a readable video: ${(error as Error).message}`,
      "Restore the video from the dataset's source; it is damaged or incomplete.",
    );
  }
  const s = probe.stream;
  if (s.width !== expected.width || s.height !== expected.height) {
    throw inputError(
      `${file} is ${s.width}×${s.height}, meta/info.json says camera ${expected.key} is ${expected.width}×${expected.height}`,
      'The video disagrees with meta/info.json; restore the dataset from its source.',
    );
  }
  return { file, stream: s, pts_s: probe.pts_s };
}

/** Which decoded frames (indices into the file's presentation order) an episode segment uses. */
export function segmentFrames(
  video: ProbedVideo,
  segment: { episode: number; from_s: number; length: number },
  fps: number,
  key: string,
): number[] {
  const pts = video.pts_s;
  const out: number[] = [];
  // Binary search for the first frame at or after from_s - tolerance, then walk.
  let lo = 0;
  let hi = pts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pts[mid]! < segment.from_s - TOLERANCE_S) lo = mid + 1;
    else hi = mid;
  }
  let j = lo;
  for (let i = 0; i < segment.length; i++) {
    const want = segment.from_s + i / fps;
    while (j < pts.length && pts[j]! < want - TOLERANCE_S) j++;
    if (j >= pts.length || Math.abs(pts[j]! - want) > TOLERANCE_S) {
      const near = j < pts.length ? `${pts[j]!.toFixed(4)} s` : 'past the end of the file';
      throw inputError(
        `${video.file}: camera ${key} of episode ${segment.episode} has no frame at ${want.toFixed(4)} s (frame ${i} of ${segment.length}; the nearest is ${near}, ${pts.length} frames in the file)`,
        "LeRobot's loader would fail on this frame too (FrameTimestampError): the video does not match the episode metadata. Restore the dataset from its source.",
      );
    }
    out.push(j);
    j += 1;
  }
  return out;
}

/** Decodes one video file to JPEG frames in presentation order, pulled one at a time (back-pressure). */
export class JpegFrameDecoder {
  private readonly child: ChildProcessWithoutNullStreams;
  private pending: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  private readonly ready: Uint8Array[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  private stderr = '';
  private failure: Error | null = null;
  /** Index (presentation order) of the next frame `next()` returns. */
  position = 0;

  constructor(
    readonly path: string,
    signal?: AbortSignal,
  ) {
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-i',
      path,
      '-map',
      '0:v:0',
      '-fps_mode',
      'passthrough',
      '-c:v',
      'mjpeg',
      '-q:v',
      '2',
      '-pix_fmt',
      'yuvj420p',
      '-f',
      'image2pipe',
      'pipe:1',
    ];
    this.child = spawn(FFMPEG, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.end();
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-2000)));
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      let extent = findJpeg(this.pending);
      while (extent !== undefined) {
        this.ready.push(new Uint8Array(this.pending.subarray(extent.start, extent.end)));
        this.pending = this.pending.subarray(extent.end);
        extent = findJpeg(this.pending);
      }
      if (this.ready.length >= 32) this.child.stdout.pause();
      this.wake();
    });
    this.child.once('error', (error) => {
      this.failure = new StudioError({
        code: 'failed_precondition',
        message: `cannot run ffmpeg: ${error.message}`,
        fix: 'Install ffmpeg (Debian/Ubuntu: `apt-get install ffmpeg`), or point STUDIO_FFMPEG at the binary.',
      });
      this.ended = true;
      this.wake();
    });
    this.child.once('close', (code) => {
      if (code !== 0 && this.failure === null && !this.killed)
        this.failure = inputError(
          `${path}: ffmpeg could not decode it (exit ${code}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`,
          'Check that this ffmpeg decodes the codec (`ffmpeg -decoders | grep av1`), or restore the video.',
        );
      this.ended = true;
      this.wake();
    });
    signal?.addEventListener('abort', () => this.kill(), { once: true });
  }

  private killed = false;

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The next frame in presentation order; throws at the end of the file or on a decode failure. */
  async next(): Promise<Uint8Array> {
    for (;;) {
      const frame = this.ready.shift();
      if (frame !== undefined) {
        if (this.ready.length < 8 && this.child.stdout.isPaused()) this.child.stdout.resume();
        this.position += 1;
        return frame;
      }
      if (this.failure !== null) throw this.failure;
      if (this.ended)
        throw inputError(
          `${this.path} ends after ${this.position} decoded frames, fewer than its packets promise`,
          "The video is truncated; restore it from the dataset's source.",
        );
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Skips frames up to (not including) `index`. */
  async skipTo(index: number): Promise<void> {
    while (this.position < index) await this.next();
  }

  kill(): void {
    this.killed = true;
    this.child.kill('SIGKILL');
  }
}
