import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { StudioError } from '../../../shared/api/errors';
import type { Clock } from '../types';
import { CaptureClock } from './captureClock';
import { captureError, driverChangedSettings, explainCaptureFailure, type DeviceError } from './captureErrors';
import {
  describeInput,
  ffmpegPath,
  ffmpegVersion,
  inputArgs,
  passthroughArgs,
  v4l2CtlArgs,
  v4l2CtlPath,
  type ResolvedInput,
  type StreamGeometry,
} from './ffmpegInput';
import { findJpeg, withHuffmanTables } from './jpeg';

export type PixelOutput = 'rgb24' | 'gray16le';

export interface CaptureSpec extends StreamGeometry {
  /** Who is capturing, for messages: `camera "front"`, `camera "wrist" (depth)`. */
  who: string;
  resolved: ResolvedInput;
  /** Decoded pixels: packed RGB for colour, 16-bit little-endian for depth. */
  output: PixelOutput;
  clock: Clock;
  /** `start()` fails when no frame arrives within this long. */
  first_frame_timeout_ms: number;
}

export interface CapturedImage {
  capture_ns: bigint;
  arrival_ns: bigint;
  /** The input's own timestamp in ns (its time base, its origin), when it has one. */
  pts_ns: bigint | undefined;
  /** Frames known to be missing since the previous image. */
  dropped_before: number;
  /** The decoded frame (`rgb24`: 3 bytes per pixel; `gray16le`: 2), in a buffer of its own. */
  pixels: Uint8Array;
  /** The camera's JPEG for this frame, as sent (plus standard Huffman tables when it had none). */
  jpeg?: Uint8Array;
}

interface CaptureEvents {
  image: [CapturedImage];
  /** Capture stopped without `stop()`: ffmpeg exited, the device went away. */
  failed: [DeviceError];
}

// Pipe numbers of ffmpeg's outputs.
const FD_JPEG = 3;
const FD_JPEG_INDEX = 4;
const FD_PIXELS = 5;
const FD_PIXELS_INDEX = 6;
const NO_PTS = -9223372036854775808n;
const STDERR_KEEP_CHARS = 16_384;

/** Chunks in, exact-size byte runs out, copying each byte once. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  take(count: number): Uint8Array {
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const head = this.chunks[0]!;
      const used = Math.min(head.length, count - filled);
      out.set(head.subarray(0, used), filled);
      filled += used;
      if (used === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(used);
    }
    this.length -= count;
    return out;
  }
}

/** One entry of ffmpeg's `framecrc` muxer: a packet's pts (in ns) and size. */
export interface IndexEntry {
  pts_ns: bigint | undefined;
  size: number;
}

/**
 * Parses the `framecrc` text ffmpeg writes for an output: `#tb 0: 1/1000000`, `#dimensions 0: WxH`,
 * then `stream, dts, pts, duration, size, crc` per packet.
 */
export class FrameIndexParser {
  private text = '';
  private tb: [bigint, bigint] = [1n, 1_000_000n];
  dimensions: [number, number] | undefined;

  push(chunk: string, onEntry: (entry: IndexEntry) => void): void {
    this.text += chunk;
    let newline = this.text.indexOf('\n');
    while (newline !== -1) {
      const line = this.text.slice(0, newline).trim();
      this.text = this.text.slice(newline + 1);
      newline = this.text.indexOf('\n');
      if (line.startsWith('#')) {
        const tb = /^#tb \d+: (\d+)\/(\d+)/.exec(line);
        if (tb !== null) this.tb = [BigInt(tb[1]!), BigInt(tb[2]!)];
        const dims = /^#dimensions \d+: (\d+)x(\d+)/.exec(line);
        if (dims !== null) this.dimensions = [Number(dims[1]), Number(dims[2])];
        continue;
      }
      const fields = line.split(',').map((field) => field.trim());
      if (fields.length < 5) continue;
      const pts = BigInt(fields[2]!);
      const [num, den] = this.tb;
      onEntry({ pts_ns: pts === NO_PTS ? undefined : (pts * 1_000_000_000n * num) / den, size: Number(fields[4]) });
    }
  }
}

interface Part<T> {
  pts_ns: bigint | undefined;
  arrival_ns: bigint;
  data: T;
}

