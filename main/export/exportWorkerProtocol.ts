import type { FromJobWorker, JobOps, JobOutcome, ToJobWorker } from '../workers/jobWorker';
import type { ExportOptions, ExportProgress, ExportSummary } from './types';

/** The export worker speaks the job-worker contract (`workers/jobWorker.ts`); a cancelled export left nothing behind. */
export type ExportOutcome = JobOutcome<ExportSummary>;
export type ExportOps = JobOps<ExportOptions, ExportSummary>;
export type ToExportWorker = ToJobWorker<ExportOptions, ExportSummary>;
export type FromExportWorker = FromJobWorker<ExportProgress>;
