import { SimHost } from './simHost';
import type { WorkerLocation } from '../workers/workerLocation';
import { SimMessageClient, SimWorkerClient, SimWorkerError, type SimListener } from './workerClient';
import type { SimOp, SimOps, SimRequest, SimWorkerMessage } from './workerProtocol';

/** What the sim devices need from a running simulation, wherever it runs. */
export interface SimClient {
  readonly failed: Error | undefined;
  request<K extends SimOp>(op: K, args: SimOps[K]['args']): Promise<SimOps[K]['result']>;
  onSim(listener: SimListener): () => void;
  onFailure(listener: (error: Error) => void): () => void;
  close(): Promise<void>;
}

/**
 * The same protocol without a thread: SimHost on the caller's thread. For tests that want determinism
 * (manual pacing) and for debugging; the studio itself runs the sim in its worker.
 */
export class InProcessSimClient extends SimMessageClient implements SimClient {
  private readonly host = new SimHost((message: SimWorkerMessage) => this.receive(message));
  private closed = false;

  protected send(message: SimRequest): void {
    void this.host.handle(message);
  }

  protected closedError(): Error {
    return new SimWorkerError('the simulation is closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.request('close', null).catch(() => null);
    this.host.stop();
    this.closed = this.closing = true;
  }
}

export function createSimClient(where: 'worker' | 'in-process', location?: WorkerLocation): SimClient {
  return where === 'in-process' ? new InProcessSimClient() : new SimWorkerClient(location);
}
