import type { StudioErrorPayload } from '../../shared/api/errors';
import type { ExportProgress, ExportSummary } from './types';

export type ToExportWorker = { type: 'cancel' };

export type FromExportWorker =
  | { type: 'progress'; progress: ExportProgress }
  | { type: 'done'; summary: ExportSummary }
  | { type: 'cancelled' }
  | { type: 'failed'; error: StudioErrorPayload };
