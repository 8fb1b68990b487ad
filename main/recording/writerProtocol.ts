import type { CommitInfo, WriterCall, WriterFailure, WriterOp } from '../store/writeOps';

/** Messages between the recorder's writer client and the writer thread (or the inline writer loop). */
export type ToWriter =
  | { type: 'ops'; ops: WriterOp[] }
  | { type: 'call'; id: number; call: WriterCall }
  | { type: 'close' };

export type FromWriter =
  | { type: 'committed'; info: CommitInfo }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; failure: WriterFailure }
  | { type: 'fatal'; failure: WriterFailure }
  | { type: 'closed' };
