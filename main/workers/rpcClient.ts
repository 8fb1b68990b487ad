import type { Transferable } from 'node:worker_threads';
import { Emitter } from '../../shared/base/emitter';
import type { WorkerThread } from './workerThread';

/** Operation name → argument and result types: the whole contract of one thread's requests. */
export type RpcOps<Ops> = { [K in keyof Ops]: { args: unknown; result: unknown } };

export type RpcRequest<Ops extends RpcOps<Ops>> = { [K in keyof Ops & string]: { id: number; op: K; args: Ops[K]['args'] } }[keyof Ops &
  string];

export type RpcResponse<ErrorDetail> = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ErrorDetail };

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/**
 * The calling side of a request/response protocol with another thread (or a host on this one): typed
 * requests matched to their replies by id, events for everything else, and one rule for failures —
 * once the other side fails, every pending and later request rejects with that failure, and
 * `onFailure` hears about it once. Subclasses say how messages travel and how errors are rebuilt.
 */
export abstract class RpcClient<Ops extends RpcOps<Ops>, Event, ErrorDetail> {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  protected closing = false;
  private readonly failures = new Emitter<Error>();

  protected abstract send(message: RpcRequest<Ops>, transfer: Transferable[]): void;
  protected abstract closedError(): Error;
  protected abstract errorFrom(detail: ErrorDetail): Error;
  protected abstract dispatch(event: Event): void;

  get failed(): Error | undefined {
    return this.failure;
  }

  request<K extends keyof Ops & string>(op: K, args: Ops[K]['args'], transfer: Transferable[] = []): Promise<Ops[K]['result']> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(this.closedError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.send({ id, op, args } as RpcRequest<Ops>, transfer);
    });
  }

  onFailure(listener: (error: Error) => void): () => void {
    return this.failures.event(listener);
  }

  /** A message from the other side: a reply (it has an `id`) or an event. */
  protected receive(message: RpcResponse<ErrorDetail> | (Event & { id?: undefined })): void {
    if (message.id === undefined) {
      this.dispatch(message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(this.errorFrom(message.error));
  }

  /**
   * Ends a client whose other side is a worker thread: one goodbye request (unless the thread already
   * failed) lets it tidy up, then the thread ends; whatever is still pending is rejected.
   */
  protected async closeThread(
    thread: WorkerThread<unknown, unknown>,
    goodbye: () => Promise<unknown>,
    timeout_ms: number | null,
  ): Promise<void> {
    const polite = this.failed === undefined ? goodbye() : Promise.resolve(null);
    this.closing = true;
    await thread.close(polite, timeout_ms);
    this.rejectAll(this.closedError());
  }

  protected fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.rejectAll(error);
    this.failures.fire(error);
  }

  protected rejectAll(error: Error): void {
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(error);
    }
  }
}
