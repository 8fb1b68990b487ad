import type { Transferable } from 'node:worker_threads';
import { RpcClient, type RpcRequest } from '../../workers/rpcClient';
import { workerLocation } from '../../workers/workerLocation';
import { WorkerThread } from '../../workers/workerThread';
import type { WorkerError } from '../workerProtocol';
import type { RenderOps, RenderResponse } from './renderProtocol';

/** The physics thread's handle on its render worker. */
export class RenderClient extends RpcClient<RenderOps, never, WorkerError> {
  private readonly thread: WorkerThread<RpcRequest<RenderOps>, RenderResponse>;

  constructor() {
    super();
    const location = workerLocation(__dirname, 'renderWorker.js', 'renderWorker.ts');
    if (location === undefined)
      throw new Error(
        `cannot find the render worker next to ${__dirname} (looked for renderWorker.js and renderWorker.ts); run \`npm run build\``,
      );
    this.thread = new WorkerThread(location, "sim's render worker", {
      message: (message) => this.receive(message),
      failure: (error) => this.fail(error),
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    await this.closeThread(this.thread, () => this.request('close', null), 2000);
  }

  protected send(message: RpcRequest<RenderOps>, transfer: Transferable[]): void {
    this.thread.post(message, transfer);
  }

  protected closedError(): Error {
    return new Error("the sim's render worker is closed");
  }

  protected errorFrom(detail: WorkerError): Error {
    return new Error(`render worker: ${detail.message}`);
  }

  protected dispatch(): void {}
}
