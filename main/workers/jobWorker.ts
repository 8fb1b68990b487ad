import type { Transferable } from 'node:worker_threads';
import { StudioError, type StudioErrorPayload } from '../../shared/api/errors';
import { Emitter } from '../../shared/base/emitter';
import { RpcClient, type RpcRequest, type RpcResponse } from './rpcClient';
import type { WorkerLocation } from './workerLocation';
import { WorkerThread } from './workerThread';

/**
 * A job worker: one long file job (an export, an import) in a worker thread of its own, so the core's
 * thread never waits on it. The contract both sides share: `run` the job with its options, `cancel` it,
 * progress as events. `O` options, `S` the summary of a finished job, `P` a progress report.
 */

/** How a run ended that did not fail: done with its summary, or cancelled (nothing left behind). */
export type JobOutcome<S> = { outcome: 'done'; summary: S } | { outcome: 'cancelled' };

/** The worker's requests, on the shared request/response shape (`rpcClient.ts`). */
export interface JobOps<O, S> {
  /** Runs one job; a failure answers with its StudioError payload (which names the bad file). */
  run: { args: O; result: JobOutcome<S> };
  /** Asks a running job to stop; `run` then answers `cancelled`. */
  cancel: { args: null; result: null };
}

export type JobEvent<P> = { event: 'progress'; progress: P };
export type ToJobWorker<O, S> = RpcRequest<JobOps<O, S>>;
export type FromJobWorker<P> = RpcResponse<StudioErrorPayload> | (JobEvent<P> & { id?: undefined });

/** The core's handle on one job worker thread: `run`, `cancel`, progress events; a failure is a StudioError. */
export class JobClient<O, S, P> extends RpcClient<JobOps<O, S>, JobEvent<P>, StudioErrorPayload> {
  private readonly thread: WorkerThread<ToJobWorker<O, S>, FromJobWorker<P>>;
  private readonly progress = new Emitter<P>();
  readonly onProgress = this.progress.event;

  /** `kind` names the job in messages ("export", "import"). */
  constructor(
    location: WorkerLocation,
    private readonly kind: string,
  ) {
    super();
    this.thread = new WorkerThread(location, `${kind} worker`, {
      message: (message) => this.receive(message),
      failure: (error) => this.fail(error),
    });
  }

  run(options: O): Promise<JobOutcome<S>> {
    return this.request('run', options);
  }

  /** Ends the thread; after `run` has answered it has nothing left to do (a cancelled run cleans up before it answers). */
  async close(): Promise<void> {
    if (this.closing) return;
    await this.closeThread(this.thread, () => Promise.resolve(null), 0);
  }

  protected send(message: RpcRequest<JobOps<O, S>>, transfer: Transferable[]): void {
    this.thread.post(message, transfer);
  }

  protected closedError(): Error {
    return new Error(`the ${this.kind} worker is closed`);
  }

  protected errorFrom(detail: StudioErrorPayload): Error {
    return new StudioError(detail);
  }

  protected dispatch(event: JobEvent<P>): void {
    this.progress.fire(event.progress);
  }
}
