import { serveJob } from '../workers/jobWorker';
import { runExport } from './runExport';
import type { ExportOptions, ExportProgress, ExportSummary } from './types';
import { validateDataset } from './validate';

// One export per worker thread (built to out/main/exportWorker.js): reading the store, Parquet and
// HDF5 encoding and statistics stay off the thread that serves the UI.
serveJob<ExportOptions, ExportSummary, ExportProgress>('export', (options, handlers) => runExport(options, handlers).then(withValidation));

/**
 * Every export is validated where it was written, before the job reports done, so the page can say
 * "loads as LeRobot would load it" instead of leaving `studio export validate` to the user. A
 * validator that cannot run is a problem in the report, not a failed export: the files are complete.
 */
async function withValidation(summary: ExportSummary): Promise<ExportSummary> {
  if (summary.dry_run) return summary;
  const report = await validateDataset(summary.out);
  return {
    ...summary,
    validation: { ok: report.ok, episodes: report.episodes, frames: report.frames, problems: report.problems.slice(0, 20) },
  };
}
