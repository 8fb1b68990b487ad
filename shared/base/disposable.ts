/**
 * Lifecycle after VS Code's `base/common/lifecycle.ts`, at our scale: whatever an owner creates that
 * must be released (a timer, a listener, a thread, a device) goes into a store the moment it exists,
 * and the owner releases the store — instead of hand-kept arrays of timers and unsubscribes.
 */

export interface Disposable {
  dispose(): void;
}

export interface AsyncDisposable {
  dispose(): Promise<void> | void;
}

/** A function that releases something, usable both as `off()` and as a `Disposable`. */
export type Subscription = (() => void) & Disposable;

/** Wraps a release function; the function runs at most once, however often it is called. */
export function toDisposable(release: () => void): Subscription {
  let released = false;
  const once = () => {
    if (released) return;
    released = true;
    release();
  };
  return Object.assign(once, { dispose: once });
}

/** A `setInterval` that is cleared when disposed. */
export function disposableInterval(run: () => void, period_ms: number): Disposable {
  const timer = setInterval(run, period_ms);
  return toDisposable(() => clearInterval(timer));
}

/**
 * Synchronous disposables, released in the order they were added. Adding to a store already disposed
 * releases the newcomer at once (it would otherwise leak).
 */
export class DisposableStore implements Disposable {
  private readonly items: Disposable[] = [];
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  add<T extends Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.push(item);
    return item;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    for (const item of this.items.splice(0)) {
      try {
        item.dispose();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} disposables failed`);
  }
}

/**
 * Resources released one after another in the reverse order they were added (last acquired, first
 * released: a recording that writes camera frames goes before the cameras). One that fails does not
 * stop the rest; its error goes to `onError`. `dispose()` is idempotent: a second call waits for the
 * first. Adding after disposal releases the newcomer at once.
 */
export class AsyncDisposableStore implements AsyncDisposable {
  private readonly items: AsyncDisposable[] = [];
  private disposing: Promise<void> | undefined;

  constructor(private readonly onError: (error: unknown) => void = () => undefined) {}

  get isDisposed(): boolean {
    return this.disposing !== undefined;
  }

  add<T extends AsyncDisposable>(item: T): T {
    if (this.disposing !== undefined) void this.release(item);
    else this.items.push(item);
    return item;
  }

  /** Adds a release function. */
  defer(release: () => Promise<void> | void): void {
    this.add({ dispose: release });
  }

  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      for (const item of this.items.splice(0).reverse()) await this.release(item);
    })();
    return this.disposing;
  }

  private async release(item: AsyncDisposable): Promise<void> {
    try {
      await item.dispose();
    } catch (error) {
      this.onError(error);
    }
  }
}
