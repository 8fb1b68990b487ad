import { Worker } from 'node:worker_threads';
import { workerLocation, type WorkerLocation } from '../workers/workerLocation';
import { ModelLoadError, type ModelErrorKind } from './modelLoader';
import type { SimEvent } from './simRunner';
import type { EpisodeReport, SimOp, SimOps, SimRequest, SimWorkerMessage, WorkerError } from './workerProtocol';

/** A failure reported by (or about) the sim worker, phrased for the operator. */
export class SimWorkerError extends Error {
  constructor(
    message: string,
    readonly detail?: WorkerError,
  ) {
    super(message);
    this.name = 'SimWorkerError';
  }
}


/** The built worker (`out/main/simWorker.js`) or, from source (vitest, tsx), `worker.ts` through tsx. */
export function defaultWorkerLocation(): WorkerLocation {
  const location = workerLocation(__dirname, 'simWorker.js', 'worker.ts');
  if (location === undefined) throw new SimWorkerError(`cannot find the sim worker next to ${__dirname} (looked for simWorker.js and worker.ts); run \`npm run build\``);
  return location;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; op: SimOp };

export function errorFrom(detail: WorkerError): Error {
  if (detail.name === 'ModelLoadError' && detail.file !== undefined) {
    const prefix = `${detail.file}: `;
    const text = detail.message.startsWith(prefix) ? detail.message.slice(prefix.length) : detail.message;
    return new ModelLoadError((detail.kind ?? 'unknown') as ModelErrorKind, detail.file, text);
  }
  return new SimWorkerError(detail.message, detail);
}

/**
 * Main-thread handle on the sim worker: typed requests, sim events, and one rule for failures — a
 * throw inside the worker, its crash or its exit rejects every pending request and reports `onFailure`
 * once; the process lives on.
 */
export class SimWorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private closing = false;
  private readonly exited: Promise<number>;
  private readonly simListeners = new Set<(event: SimEvent) => void>();
  private readonly episodeListeners = new Set<(report: EpisodeReport) => void>();
  private readonly failureListeners = new Set<(error: Error) => void>();

  constructor(location: WorkerLocation = defaultWorkerLocation()) {
    this.worker = new Worker(location.path, { execArgv: location.execArgv });
    this.worker.on('message', (message: SimWorkerMessage) => this.receive(message));
    this.worker.on('error', (error) => this.fail(new SimWorkerError(`the sim worker crashed: ${error.message}`)));
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        if (!this.closing) this.fail(new SimWorkerError(`the sim worker exited unexpectedly (code ${code})`));
        else this.rejectAll(new SimWorkerError('the sim worker was closed'));
        resolve(code);
      });
    });
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  request<K extends SimOp>(op: K, args: SimOps[K]['args']): Promise<SimOps[K]['result']> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new SimWorkerError('the sim worker is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, op });
      this.worker.postMessage({ id, op, args } as SimRequest);
    });
  }

  onSim(listener: (event: SimEvent) => void): () => void {
    this.simListeners.add(listener);
    return () => this.simListeners.delete(listener);
  }

  onEpisode(listener: (report: EpisodeReport) => void): () => void {
    this.episodeListeners.add(listener);
    return () => this.episodeListeners.delete(listener);
  }

  onFailure(listener: (error: Error) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** Asks the worker to free MuJoCo and exit; terminates it if it does not within `timeout_ms`. */
  async close(timeout_ms = 2000): Promise<void> {
    if (this.closing) {
      await this.exited;
      return;
    }
    const polite = this.failure === undefined ? this.request('close', null).catch(() => null) : Promise.resolve(null);
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeout_ms);
    });
    const outcome = await Promise.race([polite.then(() => this.exited), timeout]);
    if (timer !== undefined) clearTimeout(timer);
    if (outcome === 'timeout') await this.worker.terminate();
    await this.exited;
  }

  private receive(message: SimWorkerMessage): void {
    if (message.id !== undefined) {
      const pending = this.pending.get(message.id);
      if (pending === undefined) return;
      this.pending.delete(message.id);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(errorFrom(message.error));
      return;
    }
    switch (message.event) {
      case 'sim':
        for (const listener of this.simListeners) listener(message.payload);
        break;
      case 'episode':
        for (const listener of this.episodeListeners) listener(message.payload);
        break;
      case 'fatal':
        this.fail(new SimWorkerError(`the simulation stopped: ${message.payload.message}`, message.payload));
        break;
    }
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.rejectAll(error);
    for (const listener of this.failureListeners) listener(error);
  }

  private rejectAll(error: Error): void {
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(error);
    }
  }
}
