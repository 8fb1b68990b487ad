import { JobRunner, type JobState } from '../workers/jobWorker';
import type { ImportOptions, ImportProgress, ImportSummary } from './runImport';

export interface ImportJob extends JobState<ImportSummary, ImportProgress> {
  source: string;
}

/**
 * Imports for the UI (`studio import` in the Episodes view), each in its own worker thread, reporting
 * progress and outcome through `onChange`. The import itself is `runImport`, the CLI's: checked before
 * anything is written, written in short batches under streams nothing points to yet, and made visible
 * by one small last transaction.
 */
export class ImportService extends JobRunner<ImportOptions, ImportSummary, ImportProgress, ImportJob> {
  constructor(
    private readonly dataDir: string,
    onChange: (job: ImportJob) => void,
  ) {
    super('import', __dirname, 'importWorker', onChange);
  }

  start(options: Omit<ImportOptions, 'dataDir'>): ImportJob {
    return this.launch({ ...options, dataDir: this.dataDir }, (id) => ({
      id,
      source: options.source,
      state: 'running',
      progress: null,
      summary: null,
      error: null,
    }));
  }
}
