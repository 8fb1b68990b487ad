import { serveJob } from '../workers/jobWorker';
import { runImport, type ImportOptions, type ImportProgress, type ImportSummary } from './runImport';

// One import per worker thread (built to out/main/importWorker.js), started from the Episodes view:
// reading Parquet, decoding video and writing the store stay off the thread that serves the UI.
serveJob<ImportOptions, ImportSummary, ImportProgress>('import', runImport);
