import type { SimEvent } from './simRunner';
import { SimHost } from './simHost';
import type { WorkerLocation } from '../workers/workerLocation';
import { errorFrom, SimWorkerClient, SimWorkerError } from './workerClient';
import type { EpisodeReport, SimOp, SimOps, SimRequest, SimWorkerMessage } from './workerProtocol';

/** What the sim devices need from a running simulation, wherever it runs. */
export interface SimClient {
  readonly failed: Error | undefined;
  request<K extends SimOp>(op: K, args: SimOps[K]['args']): Promise<SimOps[K]['result']>;
  onSim(listener: (event: SimEvent) => void): () => void;
  onEpisode(listener: (report: EpisodeReport) => void): () => void;
  onFailure(listener: (error: Error) => void): () => void;
  close(): Promise<void>;
}

/**
 * The same protocol without a thread: SimHost on the caller's thread. For tests that want determinism
 * (manual pacing) and for debugging; the studio itself runs the sim in its worker.
 */
export class InProcessSimClient implements SimClient {
  private readonly host: SimHost;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly sim = new Set<(event: SimEvent) => void>();
  private readonly episodes = new Set<(report: EpisodeReport) => void>();
  private readonly failures = new Set<(error: Error) => void>();
  private nextId = 1;
  private failure: Error | undefined;
  private closed = false;

  constructor() {
    this.host = new SimHost((message) => this.receive(message));
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  request<K extends SimOp>(op: K, args: SimOps[K]['args']): Promise<SimOps[K]['result']> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new SimWorkerError('the simulation is closed'));
    const id = this.nextId++;
    const result = new Promise<SimOps[K]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    void this.host.handle({ id, op, args } as SimRequest);
    return result;
  }

  onSim(listener: (event: SimEvent) => void): () => void {
    this.sim.add(listener);
    return () => this.sim.delete(listener);
  }

  onEpisode(listener: (report: EpisodeReport) => void): () => void {
    this.episodes.add(listener);
    return () => this.episodes.delete(listener);
  }

  onFailure(listener: (error: Error) => void): () => void {
    this.failures.add(listener);
    return () => this.failures.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.request('close', null).catch(() => null);
    this.host.stop();
    this.closed = true;
  }

  private receive(message: SimWorkerMessage): void {
    if (message.id !== undefined) {
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ok) pending?.resolve(message.result);
      else pending?.reject(errorFrom(message.error));
      return;
    }
    if (message.event === 'sim') for (const listener of this.sim) listener(message.payload);
    else if (message.event === 'episode') for (const listener of this.episodes) listener(message.payload);
    else if (this.failure === undefined) {
      this.failure = new SimWorkerError(`the simulation stopped: ${message.payload.message}`, message.payload);
      for (const listener of this.failures) listener(this.failure);
    }
  }
}

export function createSimClient(where: 'worker' | 'in-process', location?: WorkerLocation): SimClient {
  return where === 'in-process' ? new InProcessSimClient() : new SimWorkerClient(location);
}
