import { Worker, type Transferable } from 'node:worker_threads';
import { RpcClient, type RpcRequest } from '../../workers/rpcClient';
import { workerLocation } from '../../workers/workerLocation';
import type { WorkerError } from '../workerProtocol';
import type { RenderOps, RenderResponse } from './renderProtocol';

/** The physics thread's handle on its render worker. */
export class RenderClient extends RpcClient<RenderOps, never, WorkerError> {
  private readonly worker: Worker;
  private readonly exited: Promise<number>;

  constructor() {
    super();
    const location = workerLocation(__dirname, 'renderWorker.js', 'renderWorker.ts');
    if (location === undefined) throw new Error(`cannot find the render worker next to ${__dirname} (looked for renderWorker.js and renderWorker.ts); run \`npm run build\``);
    this.worker = new Worker(location.path, { execArgv: location.execArgv });
    this.worker.on('message', (message: RenderResponse) => this.receive(message));
    this.worker.on('error', (error) => this.fail(new Error(`the sim's render worker crashed: ${error.message}`)));
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`the sim's render worker exited unexpectedly (code ${code})`));
        resolve(code);
      });
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    if (this.failed === undefined) await this.request('close', null).catch(() => null);
    this.closing = true;
    this.rejectAll(this.closedError());
    await this.worker.terminate();
    await this.exited;
  }

  protected send(message: RpcRequest<RenderOps>, transfer: Transferable[]): void {
    this.worker.postMessage(message, transfer);
  }

  protected closedError(): Error {
    return new Error("the sim's render worker is closed");
  }

  protected errorFrom(detail: WorkerError): Error {
    return new Error(`render worker: ${detail.message}`);
  }

  protected dispatch(): void {}
}
