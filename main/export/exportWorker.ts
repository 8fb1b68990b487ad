import { parentPort } from 'node:worker_threads';
import { StudioError } from '../../shared/api/errors';
import { ExportCancelled } from './ffmpeg';
import { runExport } from './runExport';
import type { ExportSummary } from './types';
import { validateDataset } from './validate';
import type { FromExportWorker, ToExportWorker } from './exportWorkerProtocol';

// One export per worker thread (built to out/main/exportWorker.js): reading the store, Parquet and
// HDF5 encoding and statistics stay off the thread that serves the UI. The core ends the thread once
// `run` has answered.
const port = parentPort;
if (port === null) throw new Error('exportWorker must run in a worker thread');
const post = (message: FromExportWorker) => port.postMessage(message);
const abort = new AbortController();

port.on('message', (message: ToExportWorker) => {
  if (message.op === 'cancel') {
    abort.abort();
    post({ id: message.id, ok: true, result: null });
    return;
  }
  runExport(message.args, { signal: abort.signal, onProgress: (progress) => post({ event: 'progress', progress }) })
    .then(withValidation)
    .then(
      (summary) => post({ id: message.id, ok: true, result: { outcome: 'done', summary } }),
      (error: unknown) => {
        if (error instanceof ExportCancelled) post({ id: message.id, ok: true, result: { outcome: 'cancelled' } });
        else if (error instanceof StudioError) post({ id: message.id, ok: false, error: error.toPayload() });
        else post({ id: message.id, ok: false, error: { code: 'internal', message: (error as Error)?.message ?? String(error) } });
      },
    );
});

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
