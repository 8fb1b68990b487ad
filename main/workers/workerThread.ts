import { Worker, type Transferable } from 'node:worker_threads';
import type { WorkerLocation } from './workerLocation';

export interface WorkerThreadHandlers<Out> {
  message(message: Out): void;
  /** The thread crashed or exited on its own; said once, never after `close()`. */
  failure(error: Error): void;
}

/**
 * One worker thread's lifecycle, the same for every kind: start it from its location, pass messages,
 * turn a crash or an unexpected exit into one failure, and close it — politely first (a goodbye
 * request lets it free native memory or disconnect devices), by termination after a timeout.
 */
export class WorkerThread<In, Out> {
  private readonly worker: Worker;
  private closing = false;
  private failed = false;
  readonly exited: Promise<number>;

  constructor(location: WorkerLocation, what: string, handlers: WorkerThreadHandlers<Out>, options: { workerData?: unknown } = {}) {
    this.worker = new Worker(location.path, {
      execArgv: location.execArgv,
      ...(options.workerData !== undefined ? { workerData: options.workerData } : {}),
    });
    const fail = (error: Error) => {
      if (this.closing || this.failed) return;
      this.failed = true;
      handlers.failure(error);
    };
    this.worker.on('message', (message: Out) => handlers.message(message));
    this.worker.on('error', (error) => fail(new Error(`the ${what} crashed: ${error.message}`)));
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        fail(new Error(`the ${what} exited unexpectedly (code ${code})`));
        resolve(code);
      });
    });
  }

  post(message: In, transfer: readonly Transferable[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  /**
   * Waits for `goodbye` (at most `timeout_ms`; `null`: as long as it takes — for a thread that must
   * never be cut off mid-write), then ends the thread if it has not ended itself. A thread that fails
   * meanwhile rejects the goodbye, which ends the wait.
   */
  async close(goodbye: Promise<unknown>, timeout_ms: number | null): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout =
      timeout_ms === null
        ? new Promise<void>(() => undefined)
        : new Promise<void>((resolve) => {
            timer = setTimeout(resolve, timeout_ms);
          });
    await Promise.race([goodbye.catch(() => null), timeout]);
    clearTimeout(timer);
    await this.worker.terminate();
    await this.exited;
  }
}
