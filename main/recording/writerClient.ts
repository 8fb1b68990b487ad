import type { Transferable } from 'node:worker_threads';
import { StudioError } from '../../shared/api/errors';
import type { Unsubscribe } from '../../shared/api/transport';
import { Emitter } from '../../shared/base/emitter';
import { openStore, type Store } from '../store/database';
import { StoreWriter, type FaultInjector } from '../store/storeWriter';
import type { CommitInfo, WriterCall, WriterCallResult, WriterFailure, WriterOp } from '../store/writeOps';
import { RpcClient, type RpcRequest } from '../workers/rpcClient';
import { workerLocation, type WorkerLocation } from '../workers/workerLocation';
import { WorkerThread } from '../workers/workerThread';
import type { FromWriter, ToWriter, WriterEvent, WriterOps } from './writerProtocol';

/**
 * The recorder's handle on the store writer. Ops are fire-and-forget and applied in order; calls
 * resolve with their result after everything sent before them has been applied.
 */
export interface WriterClient {
  write(ops: WriterOp[]): void;
  call<C extends WriterCall>(call: C): Promise<WriterCallResult<C>>;
  onCommit(listener: (info: CommitInfo) => void): Unsubscribe;
  /** The writer can no longer write (disk full, locked, I/O error); what was committed is kept. */
  onFatal(listener: (failure: WriterFailure) => void): Unsubscribe;
  /** Resolves once everything sent before it is committed and the store is closed. */
  close(): Promise<void>;
}

/**
 * The writer's side, the same in its thread and inline: applies messages in order, reports commits,
 * and turns the first write failure into a fatal (later samples are refused; calls such as saving or
 * discarding still run). `close` is a message like the others, so it is handled between transactions,
 * after every one sent before it.
 */
export class WriterHost {
  private failed = false;
  private closed = false;

  constructor(
    private readonly writer: StoreWriter,
    private readonly closeStore: () => void,
    private readonly post: (message: FromWriter) => void,
  ) {}

  handle(message: ToWriter): void {
    if (this.closed) return;
    if (message.id === undefined) {
      if (this.failed) return;
      try {
        this.post({ event: 'committed', info: this.writer.apply(message.ops) });
      } catch (error) {
        this.failed = true;
        this.post({ event: 'fatal', failure: this.writer.describeFailure(error) });
      }
      return;
    }
    if (message.op === 'close') {
      this.closed = true;
      this.closeStore();
      this.post({ id: message.id, ok: true, result: null });
      return;
    }
    try {
      this.post({ id: message.id, ok: true, result: this.writer.call(message.args) });
    } catch (error) {
      this.post({ id: message.id, ok: false, error: this.writer.describeFailure(error) });
    }
  }
}

/** Both clients: requests on the shared RpcClient, commit and fatal events, the fatal state. */
abstract class WriterRpcClient extends RpcClient<WriterOps, WriterEvent, WriterFailure> implements WriterClient {
  private readonly commits = new Emitter<CommitInfo>();
  private readonly fatals = new Emitter<WriterFailure>();
  private fatal: WriterFailure | undefined;
  private closed: Promise<void> | undefined;

  protected abstract post(message: ToWriter, transfer?: Transferable[]): void;
  protected abstract shutDown(): Promise<void>;

  write(ops: WriterOp[]): void {
    if (this.fatal !== undefined || this.closing || this.failed !== undefined || ops.length === 0) return;
    this.post({ op: 'write', ops });
  }

  call<C extends WriterCall>(call: C): Promise<WriterCallResult<C>> {
    return this.request('call', call) as Promise<WriterCallResult<C>>;
  }

  onCommit(listener: (info: CommitInfo) => void): Unsubscribe {
    return this.commits.event(listener);
  }

  onFatal(listener: (failure: WriterFailure) => void): Unsubscribe {
    return this.fatals.event(listener);
  }

  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  protected send(message: RpcRequest<WriterOps>, transfer: Transferable[]): void {
    this.post(message, transfer);
  }

  protected closedError(): Error {
    return new StudioError({ code: 'unavailable', message: 'the recording writer is closed' });
  }

  protected errorFrom(detail: WriterFailure): Error {
    return new StudioError({
      code: 'failed_precondition',
      message: detail.message,
      ...(detail.fix !== undefined ? { fix: detail.fix } : {}),
    });
  }

  protected dispatch(event: WriterEvent): void {
    if (event.event === 'committed') this.commits.fire(event.info);
    else this.declareFatal(event.failure);
  }

  protected declareFatal(failure: WriterFailure): void {
    this.fatal ??= failure;
    this.fatals.fire(failure);
  }
}

/** The writer in this thread: for tests and tools. Messages are applied asynchronously, in order. */
export class InlineWriterClient extends WriterRpcClient {
  private readonly queue: ToWriter[] = [];
  private scheduled = false;
  private readonly host: WriterHost;

  /**
   * `onStoreOpened` is a test hook: it gets the writer's own connection once, e.g. to set
   * `PRAGMA max_page_count` (a per-connection limit) so SQLite itself runs out of space.
   */
  constructor(options: { dataDir: string; appVersion: string; injectFault?: FaultInjector; onStoreOpened?: (db: Store['db']) => void }) {
    super();
    const store = openStore({ dataDir: options.dataDir, appVersion: options.appVersion });
    options.onStoreOpened?.(store.db);
    this.host = new WriterHost(
      new StoreWriter(store.db, store.path, options.injectFault),
      () => store.close(),
      (message) => this.receive(message),
    );
  }

  protected post(message: ToWriter): void {
    this.queue.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const next of this.queue.splice(0)) this.host.handle(next);
    });
  }

  protected async shutDown(): Promise<void> {
    const closed = this.request('close', null);
    this.closing = true;
    await closed;
  }
}

const CRASH_FIX = 'Recording stopped; everything committed is kept. Restart the recording.';

/**
 * The writer in its own thread (the shared `WorkerThread`), so SQLite never blocks the thread that
 * serves the UI or runs control. Closing waits for the writer's own answer, however long the backlog:
 * the thread is ended only after its store is closed, never in the middle of a transaction.
 */
export class WorkerWriterClient extends WriterRpcClient {
  private readonly thread: WorkerThread<ToWriter, FromWriter>;

  constructor(location: WorkerLocation, options: { dataDir: string; appVersion: string }) {
    super();
    this.thread = new WorkerThread(
      location,
      'recording writer thread',
      {
        message: (message) => this.receive(message),
        failure: (error) => {
          this.declareFatal({ message: error.message, fix: CRASH_FIX });
          this.fail(new StudioError({ code: 'unavailable', message: error.message, fix: CRASH_FIX }));
        },
      },
      { workerData: options },
    );
  }

  protected post(message: ToWriter, transfer: Transferable[] = []): void {
    this.thread.post(message, transfer);
  }

  protected shutDown(): Promise<void> {
    return this.closeThread(this.thread, () => this.request('close', null), null);
  }
}

/** The production writer: its own thread, built (`out/main/recordingWriter.js`) or from source under tsx. */
export function startWriterThread(options: { dataDir: string; appVersion: string }): WriterClient {
  const location = workerLocation(__dirname, 'recordingWriter.js', 'writerWorker.ts');
  if (location === undefined) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `the recording writer thread's entry is missing next to ${__dirname}`,
      fix: 'Run `npm run build`.',
    });
  }
  return new WorkerWriterClient(location, options);
}
