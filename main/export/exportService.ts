import { JobRunner, type JobState } from '../workers/jobWorker';
import type { ExportOptions, ExportProgress, ExportSummary } from './types';

export interface ExportJob extends JobState<ExportSummary, ExportProgress> {
  format: ExportOptions['format'];
  out: string;
}

/**
 * Runs exports for the UI, each in its own worker thread, reporting progress and outcome through
 * `onChange`. A dry run (the plan) runs the same way, so the two can never disagree.
 */
export class ExportService extends JobRunner<ExportOptions, ExportSummary, ExportProgress, ExportJob> {
  constructor(
    private readonly dataDir: string,
    onChange: (job: ExportJob) => void,
  ) {
    super('export', __dirname, 'exportWorker', onChange);
  }

  start(options: Omit<ExportOptions, 'dataDir'>): ExportJob {
    return this.launch({ ...options, dataDir: this.dataDir }, (id) => ({
      id,
      format: options.format,
      out: options.out,
      state: 'running',
      progress: null,
      summary: null,
      error: null,
    }));
  }
}
