import type { MessagePort, Transferable } from 'node:worker_threads';
import { workerLocation, type WorkerLocation } from '../workers/workerLocation';
import { WorkerThread } from '../workers/workerThread';
import { ModelLoadError, type ModelErrorKind } from './modelLoader';
import type { SimEvent } from './simRunner';
import { RpcClient } from '../workers/rpcClient';
import type { SimOp, SimOps, SimRequest, SimWorkerEvent, SimWorkerMessage, WorkerError } from './workerProtocol';

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
  if (location === undefined)
    throw new SimWorkerError(
      `cannot find the sim worker next to ${__dirname} (looked for simWorker.js and worker.ts); run \`npm run build\``,
    );
  return location;
}

export function errorFrom(detail: WorkerError): Error {
  if (detail.name === 'ModelLoadError' && detail.file !== undefined) {
    const prefix = `${detail.file}: `;
    const text = detail.message.startsWith(prefix) ? detail.message.slice(prefix.length) : detail.message;
    return new ModelLoadError((detail.kind ?? 'unknown') as ModelErrorKind, detail.file, text);
  }
  return new SimWorkerError(detail.message, detail);
}

export type SimListener = (event: SimEvent, anchor_ns: bigint) => void;

/** The sim protocol over some message channel; subclasses say how messages travel. */
export abstract class SimMessageClient extends RpcClient<SimOps, SimWorkerEvent, WorkerError> {
  private readonly simListeners = new Set<SimListener>();

  override request<K extends SimOp>(op: K, args: SimOps[K]['args']): Promise<SimOps[K]['result']> {
    // A port handed to the simulation must be moved, not copied.
    return super.request(op, args, op === 'attach' ? [args as MessagePort] : []);
  }

  onSim(listener: SimListener): () => void {
    this.simListeners.add(listener);
    return () => this.simListeners.delete(listener);
  }

  protected errorFrom(detail: WorkerError): Error {
    return errorFrom(detail);
  }

  protected dispatch(message: SimWorkerEvent): void {
    switch (message.event) {
      case 'sim':
        for (const listener of this.simListeners) listener(message.payload, message.anchor_ns);
        break;
      case 'fatal':
        this.fail(new SimWorkerError(`the simulation stopped: ${message.payload.message}`, message.payload));
        break;
    }
  }
}

/** Main-thread handle on the sim worker, which it starts and owns. */
export class SimWorkerClient extends SimMessageClient {
  private readonly thread: WorkerThread<SimRequest, SimWorkerMessage>;

  constructor(location: WorkerLocation = defaultWorkerLocation()) {
    super();
    this.thread = new WorkerThread(location, 'sim worker', {
      message: (message) => this.receive(message),
      failure: (error) => this.fail(new SimWorkerError(error.message)),
    });
  }

  protected send(message: SimRequest, transfer: Transferable[]): void {
    this.thread.post(message, transfer);
  }

  protected closedError(): Error {
    return new SimWorkerError('the sim worker is closed');
  }

  /** Asks the worker to free MuJoCo and exit; terminates it if it does not within `timeout_ms`. */
  async close(timeout_ms = 2000): Promise<void> {
    if (this.closing) {
      await this.thread.exited;
      return;
    }
    await this.closeThread(this.thread, () => this.request('close', null), timeout_ms);
  }
}

/**
 * A simulation someone else owns, reached through a port it attached (`attach`): the control worker's
 * view of the sim. Closing it closes only the port; the simulation runs on.
 */
export class SimPortClient extends SimMessageClient {
  constructor(private readonly port: MessagePort) {
    super();
    port.on('message', (message: SimWorkerMessage) => this.receive(message));
    port.on('close', () => {
      if (!this.closing) this.fail(new SimWorkerError('the simulation closed its port to this thread'));
    });
  }

  protected send(message: SimRequest, transfer: Transferable[]): void {
    this.port.postMessage(message, transfer);
  }

  protected closedError(): Error {
    return new SimWorkerError('the port to the simulation is closed');
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.rejectAll(this.closedError());
    this.port.close();
  }
}
