import type { StudioErrorPayload } from '../../shared/api/errors';
import type { RpcRequest, RpcResponse } from '../workers/rpcClient';
import type { ExportOptions, ExportProgress, ExportSummary } from './types';

/** How a run ended that did not fail: done with its summary, or cancelled (nothing left behind). */
export type ExportOutcome = { outcome: 'done'; summary: ExportSummary } | { outcome: 'cancelled' };

/** The export worker's requests, on the shared request/response shape (`workers/rpcClient.ts`). */
export interface ExportOps {
  /** Runs one export; a failure answers with its StudioError payload. */
  run: { args: ExportOptions; result: ExportOutcome };
  /** Asks a running export to stop; `run` then answers `cancelled`. */
  cancel: { args: null; result: null };
}

export type ExportEvent = { event: 'progress'; progress: ExportProgress };

export type ToExportWorker = RpcRequest<ExportOps>;
export type FromExportWorker = RpcResponse<StudioErrorPayload> | (ExportEvent & { id?: undefined });
