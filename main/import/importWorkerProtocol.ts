import type { FromJobWorker, JobOps, JobOutcome, ToJobWorker } from '../workers/jobWorker';
import type { ImportOptions, ImportProgress, ImportSummary } from './runImport';

/** The import worker speaks the job-worker contract (`workers/jobWorker.ts`); a cancelled import added nothing. */
export type ImportOutcome = JobOutcome<ImportSummary>;
export type ImportOps = JobOps<ImportOptions, ImportSummary>;
export type ToImportWorker = ToJobWorker<ImportOptions, ImportSummary>;
export type FromImportWorker = FromJobWorker<ImportProgress>;
