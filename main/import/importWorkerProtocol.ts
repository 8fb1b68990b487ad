import type { StudioErrorPayload } from '../../shared/api/errors';
import type { RpcRequest, RpcResponse } from '../workers/rpcClient';
import type { ImportOptions, ImportProgress, ImportSummary } from './runImport';

/** How a run ended that did not fail: done with its summary, or cancelled (nothing added to the store). */
export type ImportOutcome = { outcome: 'done'; summary: ImportSummary } | { outcome: 'cancelled' };

/** The import worker's requests, on the shared request/response shape (`workers/rpcClient.ts`). */
export interface ImportOps {
  /** Runs one import; a failure answers with its StudioError payload (which names the bad file). */
  run: { args: ImportOptions; result: ImportOutcome };
  /** Asks a running import to stop; `run` then answers `cancelled`. */
  cancel: { args: null; result: null };
}

export type ImportEvent = { event: 'progress'; progress: ImportProgress };

export type ToImportWorker = RpcRequest<ImportOps>;
export type FromImportWorker = RpcResponse<StudioErrorPayload> | (ImportEvent & { id?: undefined });
