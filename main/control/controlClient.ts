import type { Transferable } from 'node:worker_threads';
import { StudioError } from '../../shared/api/errors';
import { Emitter } from '../../shared/base/emitter';
import { studioErrorCodes, type StudioErrorCode } from '../../shared/api/errors';
import { RpcClient, type RpcRequest } from '../workers/rpcClient';
import { wakeFor } from './controlLoop';
import { workerLocation, type WorkerLocation } from '../workers/workerLocation';
import { WorkerThread } from '../workers/workerThread';
import type { ControlErrorDetail, ControlEvent, ControlInput, ControlOps, FromControl, ToControl } from './controlProtocol';

/** The built worker (`out/main/controlWorker.js`) or, from source (vitest, tsx), `controlWorker.ts` through tsx. */
function defaultLocation(): WorkerLocation {
  const location = workerLocation(__dirname, 'controlWorker.js', 'controlWorker.ts');
  if (location === undefined)
    throw new Error(
      `cannot find the control worker next to ${__dirname} (looked for controlWorker.js and controlWorker.ts); run \`npm run build\``,
    );
  return location;
}

const isCode = (code: string | undefined): code is StudioErrorCode =>
  code !== undefined && (studioErrorCodes as readonly string[]).includes(code);

/**
 * The core's handle on the control worker: requests (start, e-stop, stop), operator input, and the
 * worker's events. A crash or unexpected exit of the worker fails every pending request and is
 * reported once through `onFailure`; the core lives on.
 */
export class ControlClient extends RpcClient<ControlOps, ControlEvent, ControlErrorDetail> {
  private readonly thread: WorkerThread<ToControl, FromControl>;
  private readonly events = new Emitter<ControlEvent>();
  /** Bumped after every message, to end the loop's precise wait (ControlLoopOptions.wake). */
  readonly wake = new SharedArrayBuffer(4);
  private readonly wakeCell = new Int32Array(this.wake);

  constructor(location: WorkerLocation = defaultLocation()) {
    super();
    this.thread = new WorkerThread(location, 'control worker', {
      message: (message) => this.receive(message),
      failure: (error) => this.fail(error),
    });
  }

  onEvent(listener: (event: ControlEvent) => void): () => void {
    return this.events.event(listener);
  }

  /** Operator input: fire and forget, in order with everything else sent to the worker. */
  input(message: ControlInput): void {
    if (this.closing || this.failed !== undefined) return;
    this.thread.post(message);
    wakeFor(this.wakeCell);
  }

  /** Stops the loop and disconnects the devices (politely, within `timeout_ms`), then ends the worker. */
  async close(timeout_ms = 5000): Promise<void> {
    if (this.closing) return;
    await this.closeThread(this.thread, () => this.request('stop', null), timeout_ms);
  }

  protected send(message: RpcRequest<ControlOps>, transfer: Transferable[]): void {
    this.thread.post(message, transfer);
    wakeFor(this.wakeCell);
  }

  protected closedError(): Error {
    return new Error('the control worker is closed');
  }

  protected errorFrom(detail: ControlErrorDetail): Error {
    return new StudioError({
      code: isCode(detail.code) ? detail.code : 'unavailable',
      message: detail.message,
      ...(detail.fix !== undefined ? { fix: detail.fix } : {}),
    });
  }

  protected dispatch(event: ControlEvent): void {
    this.events.fire(event);
  }
}