/**
 * One camera stream through one ffmpeg process (plus `v4l2-ctl` in front for formats ffmpeg cannot
 * read). Outputs, each on its own pipe:
 *  - fd 3: the camera's MJPEG packets, stream-copied (`-c:v copy -f mjpeg`), never re-encoded;
 *  - fd 4: their index (`framecrc`): pts and size of every packet, which frames the bytes exactly;
 *  - fd 5: the decoded frames (`rawvideo`, rgb24 or gray16le) for preview and for raw cameras;
 *  - fd 6: their index, for the pts of every decoded frame.
 * JPEG and decoded frame are paired by pts (a frame that fails to decode is counted as dropped, and
 * the pairing never slips). Timestamps are kept as the input gives them (`-copyts`) and mapped onto
 * the studio clock by `CaptureClock`. Every frame goes through one for one (`-fps_mode passthrough`).
 */
export class FfmpegCapture extends EventEmitter<CaptureEvents> {
  private ffmpeg: ChildProcess | undefined;
  private feeder: ChildProcess | undefined;
  private stderrTail = '';
  private feederStderr = '';
  private stopping = false;
  private streaming = false;
  private failure: DeviceError | undefined;
  private readonly captureClock: CaptureClock;
  private readonly frameBytes: number;
  private jpegBytes = new ByteQueue();
  private pixelBytes = new ByteQueue();
  private jpegIndex: IndexEntry[] = [];
  private pixelIndex: IndexEntry[] = [];
  private pixelFrames: { arrival_ns: bigint; pixels: Uint8Array }[] = [];
  private jpegParts: Part<Uint8Array | undefined>[] = [];
  private pixelParts: Part<Uint8Array>[] = [];
  private unpaired = 0;
  private closed: Promise<void> = Promise.resolve();
  private firstFrame: { resolve: () => void; reject: (error: StudioError) => void; timer: NodeJS.Timeout } | undefined;

  constructor(readonly spec: CaptureSpec) {
    super();
    this.captureClock = new CaptureClock(spec.fps_hz);
    this.frameBytes = spec.width_px * spec.height_px * (spec.output === 'rgb24' ? 3 : 2);
  }

  /** The ffmpeg process id while it runs (diagnostics and tests). */
  get pid(): number | undefined {
    return this.ffmpeg?.pid;
  }

  get error(): DeviceError | undefined {
    return this.failure;
  }

  get source(): string {
    return describeInput(this.spec.resolved.input);
  }

