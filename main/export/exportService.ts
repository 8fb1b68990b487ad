import { StudioError, type StudioErrorPayload } from '../../shared/api/errors';
import { JobClient } from '../workers/jobWorker';
import { workerLocation } from '../workers/workerLocation';
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
  private readonly jobs = new Map<
    number,
    { job: ExportJob; client: JobClient<ExportOptions, ExportSummary, ExportProgress>; finished: Promise<ExportJob> }
  >();
  private nextId = 1;

  constructor(
    private readonly dataDir: string,
    private readonly onChange: (job: ExportJob) => void,
  ) {}

  start(options: Omit<ExportOptions, 'dataDir'>): ExportJob {
    const location = workerLocation(__dirname, 'exportWorker.js', 'exportWorker.ts');
    if (location === undefined)
      throw new StudioError({
        code: 'failed_precondition',
        message: `the export worker's entry is missing next to ${__dirname}`,
        fix: 'Run `npm run build`.',
      });
    const job: ExportJob = {
      id: this.nextId++,
      format: options.format,
      out: options.out,
      state: 'running',
      progress: null,
      summary: null,
      error: null,
    };
    const client = new JobClient<ExportOptions, ExportSummary, ExportProgress>(location, 'export');
    client.onProgress((progress) => {
      job.progress = progress;
      this.onChange(job);
    });
    const finished = client
      .run({ ...options, dataDir: this.dataDir })
      .then(
        (outcome) => {
          if (outcome.outcome === 'done') {
            job.state = 'done';
            job.summary = outcome.summary;
          } else job.state = 'cancelled';
        },
        (error: Error) => {
          job.state = 'failed';
          job.error = error instanceof StudioError ? error.toPayload() : { code: 'internal', message: error.message };
        },
      )
      .then(() => client.close())
      .then(() => {
        this.onChange(job);
        return job;
      });
    this.jobs.set(job.id, { job, client, finished });
    return job;
  }

  /** Resolves with the job once it has finished, whatever the outcome. */
  finished(id: number): Promise<ExportJob> {
    const entry = this.jobs.get(id);
    if (entry === undefined) return Promise.reject(new StudioError({ code: 'not_found', message: `no export ${id}` }));
    return entry.finished;
  }

  cancel(id: number): ExportJob {
    const entry = this.jobs.get(id);
    if (entry === undefined) throw new StudioError({ code: 'not_found', message: `no export ${id}` });
    if (entry.job.state === 'running') void entry.client.request('cancel', null).catch(() => undefined);
    return entry.job;
  }

  list(): ExportJob[] {
    return [...this.jobs.values()].map((entry) => entry.job);
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.jobs.values()].map((entry) => {
        if (entry.job.state === 'running') void entry.client.request('cancel', null).catch(() => undefined);
        return entry.finished;
      }),
    );
  }
}
