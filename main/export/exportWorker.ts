import { parentPort, workerData } from 'node:worker_threads';
import { StudioError } from '../../shared/api/errors';
import { ExportCancelled } from './ffmpeg';
import { runExport } from './runExport';
import type { ExportOptions } from './types';
import type { FromExportWorker, ToExportWorker } from './exportWorkerProtocol';

// One export per worker thread (built to out/main/exportWorker.js): reading the store, Parquet and
// HDF5 encoding and statistics stay off the thread that serves the UI.
const port = parentPort;
if (port === null) throw new Error('exportWorker must run in a worker thread');
const post = (message: FromExportWorker) => port.postMessage(message);
const abort = new AbortController();
port.on('message', (message: ToExportWorker) => {
  if (message.type === 'cancel') abort.abort();
});

runExport(workerData as ExportOptions, { signal: abort.signal, onProgress: (progress) => post({ type: 'progress', progress }) }).then(
  (summary) => post({ type: 'done', summary }),
  (error: unknown) => {
    if (error instanceof ExportCancelled) post({ type: 'cancelled' });
    else if (error instanceof StudioError) post({ type: 'failed', error: error.toPayload() });
    else post({ type: 'failed', error: { code: 'internal', message: (error as Error)?.message ?? String(error) } });
  },
).finally(() => port.close());
