import type { CommitInfo, WriterCall, WriterFailure, WriterOp } from '../store/writeOps';
import type { RpcRequest, RpcResponse } from '../workers/rpcClient';

/**
 * The recording writer's protocol, on the shared request/response shape (`workers/rpcClient.ts`). The
 * writer applies messages strictly in order: samples and frames (`write`, fire-and-forget, one
 * transaction each), store calls (answered once everything sent before them is applied) and `close`
 * (answered once the store is closed). Everything is structured-clone safe, so the same messages go to
 * the writer thread or to an in-thread writer.
 */
export interface WriterOps {
  call: { args: WriterCall; result: unknown };
  /** Applies nothing more: closes the store (WAL checkpointed) and answers. Never lands mid-transaction. */
  close: { args: null; result: null };
}

/** Samples and frames, fire-and-forget. */
export interface WriteMessage {
  id?: undefined;
  op: 'write';
  ops: WriterOp[];
}

export type ToWriter = RpcRequest<WriterOps> | WriteMessage;

/** What the writer says unasked: each commit, and a write failure after which it refuses samples. */
export type WriterEvent = { event: 'committed'; info: CommitInfo } | { event: 'fatal'; failure: WriterFailure };

export type FromWriter = RpcResponse<WriterFailure> | (WriterEvent & { id?: undefined });
