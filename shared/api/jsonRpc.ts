import { isStudioErrorCode, jsonRpcCodeOf, type StudioErrorPayload } from './errors';

/** JSON-RPC 2.0 messages as used by the WebSocket transport. Events are server notifications `event`. */
export interface RpcRequest {
  jsonrpc: '2.0';
  id: number | string;
  method: string;
  params?: unknown;
}
export interface RpcSuccess {
  jsonrpc: '2.0';
  id: number | string;
  result: unknown;
}
export interface RpcFailure {
  jsonrpc: '2.0';
  id: number | string | null;
  error: { code: number; message: string; data: StudioErrorPayload };
}
export interface RpcEventNotification {
  jsonrpc: '2.0';
  method: 'event';
  params: { name: string; payload: unknown };
}

export const EVENT_NOTIFICATION = 'event';

export function rpcFailure(id: number | string | null, error: StudioErrorPayload): RpcFailure {
  return { jsonrpc: '2.0', id, error: { code: jsonRpcCodeOf[error.code], message: error.message, data: error } };
}

/** Reads the named error back out of a JSON-RPC error object, tolerating peers that omit `data`. */
export function errorPayloadOf(error: unknown): StudioErrorPayload {
  if (typeof error === 'object' && error !== null) {
    const { message, data } = error as { message?: unknown; data?: unknown };
    if (typeof data === 'object' && data !== null && isStudioErrorCode((data as { code?: unknown }).code)) {
      return data as StudioErrorPayload;
    }
    return { code: 'internal', message: typeof message === 'string' ? message : 'unknown error from the core' };
  }
  return { code: 'internal', message: 'unknown error from the core' };
}
