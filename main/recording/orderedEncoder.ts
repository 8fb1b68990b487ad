/**
 * Encodes frames concurrently (PNG compression runs on libuv's thread pool) but delivers them in
 * capture order: a stream cannot take a frame older than the one before it, and thread-pool jobs
 * finish in any order.
 */
export class OrderedEncoder<T> {
  private readonly queue: { t_ns: bigint; result: Promise<T | Error> }[] = [];
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly deliver: (t_ns: bigint, encoded: T) => void,
    private readonly onError: (t_ns: bigint, error: Error) => void,
  ) {}

  push(t_ns: bigint, encode: () => Promise<T>): void {
    this.queue.push({ t_ns, result: encode().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))) });
    void this.drain();
  }

  /** Frames handed in but not yet delivered. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once everything pushed so far has been delivered. */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const result = await head.result;
      this.queue.shift();
      if (result instanceof Error) this.onError(head.t_ns, result);
      else this.deliver(head.t_ns, result);
    }
    this.draining = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
