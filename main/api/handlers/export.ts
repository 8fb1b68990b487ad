import type { ExportJob as ExportJobPayload } from '../../../shared/api/contract';
import type { ExportJob, ExportService } from '../../export/exportService';
import type { HandlerGroup } from './group';

/** The job as the UI sees it: the summary without per-episode details the page does not show. */
export function exportJobPayload(job: ExportJob): ExportJobPayload {
  const summary = job.summary;
  return {
    id: job.id,
    format: job.format,
    out: job.out,
    state: job.state,
    progress: job.progress,
    summary:
      summary === null
        ? null
        : {
            dry_run: summary.dry_run,
            fps: summary.fps,
            cameras: summary.cameras,
            episodes: summary.episodes.map((e) => ({
              id: e.id,
              task: e.task,
              outcome: e.outcome,
              split: e.split,
              frames: e.frames,
              duration_s: e.duration_s,
            })),
            total_frames: summary.total_frames,
            tasks: summary.tasks,
            bytes: summary.bytes,
            elapsed_s: summary.elapsed_s,
            real_time_factor: summary.real_time_factor,
            warnings: summary.warnings,
            validation: summary.validation ?? null,
          },
    error: job.error,
  };
}

export function exportHandlers(service: ExportService): HandlerGroup<'export'> {
  return {
    'export.start': (request) => exportJobPayload(service.start(request)),
    'export.cancel': ({ id }) => exportJobPayload(service.cancel(id)),
    'export.list': () => ({ exports: service.list().map(exportJobPayload) }),
  };
}
