import { Worker } from 'node:worker_threads';
import { StudioError, type StudioErrorPayload } from '../../shared/api/errors';
import { workerLocation } from '../workers/workerLocation';
import type { FromExportWorker } from './exportWorkerProtocol';
import type { ExportOptions, ExportProgress, ExportSummary } from './types';

export type ExportState = 'running' | 'done' | 'failed' | 'cancelled';

export interface ExportJob {
  id: number;
  format: ExportOptions['format'];
  out: string;
  state: ExportState;
  progress: ExportProgress | null;
  summary: ExportSummary | null;
  error: StudioErrorPayload | null;
}

/**
 * Runs exports for the UI, each in its own worker thread, reporting progress and outcome through
 * `onChange`. A dry run (the plan) runs the same way, so the two can never disagree.
 */
export class ExportService {
  private readonly jobs = new Map<number, { job: ExportJob; worker: Worker }>();
  private nextId = 1;

  constructor(
    private readonly dataDir: string,
    private readonly onChange: (job: ExportJob) => void,
  ) {}

  start(options: Omit<ExportOptions, 'dataDir'>): ExportJob {
    const location = workerLocation(__dirname, 'exportWorker.js', 'exportWorker.ts');
    if (location === undefined) throw new StudioError({ code: 'failed_precondition', message: `the export worker's entry is missing next to ${__dirname}`, fix: 'Run `npm run build`.' });
    const job: ExportJob = { id: this.nextId++, format: options.format, out: options.out, state: 'running', progress: null, summary: null, error: null };
    const worker = new Worker(location.path, { execArgv: location.execArgv, workerData: { ...options, dataDir: this.dataDir } satisfies ExportOptions });
    this.jobs.set(job.id, { job, worker });
    worker.on('message', (message: FromExportWorker) => {
      if (message.type === 'progress') job.progress = message.progress;
      else if (message.type === 'done') {
        job.state = 'done';
        job.summary = message.summary;
      } else if (message.type === 'cancelled') job.state = 'cancelled';
      else {
        job.state = 'failed';
        job.error = message.error;
      }
      this.onChange(job);
    });
    worker.on('error', (error) => {
      job.state = 'failed';
      job.error = { code: 'internal', message: `the export worker crashed: ${error.message}` };
      this.onChange(job);
    });
    return job;
  }

  /** Resolves with the job once it has finished, whatever the outcome. */
  finished(id: number): Promise<ExportJob> {
    const entry = this.jobs.get(id);
    if (entry === undefined) return Promise.reject(new StudioError({ code: 'not_found', message: `no export ${id}` }));
    if (entry.job.state !== 'running') return Promise.resolve(entry.job);
    return new Promise((resolve) => entry.worker.once('exit', () => resolve(entry.job)));
  }

  cancel(id: number): ExportJob {
    const entry = this.jobs.get(id);
    if (entry === undefined) throw new StudioError({ code: 'not_found', message: `no export ${id}` });
    if (entry.job.state === 'running') entry.worker.postMessage({ type: 'cancel' });
    return entry.job;
  }

  list(): ExportJob[] {
    return [...this.jobs.values()].map((entry) => entry.job);
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.jobs.values()]
        .filter((entry) => entry.job.state === 'running')
        .map((entry) => {
          entry.worker.postMessage({ type: 'cancel' });
          return new Promise<void>((resolve) => entry.worker.once('exit', () => resolve()));
        }),
    );
  }
}
