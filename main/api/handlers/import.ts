import type { ImportJob as ImportJobPayload } from '../../../shared/api/contract';
import type { ImportJob, ImportService } from '../../import/importService';
import type { HandlerGroup } from './group';

/** The job as the UI sees it: the summary without the per-feature stream map the Episodes view does not show. */
export function importJobPayload(job: ImportJob): ImportJobPayload {
  const summary = job.summary;
  return {
    id: job.id,
    source: job.source,
    state: job.state,
    progress: job.progress,
    summary:
      summary === null
        ? null
        : {
            codebase_version: summary.codebase_version,
            fps: summary.fps,
            session_id: summary.session_id,
            episode_ids: summary.episode_ids,
            frames: summary.frames,
            elapsed_s: summary.elapsed_s,
            warnings: summary.warnings,
          },
    error: job.error,
  };
}

export function importHandlers(service: ImportService): HandlerGroup<'import'> {
  return {
    'import.start': ({ format, source, operator, tags }) =>
      importJobPayload(
        service.start({ format, source, ...(operator !== undefined ? { operator } : {}), ...(tags !== undefined ? { tags } : {}) }),
      ),
    'import.cancel': ({ id }) => importJobPayload(service.cancel(id)),
    'import.list': () => ({ imports: service.list().map(importJobPayload) }),
  };
}
