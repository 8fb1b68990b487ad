import { toDisposable, type Subscription } from './disposable';

/** Subscribes a listener; the returned subscription removes it (call it, or dispose it). */
export type Event<T> = (listener: (value: T) => void) => Subscription;

/**
 * One small typed emitter (after VS Code's `Emitter`), instead of a hand-written listener set in every
 * class: the owner keeps the emitter private and exposes `event`. A listener that throws does not stop
 * the others; its error goes to `onListenerError` (by default it is rethrown after all have run).
 */
export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  constructor(private readonly onListenerError?: (error: unknown) => void) {}

  readonly event: Event<T> = (listener) => {
    // Wrapped, so the same function subscribed twice is two subscriptions.
    const entry = (value: T) => listener(value);
    this.listeners.add(entry);
    return toDisposable(() => this.listeners.delete(entry));
  };

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  fire(value: T): void {
    let failure: { error: unknown } | undefined;
    // The set itself, not a copy: nothing allocated per event (a control loop fires one per cycle).
    // A listener removed meanwhile is skipped if not yet called; one added meanwhile hears this event.
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch (error) {
        if (this.onListenerError !== undefined) this.onListenerError(error);
        else failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/** Subscribes a listener that may return a promise; the event's owner waits for all of them. */
export type AsyncEvent<T> = (listener: (value: T) => Promise<void> | void) => Subscription;

/**
 * An emitter whose owner waits for its listeners (VS Code's `onWillShutdown(e => e.join(...))` at our
 * scale): `fire` resolves once every listener's promise has settled; rejections go to `onListenerError`.
 */
export class AsyncEmitter<T> {
  private readonly listeners = new Set<(value: T) => Promise<void> | void>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  readonly event: AsyncEvent<T> = (listener) => {
    const entry = (value: T) => listener(value);
    this.listeners.add(entry);
    return toDisposable(() => this.listeners.delete(entry));
  };

  async fire(value: T): Promise<void> {
    const results = await Promise.allSettled([...this.listeners].map(async (listener) => listener(value)));
    for (const result of results) if (result.status === 'rejected') this.onListenerError(result.reason);
  }

  dispose(): void {
    this.listeners.clear();
  }
}
