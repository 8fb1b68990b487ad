/**
 * Capture times for a stream of frames that each have a device timestamp (ffmpeg's pts: the kernel's
 * buffer time for V4L2, the frame time of a test source) and an arrival time on the studio's clock.
 *
 * Arrival times carry the delivery jitter of pipes and scheduling; pts carry the camera's own spacing
 * but live on another clock. The offset between the two clocks is estimated as the smallest
 * `arrival - pts` over a sliding window (the frame that got through fastest bounds the latency), so
 * `capture_ns = pts + offset`: spaced as the camera spaced the frames, never later than arrival, and
 * following slow drift between the clocks. Without pts the arrival time is used. Capture times are
 * strictly increasing either way.
 *
 * Frames the camera produced but the studio never saw show up as gaps in pts: a gap of k nominal
 * periods means k − 1 frames were dropped (by the kernel when buffers ran out, by USB, by ffmpeg).
 */
export class CaptureClock {
  private readonly period_ns: number;
  private readonly window: { seq: number; offset_ns: bigint }[] = [];
  private seq = 0;
  private lastPts_ns: bigint | undefined;
  private lastArrival_ns: bigint | undefined;
  private lastCapture_ns: bigint | undefined;

  constructor(
    fps_hz: number,
    /** How many recent frames the offset estimate looks at. */
    private readonly windowFrames = Math.max(8, Math.round(fps_hz * 2)),
  ) {
    this.period_ns = 1e9 / fps_hz;
  }

  /** Starts over, e.g. after a reconnect: pts restart and the offset is unknown again. */
  reset(): void {
    this.window.length = 0;
    this.lastPts_ns = undefined;
    this.lastArrival_ns = undefined;
    this.lastCapture_ns = undefined;
  }

  stamp(pts_ns: bigint | undefined, arrival_ns: bigint): { capture_ns: bigint; dropped_before: number } {
    let capture_ns: bigint;
    let gap_ns: bigint | undefined;
    if (pts_ns === undefined) {
      capture_ns = arrival_ns;
      if (this.lastArrival_ns !== undefined) gap_ns = arrival_ns - this.lastArrival_ns;
    } else {
      if (this.lastPts_ns !== undefined) gap_ns = pts_ns - this.lastPts_ns;
      if (gap_ns !== undefined && gap_ns < 0n) this.window.length = 0; // pts went back (source restarted)
      this.pushOffset(arrival_ns - pts_ns);
      capture_ns = pts_ns + this.window[0]!.offset_ns;
      this.lastPts_ns = pts_ns;
    }
    this.lastArrival_ns = arrival_ns;
    if (this.lastCapture_ns !== undefined && capture_ns <= this.lastCapture_ns) capture_ns = this.lastCapture_ns + 1n;
    this.lastCapture_ns = capture_ns;
    const periods = gap_ns === undefined || gap_ns <= 0n ? 1 : Math.round(Number(gap_ns) / this.period_ns);
    return { capture_ns, dropped_before: Math.max(0, periods - 1) };
  }

  /** A sliding-window minimum (monotonic deque): the head is always the smallest offset in the window. */
  private pushOffset(offset_ns: bigint): void {
    const seq = this.seq++;
    while (this.window.length > 0 && this.window[this.window.length - 1]!.offset_ns >= offset_ns) this.window.pop();
    this.window.push({ seq, offset_ns });
    while (this.window[0]!.seq <= seq - this.windowFrames) this.window.shift();
  }
}