  /** Starts ffmpeg; resolves at the first frame, rejects with the explained reason when none comes. */
  async start(): Promise<void> {
    if (this.ffmpeg !== undefined) throw new Error(`${this.spec.who}: capture already started`);
    const args = await this.ffmpegArgs();
    this.reset();
    const { resolved } = this.spec;
    const input = resolved.input;
    const mjpeg = resolved.mjpeg;
    const stdio: ('pipe' | 'ignore')[] = [
      input.format === 'v4l2-ctl' ? 'pipe' : 'ignore',
      'ignore',
      'pipe',
      mjpeg ? 'pipe' : 'ignore',
      mjpeg ? 'pipe' : 'ignore',
      'pipe',
      'pipe',
    ];
    const ffmpeg = spawn(ffmpegPath(), args, { stdio });
    this.ffmpeg = ffmpeg;
    const started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const seconds = this.spec.first_frame_timeout_ms / 1000;
        this.fail({
          message: `no frames from ${this.spec.who} (${this.source}) within ${seconds} s`,
          fix:
            'Check that the camera is not covered or asleep and that no other program holds it; try `ffplay -f v4l2 ' +
            this.source +
            '`. A slow camera may need a longer first_frame_timeout_ms.',
        });
      }, this.spec.first_frame_timeout_ms);
      this.firstFrame = { resolve, reject, timer };
    });
    let exited: () => void = () => undefined;
    this.closed = new Promise<void>((resolve) => (exited = resolve));
    /** ffmpeg's failure, said once with what it printed: it could not start, it ended, or the driver changed the settings. */
    const report = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void =>
      this.fail(
        explainCaptureFailure({
          who: this.spec.who,
          source: this.source,
          tool: 'ffmpeg',
          stderr: this.stderrTail,
          code,
          signal,
          ...(spawnError !== undefined ? { spawnError } : {}),
          wasStreaming: this.streaming,
        }),
      );
    ffmpeg.on('error', (error) => {
      report(null, null, error);
      exited();
    });
    ffmpeg.on('close', (code, signal) => {
      exited();
      if (this.ffmpeg === ffmpeg) this.ffmpeg = undefined;
      report(code, signal);
    });
    ffmpeg.stderr?.setEncoding('utf8');
    ffmpeg.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEEP_CHARS);
      // ffmpeg only warns when the driver changes the size or rate, then runs on with the wrong one.
      if (driverChangedSettings(this.stderrTail.slice(-(chunk.length + 200)))) report(null, null);
    });
    this.wireOutputs(ffmpeg);
    if (input.format === 'v4l2-ctl') this.startFeeder(ffmpeg, input.device, input.fourcc);
    try {
      await started;
    } catch (error) {
      await this.closed; // the process is gone before connect() reports, so a retry starts clean
      throw error;
    }
  }

  /** Stops capture and waits for the processes to exit; never reports an error for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    // A connect() still waiting for its first frame learns that it was called off.
    this.clearFirstFrame()?.reject(
      captureError({ message: `${this.spec.who}: capture was stopped before the first frame`, fix: 'Connect the camera again.' }),
    );
    const ffmpeg = this.ffmpeg;
    const feeder = this.feeder;
    this.feeder = undefined;
    if (feeder !== undefined && feeder.exitCode === null && feeder.signalCode === null) feeder.kill('SIGKILL');
    if (ffmpeg !== undefined && ffmpeg.exitCode === null && ffmpeg.signalCode === null) {
      ffmpeg.kill('SIGTERM');
      const escalate = setTimeout(() => ffmpeg.kill('SIGKILL'), 2000);
      await this.closed;
      clearTimeout(escalate);
    }
    this.ffmpeg = undefined;
  }

  private reset(): void {
    this.stopping = false;
    this.streaming = false;
    this.failure = undefined;
    this.stderrTail = '';
    this.feederStderr = '';
    this.jpegBytes = new ByteQueue();
    this.pixelBytes = new ByteQueue();
    this.jpegIndex = [];
    this.pixelIndex = [];
    this.pixelFrames = [];
    this.jpegParts = [];
    this.pixelParts = [];
    this.unpaired = 0;
    this.captureClock.reset();
  }

  private async ffmpegArgs(): Promise<string[]> {
    const { spec } = this;
    const through = [...passthroughArgs(await ffmpegVersion()), '-enc_time_base', '-1'];
    const map = ['-map', '0:v:0'];
    const jpeg = spec.resolved.mjpeg
      ? [...map, '-c:v', 'copy', '-f', 'mjpeg', `pipe:${FD_JPEG}`, ...map, '-c:v', 'copy', '-f', 'framecrc', `pipe:${FD_JPEG_INDEX}`]
      : [];
    return [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'info',
      '-copyts',
      ...inputArgs(spec.resolved, spec),
      ...jpeg,
      ...map,
      ...through,
      '-pix_fmt',
      spec.output,
      '-f',
      'rawvideo',
      `pipe:${FD_PIXELS}`,
      // The index needs only pts: raw frames in the decoder's own format cost a copy, no conversion.
      ...map,
      ...through,
      '-c:v',
      'rawvideo',
      '-f',
      'framecrc',
      `pipe:${FD_PIXELS_INDEX}`,
    ];
  }

  private startFeeder(ffmpeg: ChildProcess, device: string, fourcc: string): void {
    const feeder = spawn(v4l2CtlPath(), v4l2CtlArgs(device, fourcc, this.spec), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.feeder = feeder;
    const stdin = ffmpeg.stdin;
    stdin?.on('error', () => undefined); // EPIPE when ffmpeg ends first: reported by ffmpeg's own exit
    if (stdin !== null && stdin !== undefined) feeder.stdout?.pipe(stdin);
    feeder.stderr?.setEncoding('utf8');
    feeder.stderr?.on('data', (chunk: string) => (this.feederStderr = (this.feederStderr + chunk).slice(-STDERR_KEEP_CHARS)));
    const report = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      if (this.feeder !== feeder) return;
      this.fail(
        explainCaptureFailure({
          who: this.spec.who,
          source: device,
          tool: 'v4l2-ctl',
          stderr: this.feederStderr,
          code,
          signal,
          ...(spawnError !== undefined ? { spawnError } : {}),
          wasStreaming: this.streaming,
        }),
      );
    };
    feeder.on('error', (error) => report(null, null, error));
    feeder.on('close', (code, signal) => report(code, signal));
  }

  private wireOutputs(ffmpeg: ChildProcess): void {
    const stream = (fd: number): Readable | undefined => (ffmpeg.stdio[fd] ?? undefined) as Readable | undefined;
    if (this.spec.resolved.mjpeg) {
      const index = new FrameIndexParser();
      stream(FD_JPEG)?.on('data', (chunk: Buffer) => {
        this.jpegBytes.push(chunk);
        this.drainJpeg();
      });
      stream(FD_JPEG_INDEX)?.setEncoding('utf8');
      stream(FD_JPEG_INDEX)?.on('data', (chunk: string) => {
        index.push(chunk, (entry) => this.jpegIndex.push(entry));
        this.drainJpeg();
      });
    }
    const index = new FrameIndexParser();
    stream(FD_PIXELS)?.on('data', (chunk: Buffer) => {
      this.pixelBytes.push(chunk);
      while (this.pixelBytes.length >= this.frameBytes)
        this.pixelFrames.push({ arrival_ns: this.spec.clock.now_ns(), pixels: this.pixelBytes.take(this.frameBytes) });
      this.drainPixels();
    });
    stream(FD_PIXELS_INDEX)?.setEncoding('utf8');
    stream(FD_PIXELS_INDEX)?.on('data', (chunk: string) => {
      index.push(chunk, (entry) => this.pixelIndex.push(entry));
      const dims = index.dimensions;
      if (dims !== undefined && (dims[0] !== this.spec.width_px || dims[1] !== this.spec.height_px)) {
        this.fail({
          message: `${this.spec.who} delivers ${dims[0]}x${dims[1]} but the rig config says ${this.spec.width_px}x${this.spec.height_px} (${this.source})`,
          fix: 'Set width_px and height_px to the size the camera delivers, or pick a size it supports (`v4l2-ctl --list-formats-ext`).',
        });
        return;
      }
      this.drainPixels();
    });
  }

  /** Cuts the MJPEG byte stream into packets by the sizes in the index, then finds SOI…EOI in each. */
  private drainJpeg(): void {
    while (this.jpegIndex.length > 0 && this.jpegBytes.length >= this.jpegIndex[0]!.size) {
      const entry = this.jpegIndex.shift()!;
      const packet = this.jpegBytes.take(entry.size);
      const extent = findJpeg(packet);
      // A packet without a complete JPEG (a truncated USB transfer) still takes its place in the pairing.
      this.jpegParts.push({
        pts_ns: entry.pts_ns,
        arrival_ns: this.spec.clock.now_ns(),
        data: extent === undefined ? undefined : withHuffmanTables(packet, extent),
      });
    }
    this.pair();
  }

  private drainPixels(): void {
    while (this.pixelIndex.length > 0 && this.pixelFrames.length > 0) {
      const entry = this.pixelIndex.shift()!;
      const frame = this.pixelFrames.shift()!;
      this.pixelParts.push({ pts_ns: entry.pts_ns, arrival_ns: frame.arrival_ns, data: frame.pixels });
    }
    this.pair();
  }

  private pair(): void {
    if (!this.spec.resolved.mjpeg) {
      for (const part of this.pixelParts.splice(0)) this.emitImage(part, undefined);
      return;
    }
    while (this.jpegParts.length > 0 && this.pixelParts.length > 0) {
      const jpeg = this.jpegParts[0]!;
      const pixels = this.pixelParts[0]!;
      const a = jpeg.pts_ns;
      const b = pixels.pts_ns;
      if (a === b || a === undefined || b === undefined) {
        this.jpegParts.shift();
        this.pixelParts.shift();
        const arrival_ns = jpeg.arrival_ns < pixels.arrival_ns ? jpeg.arrival_ns : pixels.arrival_ns;
        if (jpeg.data === undefined) this.unpaired++;
        else this.emitImage({ ...pixels, arrival_ns }, jpeg.data);
      } else if (a < b) {
        this.jpegParts.shift(); // the decoder gave up on this packet
        this.unpaired++;
      } else {
        this.pixelParts.shift();
        this.unpaired++;
      }
    }
  }

  private emitImage(part: Part<Uint8Array>, jpeg: Uint8Array | undefined): void {
    if (this.stopping || this.failure !== undefined) return;
    const { capture_ns, dropped_before } = this.captureClock.stamp(part.pts_ns, part.arrival_ns);
    const image: CapturedImage = {
      capture_ns,
      arrival_ns: part.arrival_ns,
      pts_ns: part.pts_ns,
      dropped_before: dropped_before + this.unpaired,
      pixels: part.data,
      ...(jpeg !== undefined ? { jpeg } : {}),
    };
    this.unpaired = 0;
    this.streaming = true;
    this.clearFirstFrame()?.resolve();
    this.emit('image', image);
  }

  private clearFirstFrame(): { resolve: () => void; reject: (error: StudioError) => void } | undefined {
    const first = this.firstFrame;
    if (first !== undefined) clearTimeout(first.timer);
    this.firstFrame = undefined;
    return first;
  }

  /** The one way capture ends unasked: kill the processes, keep the reason, tell the owner once. */
  private fail(error: DeviceError): void {
    if (this.stopping || this.failure !== undefined) return;
    this.failure = error;
    for (const child of [this.ffmpeg, this.feeder]) {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.feeder = undefined;
    const first = this.clearFirstFrame();
    if (first !== undefined) first.reject(captureError(error));
    else this.emit('failed', error);
  }
}
