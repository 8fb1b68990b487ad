/**
 * What a byte-stream parser reports: whole frames, and bytes it had to throw away with the reason.
 * Parsers never throw on bad input; a link shows discards in its diagnostics and carries on.
 */
export type StreamEvent<F> = { kind: 'frame'; frame: F } | { kind: 'discard'; bytes: number; reason: string };

export interface FrameParser<F> {
  push(chunk: Uint8Array): StreamEvent<F>[];
  /** Drops any partial frame (before a new request, or after a silent gap on the line). */
  reset(): void;
}

/** A candidate frame at the start of a buffer, as a protocol's framing rules judge it. */
export type Candidate<F> =
  { kind: 'frame'; frame: F; length: number } | { kind: 'need'; length: number } | { kind: 'invalid'; reason: string };

/**
 * Shared resynchronising framer. `judge` decides what the bytes at the start of a buffer are. When the
 * frame at the start is incomplete, a complete valid frame further on wins: a garbage byte that
 * happens to look like a long header must not hold the real frame behind it hostage.
 */
export class ResyncFramer<F> implements FrameParser<F> {
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly judge: (bytes: Uint8Array) => Candidate<F>,
    private readonly maxBuffer_bytes: number,
  ) {}

  reset(): void {
    this.buffer = new Uint8Array(0);
  }

  get pending_bytes(): number {
    return this.buffer.length;
  }

  push(chunk: Uint8Array): StreamEvent<F>[] {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer, 0);
    joined.set(chunk, this.buffer.length);
    let bytes = joined;
    const events: StreamEvent<F>[] = [];
    let discarded = 0;
    let reason = '';
    const discard = (count: number, why: string) => {
      if (discarded === 0) reason = why;
      discarded += count;
      bytes = bytes.subarray(count);
    };
    const flushDiscard = () => {
      if (discarded > 0) events.push({ kind: 'discard', bytes: discarded, reason });
      discarded = 0;
    };

    while (bytes.length > 0) {
      const head = this.judge(bytes);
      if (head.kind === 'frame') {
        flushDiscard();
        events.push({ kind: 'frame', frame: head.frame });
        bytes = bytes.subarray(head.length);
        continue;
      }
      if (head.kind === 'invalid') {
        discard(1, head.reason);
        continue;
      }
      const later = this.findCompleteFrame(bytes);
      if (later !== undefined) {
        discard(later, `an incomplete frame was followed by a complete one (${head.length} bytes expected, ${bytes.length} buffered)`);
        continue;
      }
      if (bytes.length > this.maxBuffer_bytes) {
        discard(1, `no valid frame in ${bytes.length} buffered bytes`);
        continue;
      }
      break;
    }
    flushDiscard();
    this.buffer = bytes.slice();
    return events;
  }

  private findCompleteFrame(bytes: Uint8Array): number | undefined {
    for (let offset = 1; offset < bytes.length; offset++) {
      if (this.judge(bytes.subarray(offset)).kind === 'frame') return offset;
    }
    return undefined;
  }
}
