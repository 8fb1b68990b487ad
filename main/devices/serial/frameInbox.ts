import type { StudioError } from '../../../shared/api/errors';
import type { FrameParser } from './frameStream';

interface Waiter<F> {
  /** True when the transaction is complete with this frame. */
  take(frame: F): boolean;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Request/response over a half-duplex serial bus: one transaction at a time, the parser reset before
 * each request (stale bytes from an earlier timeout must not answer this one), and a reply awaited
 * with a timeout that produces an error naming the device and what to check.
 */
export class FrameInbox<F> {
  private waiter: Waiter<F> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Bytes thrown away since the link opened, with the last reason: diagnostics for a noisy line. */
  discarded_bytes = 0;
  last_discard_reason: string | undefined;

  constructor(private readonly parser: FrameParser<F>) {}

  /** Feed bytes from the link. */
  receive(chunk: Uint8Array): void {
    for (const event of this.parser.push(chunk)) {
      if (event.kind === 'discard') {
        this.discarded_bytes += event.bytes;
        this.last_discard_reason = event.reason;
        continue;
      }
      const waiter = this.waiter;
      if (waiter !== undefined && waiter.take(event.frame)) {
        this.waiter = undefined;
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
    }
  }

  /** Runs `work` after every earlier transaction has finished (whatever its outcome). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Arms the wait for the replies, then sends. `take` sees each parsed frame and returns true once the
   * transaction is complete (one reply, or one status packet per servo of a sync read); frames it
   * does not want it simply ignores. `timeoutError` is built when the time is up, so it can say what
   * was missing.
   */
  transact(take: (frame: F) => boolean, timeout_ms: number, timeoutError: () => StudioError, send: () => Promise<void>): Promise<void> {
    this.parser.reset();
    this.failPending(new Error('superseded by a new request'));
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiter?.timer === timer) this.waiter = undefined;
        reject(timeoutError());
      }, timeout_ms);
      this.waiter = { take, resolve, reject, timer };
    });
    return send().then(
      () => done,
      (error: unknown) => {
        this.failPending(error instanceof Error ? error : new Error(String(error)));
        return done;
      },
    );
  }

  /** Fails the reply being awaited, e.g. because the line dropped. */
  failPending(error: Error): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    this.waiter = undefined;
    clearTimeout(waiter.timer);
    waiter.reject(error);
  }
}
