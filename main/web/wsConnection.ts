import type { WebSocket } from 'ws';
import { encodeBinaryResult, hasBytes } from '../../shared/api/binaryResult';
import { StudioError } from '../../shared/api/errors';
import { EVENT_NOTIFICATION, rpcFailure, type RpcEventNotification } from '../../shared/api/jsonRpc';
import type { Core } from '../core/core';

/**
 * One WebSocket client: JSON-RPC 2.0 requests in, responses and event notifications out, stream frames
 * as binary; a result that holds bytes goes as one binary `rpc.result` frame (shared/api/binaryResult.ts).
 */
export function attachWsConnection(ws: WebSocket, core: Core): void {
  const connection = core.connect({
    transport: 'ws',
    sink: { bufferedBytes: () => ws.bufferedAmount, send: (bytes) => ws.send(bytes, { binary: true }) },
    onEvent: (name, payload) => {
      const notification: RpcEventNotification = { jsonrpc: '2.0', method: EVENT_NOTIFICATION, params: { name, payload } };
      ws.send(JSON.stringify(notification));
    },
  });

  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.send(JSON.stringify(rpcFailure(null, { code: 'invalid_request', message: 'the core accepts JSON-RPC text frames only' })));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch (error) {
      ws.send(JSON.stringify(rpcFailure(null, { code: 'parse_error', message: `not JSON: ${(error as Error).message}` })));
      return;
    }
    const request = message as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown } | null;
    const id = request !== null && (typeof request.id === 'number' || typeof request.id === 'string') ? request.id : null;
    if (request === null || typeof request !== 'object' || request.jsonrpc !== '2.0' || typeof request.method !== 'string' || id === null) {
      ws.send(
        JSON.stringify(
          rpcFailure(id, {
            code: 'invalid_request',
            message: 'expected a JSON-RPC 2.0 request: {"jsonrpc":"2.0","id":1,"method":"app.info","params":{}}',
          }),
        ),
      );
      return;
    }
    void connection.call(request.method, request.params).then((outcome) => {
      if (ws.readyState !== ws.OPEN) return;
      if (outcome.ok && hasBytes(outcome.result)) {
        let frame: Uint8Array;
        try {
          frame = encodeBinaryResult(id, outcome.result);
        } catch (error) {
          const payload =
            error instanceof StudioError
              ? error.toPayload()
              : { code: 'internal' as const, message: `${request.method} result could not be framed: ${(error as Error).message}` };
          ws.send(JSON.stringify(rpcFailure(id, payload)));
          return;
        }
        ws.send(frame, { binary: true });
        return;
      }
      ws.send(JSON.stringify(outcome.ok ? { jsonrpc: '2.0', id, result: outcome.result } : rpcFailure(id, outcome.error)));
    });
  });
  ws.on('close', () => connection.close());
  ws.on('error', () => connection.close());
}
