import { Worker } from 'node:worker_threads';
import { StudioError } from '../../shared/api/errors';
import type { Unsubscribe } from '../../shared/api/transport';
import { openStore } from '../store/database';
import { workerLocation } from '../workers/workerLocation';
import { StoreWriter, type FaultInjector } from '../store/storeWriter';
import type { CommitInfo, WriterCall, WriterCallResult, WriterFailure, WriterOp } from '../store/writeOps';
import type { FromWriter, ToWriter } from './writerProtocol';

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
  close(): Promise<void>;
}

class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();
  add(listener: (value: T) => void): Unsubscribe {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  emit(value: T): void {
    for (const listener of this.set) listener(value);
  }
}

/** Shared bookkeeping of both clients: pending calls, listeners, the fatal state. */
abstract class BaseWriterClient implements WriterClient {
  protected readonly commits = new Listeners<CommitInfo>();
  protected readonly fatals = new Listeners<WriterFailure>();
  protected readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  protected failure: WriterFailure | undefined;
  private nextId = 1;

  protected abstract send(message: ToWriter): void;
  abstract close(): Promise<void>;

  write(ops: WriterOp[]): void {
    if (this.failure !== undefined || ops.length === 0) return;
    this.send({ type: 'ops', ops });
  }

  call<C extends WriterCall>(call: C): Promise<WriterCallResult<C>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.send({ type: 'call', id, call });
    });
  }

  onCommit(listener: (info: CommitInfo) => void): Unsubscribe {
    return this.commits.add(listener);
  }

  onFatal(listener: (failure: WriterFailure) => void): Unsubscribe {
    return this.fatals.add(listener);
  }

  protected receive(message: FromWriter): void {
    if (message.type === 'committed') this.commits.emit(message.info);
    else if (message.type === 'result' || message.type === 'error') {
      const entry = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.type === 'result') entry?.resolve(message.value);
      else entry?.reject(new StudioError({ code: 'failed_precondition', message: message.failure.message, ...(message.failure.fix !== undefined ? { fix: message.failure.fix } : {}) }));
    } else if (message.type === 'fatal') {
      this.failure ??= message.failure;
      this.fatals.emit(message.failure);
    }
  }

  protected failPending(failure: WriterFailure): void {
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      entry.reject(new StudioError({ code: 'unavailable', message: failure.message }));
    }
  }
}

/**
 * The writer loop itself, shared by the worker and the inline client: applies messages in order,
 * reports commits, and turns the first write failure into a fatal (later ops are refused, calls
 * such as saving or discarding still run).
 */
export function createWriterLoop(writer: StoreWriter, post: (message: FromWriter) => void): (message: ToWriter) => void {
  let failed = false;
  return (message) => {
    if (message.type === 'ops') {
      if (failed) return;
      try {
        post({ type: 'committed', info: writer.apply(message.ops) });
      } catch (error) {
        failed = true;
        post({ type: 'fatal', failure: writer.describeFailure(error) });
      }
    } else if (message.type === 'call') {
      try {
        post({ type: 'result', id: message.id, value: writer.call(message.call) });
      } catch (error) {
        post({ type: 'error', id: message.id, failure: writer.describeFailure(error) });
      }
    }
  };
}

/** The writer in this thread: for tests and tools. Messages are applied asynchronously, in order. */
export class InlineWriterClient extends BaseWriterClient {
  private readonly queue: ToWriter[] = [];
  private scheduled = false;
  private readonly loop: (message: ToWriter) => void;
  private readonly closeStore: () => void;

  constructor(options: { dataDir: string; appVersion: string; injectFault?: FaultInjector }) {
    super();
    const store = openStore({ dataDir: options.dataDir, appVersion: options.appVersion });
    this.closeStore = () => store.close();
    this.loop = createWriterLoop(new StoreWriter(store.db, store.path, options.injectFault), (message) => this.receive(message));
  }

  protected send(message: ToWriter): void {
    this.queue.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const next of this.queue.splice(0)) this.loop(next);
    });
  }

  async close(): Promise<void> {
    await this.call({ call: 'sync' });
    this.closeStore();
  }
}

/** The writer in its own thread, so SQLite never blocks the thread that serves the UI or runs control. */
export class WorkerWriterClient extends BaseWriterClient {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(options: { workerPath: string; execArgv?: string[]; dataDir: string; appVersion: string }) {
    super();
    this.worker = new Worker(options.workerPath, { execArgv: options.execArgv ?? [], workerData: { dataDir: options.dataDir, appVersion: options.appVersion } });
    this.worker.on('message', (message: FromWriter) => this.receive(message));
    this.worker.on('error', (error) => {
      const failure = { message: `the recording writer thread crashed: ${error.message}`, fix: 'Recording stopped; everything committed is kept. Restart the recording.' };
      this.failure ??= failure;
      this.fatals.emit(failure);
      this.failPending(failure);
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  protected send(message: ToWriter): void {
    this.worker.postMessage(message);
  }

  async close(): Promise<void> {
    this.worker.postMessage({ type: 'close' } satisfies ToWriter);
    await this.exited;
  }
}

/** The production writer: its own thread, built (`out/main/recordingWriter.js`) or from source under tsx. */
export function startWriterThread(options: { dataDir: string; appVersion: string }): WriterClient {
  const location = workerLocation(__dirname, 'recordingWriter.js', 'writerWorker.ts');
  if (location === undefined) {
    throw new StudioError({ code: 'failed_precondition', message: `the recording writer thread's entry is missing next to ${__dirname}`, fix: 'Run `npm run build`.' });
  }
  return new WorkerWriterClient({ workerPath: location.path, execArgv: location.execArgv, ...options });
}
