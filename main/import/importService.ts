import { StudioError, type StudioErrorPayload } from '../../shared/api/errors';
import { JobClient } from '../workers/jobWorker';
import { workerLocation } from '../workers/workerLocation';
import type { ImportOptions, ImportProgress, ImportSummary } from './runImport';

export interface ImportJob {
  id: number;
  source: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  progress: ImportProgress | null;
  summary: ImportSummary | null;
  error: StudioErrorPayload | null;
}

/**
 * Imports for the UI (`studio import` in the Episodes view), each in its own worker thread, reporting
 * progress and outcome through `onChange`. The import itself is `runImport`, the CLI's: checked before
 * anything is written, written in short batches under streams nothing points to yet, and made visible
 * by one small last transaction.
 */
export class ImportService {
  private readonly jobs = new Map<
    number,
    { job: ImportJob; client: JobClient<ImportOptions, ImportSummary, ImportProgress>; finished: Promise<ImportJob> }
  >();
  private nextId = 1;

  constructor(
    private readonly dataDir: string,
    private readonly onChange: (job: ImportJob) => void,
  ) {}

  start(options: Omit<ImportOptions, 'dataDir'>): ImportJob {
    const location = workerLocation(__dirname, 'importWorker.js', 'importWorker.ts');
    if (location === undefined)
      throw new StudioError({
        code: 'failed_precondition',
        message: `the import worker's entry is missing next to ${__dirname}`,
        fix: 'Run `npm run build`.',
      });
    const job: ImportJob = { id: this.nextId++, source: options.source, state: 'running', progress: null, summary: null, error: null };
    const client = new JobClient<ImportOptions, ImportSummary, ImportProgress>(location, 'import');
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
  finished(id: number): Promise<ImportJob> {
    const entry = this.jobs.get(id);
    if (entry === undefined) return Promise.reject(new StudioError({ code: 'not_found', message: `no import ${id}` }));
    return entry.finished;
  }

  cancel(id: number): ImportJob {
    const entry = this.jobs.get(id);
    if (entry === undefined) throw new StudioError({ code: 'not_found', message: `no import ${id}` });
    if (entry.job.state === 'running') void entry.client.request('cancel', null).catch(() => undefined);
    return entry.job;
  }

  list(): ImportJob[] {
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
