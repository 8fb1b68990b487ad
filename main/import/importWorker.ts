import { parentPort } from 'node:worker_threads';
import { StudioError } from '../../shared/api/errors';
import { ExportCancelled } from '../export/ffmpeg';
import type { FromImportWorker, ToImportWorker } from './importWorkerProtocol';
import { runImport } from './runImport';

// One import per worker thread (built to out/main/importWorker.js), started from the Episodes view:
// reading Parquet, decoding video and writing the staging store stay off the thread that serves the UI.
// The core ends the thread once `run` has answered.
const port = parentPort;
if (port === null) throw new Error('importWorker must run in a worker thread');
const post = (message: FromImportWorker) => port.postMessage(message);
const abort = new AbortController();

port.on('message', (message: ToImportWorker) => {
  if (message.op === 'cancel') {
    abort.abort();
    post({ id: message.id, ok: true, result: null });
    return;
  }
  runImport(message.args, { signal: abort.signal, onProgress: (progress) => post({ event: 'progress', progress }) }).then(
    (summary) => post({ id: message.id, ok: true, result: { outcome: 'done', summary } }),
    (error: unknown) => {
      // runImport turns a failure after a cancel into ExportCancelled; the aborted check stays a safety net.
      if (error instanceof ExportCancelled || abort.signal.aborted) post({ id: message.id, ok: true, result: { outcome: 'cancelled' } });
      else if (error instanceof StudioError) post({ id: message.id, ok: false, error: error.toPayload() });
      else post({ id: message.id, ok: false, error: { code: 'internal', message: (error as Error)?.message ?? String(error) } });
    },
  );
});
