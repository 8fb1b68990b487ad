import { parentPort, type Transferable } from 'node:worker_threads';
import { StudioError, type StudioErrorPayload } from '../../shared/api/errors';
import { Emitter } from '../../shared/base/emitter';
import { RpcClient, type RpcRequest, type RpcResponse } from './rpcClient';
import { workerLocation, type WorkerLocation } from './workerLocation';
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

/** What every job reports: where it is, its newest progress, and the summary or the error it ended with. */
export interface JobState<S, P> {
  id: number;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  progress: P | null;
  summary: S | null;
  error: StudioErrorPayload | null;
}

/**
 * Jobs of one kind for the UI, each in a worker thread of its own, reporting progress and outcome through
 * `onChange`; `J` is the job as the API shows it (a JobState plus what names it, e.g. an export's format).
 */
export class JobRunner<O, S, P, J extends JobState<S, P>> {
  private readonly jobs = new Map<number, { job: J; client: JobClient<O, S, P>; finished: Promise<J> }>();
  private nextId = 1;

  /** `entry`: the worker module's name without extension, looked for in `dir` (built `.js`, else the `.ts` source). */
  constructor(
    private readonly kind: string,
    private readonly dir: string,
    private readonly entry: string,
    private readonly onChange: (job: J) => void,
  ) {}

  /** Starts a job with `options`; `describe` makes its record from the id it gets. */
  protected launch(options: O, describe: (id: number) => J): J {
    const location = workerLocation(this.dir, `${this.entry}.js`, `${this.entry}.ts`);
    if (location === undefined)
      throw new StudioError({
        code: 'failed_precondition',
        message: `the ${this.kind} worker's entry is missing next to ${this.dir}`,
        fix: 'Run `npm run build`.',
      });
    const job = describe(this.nextId++);
    const client = new JobClient<O, S, P>(location, this.kind);
    client.onProgress((progress) => {
      job.progress = progress;
      this.onChange(job);
    });
    const finished = client
      .run(options)
      .then(
        (outcome) => {
          if (outcome.outcome === 'done') {
            job.state = 'done';
            job.summary = outcome.summary;
          } else job.state = 'cancelled';
        },
        (error: Error) => {
          job.state = 'failed';
          job.error = error instanceof StudioError ? error.toPayload() : { code: 'internal', message: error.message };
        },
      )
      .then(() => client.close())
      .then(() => {
        this.onChange(job);
        return job;
      });
    this.jobs.set(job.id, { job, client, finished });
    return job;
  }

  /** Resolves with the job once it has finished, whatever the outcome. */
  finished(id: number): Promise<J> {
    const entry = this.jobs.get(id);
    if (entry === undefined) return Promise.reject(new StudioError({ code: 'not_found', message: `no ${this.kind} ${id}` }));
    return entry.finished;
  }

  cancel(id: number): J {
    const entry = this.jobs.get(id);
    if (entry === undefined) throw new StudioError({ code: 'not_found', message: `no ${this.kind} ${id}` });
    if (entry.job.state === 'running') void entry.client.request('cancel', null).catch(() => undefined);
    return entry.job;
  }

  list(): J[] {
    return [...this.jobs.values()].map((entry) => entry.job);
  }

  /** Cancels what still runs and waits for every job to end. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.jobs.values()].map((entry) => {
        if (entry.job.state === 'running') void entry.client.request('cancel', null).catch(() => undefined);
        return entry.finished;
      }),
    );
  }
}

/**
 * The worker side of the contract, for a worker thread's entry module: runs the job it is sent with an
 * abort signal and a progress callback; `cancel` aborts it. A run that fails after a cancel was asked
 * for answers `cancelled` (an aborted ffmpeg or ffprobe fails with its own error); any other failure
 * answers with its StudioError payload. The core ends the thread once `run` has answered.
 */
export function serveJob<O, S, P>(
  kind: string,
  run: (options: O, handlers: { signal: AbortSignal; onProgress: (progress: P) => void }) => Promise<S>,
): void {
  const port = parentPort;
  if (port === null) throw new Error(`the ${kind} worker must run in a worker thread`);
  const post = (message: FromJobWorker<P>) => port.postMessage(message);
  const abort = new AbortController();
  port.on('message', (message: ToJobWorker<O, S>) => {
    if (message.op === 'cancel') {
      abort.abort();
      post({ id: message.id, ok: true, result: null });
      return;
    }
    run(message.args, { signal: abort.signal, onProgress: (progress) => post({ event: 'progress', progress }) }).then(
      (summary) => post({ id: message.id, ok: true, result: { outcome: 'done', summary } }),
      (error: unknown) => {
        if (abort.signal.aborted) post({ id: message.id, ok: true, result: { outcome: 'cancelled' } });
        else if (error instanceof StudioError) post({ id: message.id, ok: false, error: error.toPayload() });
        else post({ id: message.id, ok: false, error: { code: 'internal', message: (error as Error)?.message ?? String(error) } });
      },
    );
  });
}
