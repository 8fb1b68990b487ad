import type { Transferable } from 'node:worker_threads';
import { StudioError, isStudioErrorCode } from '../../../shared/api/errors';
import { ImaginationCancelled } from '../engine';
import type { Imagined, ObservedState, PackInfo } from '../imaginationService';
import type { Observation } from '../observation';
import type { ProviderOptions } from '../providers';
import { RpcClient, type RpcRequest } from '../../workers/rpcClient';
import { workerLocation, type WorkerLocation } from '../../workers/workerLocation';
import { WorkerThread } from '../../workers/workerThread';
import type { FromImagination, ImaginationErrorDetail, ImaginationOps, ImagineArgs, ToImagination } from './imaginationProtocol';

function defaultLocation(): WorkerLocation {
  const location = workerLocation(__dirname, 'imaginationWorker.js', 'imaginationWorker.ts');
  if (location === undefined)
    throw new Error(
      `cannot find the imagination worker next to ${__dirname} (looked for imaginationWorker.js and imaginationWorker.ts); run \`npm run build\``,
    );
  return location;
}

/**
 * The studio's handle on the imagination worker: open a pack, feed it observations, ask for futures.
 * A superseded request rejects with `ImaginationCancelled`; a crash of the worker fails every pending
 * request once (the arm never moves on a failed prediction: callers act only on a result).
 */
export class ImaginationClient extends RpcClient<ImaginationOps, never, ImaginationErrorDetail> {
  private readonly thread: WorkerThread<ToImagination, FromImagination>;

  constructor(location: WorkerLocation = defaultLocation()) {
    super();
    this.thread = new WorkerThread(location, 'imagination worker', {
      message: (message) => this.receive(message),
      failure: (error) => this.fail(error),
    });
  }

  open(dir: string, provider: ProviderOptions): Promise<PackInfo> {
    return this.request('open', { dir, provider });
  }

  /** Copies the frames' buffers (the caller may reuse its own). */
  observe(observation: Observation): Promise<ObservedState> {
    return this.request('observe', observation);
  }

  imagine(args: ImagineArgs): Promise<Imagined> {
    const transfer: Transferable[] = 'actions' in args.candidates ? [args.candidates.actions.slice().buffer] : [];
    const sent = 'actions' in args.candidates ? { ...args, candidates: { actions: new Float32Array(transfer[0] as ArrayBuffer) } } : args;
    return this.request('imagine', sent, transfer);
  }

  propose(K: number, seed: number, temperature?: number): Promise<Float32Array> {
    return this.request('propose', { K, seed, ...(temperature !== undefined ? { temperature } : {}) });
  }

  lift(observation: Observation): Promise<{ gaussians: Float32Array; mask: Float32Array }> {
    return this.request('lift', observation);
  }

  decode(now: Float32Array, latents: Float32Array, observed: Float32Array): Promise<Float32Array> {
    return this.request('decode', { now, latents, observed });
  }

  reset(): Promise<null> {
    return this.request('reset', null);
  }

  async close(timeout_ms = 5000): Promise<void> {
    if (this.closing) return;
    await this.closeThread(this.thread, () => this.request('close', null), timeout_ms);
  }

  protected send(message: RpcRequest<ImaginationOps>, transfer: Transferable[]): void {
    this.thread.post(message, transfer);
  }

  protected closedError(): Error {
    return new Error('the imagination worker is closed');
  }

  protected errorFrom(detail: ImaginationErrorDetail): Error {
    if (detail.cancelled === true) return new ImaginationCancelled();
    return new StudioError({
      code: isStudioErrorCode(detail.code) ? detail.code : 'unavailable',
      message: detail.message,
      ...(detail.fix !== undefined ? { fix: detail.fix } : {}),
    });
  }

  protected dispatch(): void {
    // The worker sends no events.
  }
}
