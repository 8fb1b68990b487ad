import { RPC_RESULT_FRAME, resultFromFrame } from './binaryResult';
import { EVENT_NOTIFICATION, errorPayloadOf } from './jsonRpc';
import { decodeStreamFrame, type StreamFrame } from './streamFrame';
import type { ConnectionState, RpcOutcome, StudioTransport, Unsubscribe } from './transport';

// Handlers as methods compare bivariantly, so both the DOM's and `ws`'s event types fit.
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the WebSocket API shared by browsers and the `ws` package. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
}

export interface WsTransportOptions {
  url: string;
  createSocket: (url: string) => WebSocketLike;
  /** A call with no answer within this time fails with `unavailable`. */
  requestTimeoutMs?: number;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Called with each frame that fails to decode; the connection stays up. */
  onProtocolError?: (error: Error) => void;
}

const OPEN = 1;

interface Pending {
  resolve: (outcome: RpcOutcome) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * StudioApi over WebSocket: JSON-RPC 2.0 text frames for calls and events, binary frames for streams
 * and for results that hold bytes (`rpc.result`, shared/api/binaryResult.ts).
 */
export function createWsTransport(options: WsTransportOptions): StudioTransport {
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const initialDelayMs = options.reconnectInitialDelayMs ?? 250;
  const maxDelayMs = options.reconnectMaxDelayMs ?? 5_000;

  const eventListeners = new Set<(name: string, payload: unknown) => void>();
  const frameListeners = new Set<(frame: StreamFrame) => void>();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  const pending = new Map<number, Pending>();
  const queued: string[] = [];
  let nextId = 1;
  let state: ConnectionState = 'connecting';
  let socket: WebSocketLike | null = null;
  let closed = false;
  let reconnectDelayMs = initialDelayMs;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  const setState = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    for (const listener of stateListeners) listener(next);
  };

  const failAllPending = (message: string) => {
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer);
      pending.delete(id);
      entry.resolve({ ok: false, error: { code: 'unavailable', message, fix: 'Check that the studio core is running.' } });
    }
    queued.length = 0;
  };

  const settle = (id: unknown, outcome: RpcOutcome) => {
    if (typeof id !== 'number') return;
    const entry = pending.get(id);
    if (entry === undefined) return;
    pending.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(outcome);
  };

  const handleText = (text: string) => {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      options.onProtocolError?.(new Error(`core sent invalid JSON: ${(error as Error).message}`));
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const { id, method, params, result, error } = message as Record<string, unknown>;
    if (method === EVENT_NOTIFICATION && typeof params === 'object' && params !== null) {
      const { name, payload } = params as { name?: unknown; payload?: unknown };
      if (typeof name === 'string') for (const listener of eventListeners) listener(name, payload);
      return;
    }
    settle(id, error !== undefined ? { ok: false, error: errorPayloadOf(error) } : { ok: true, result });
  };

  const handleBinary = (bytes: Uint8Array) => {
    let frame: StreamFrame;
    let answer: { id: number | string; result: unknown } | undefined;
    try {
      frame = decodeStreamFrame(bytes);
      if (frame.stream === RPC_RESULT_FRAME) answer = resultFromFrame(frame);
    } catch (error) {
      options.onProtocolError?.(error as Error);
      return;
    }
    if (answer !== undefined) settle(answer.id, { ok: true, result: answer.result });
    else for (const listener of frameListeners) listener(frame);
  };

  const connect = () => {
    if (closed) return;
    setState('connecting');
    const ws = options.createSocket(options.url);
    socket = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      reconnectDelayMs = initialDelayMs;
      setState('connected');
      for (const text of queued.splice(0)) ws.send(text);
    };
    ws.onmessage = (event) => {
      const { data } = event;
      if (typeof data === 'string') handleText(data);
      else if (data instanceof ArrayBuffer) handleBinary(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) handleBinary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    };
    ws.onerror = () => {
      // A close event always follows; reconnection is handled there.
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      failAllPending(`connection to the studio core closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
      setState('disconnected');
      if (closed) return;
      reconnectTimer = setTimeout(connect, reconnectDelayMs);
      reconnectDelayMs = Math.min(maxDelayMs, reconnectDelayMs * 2);
    };
  };

  connect();

  return {
    request(method, params) {
      if (closed) {
        return Promise.resolve({ ok: false, error: { code: 'unavailable', message: 'the StudioApi client was closed' } });
      }
      const id = nextId++;
      const text = JSON.stringify({ jsonrpc: '2.0', id, method, params });
      return new Promise<RpcOutcome>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({
            ok: false,
            error: { code: 'unavailable', message: `no answer from the studio core to ${method} within ${requestTimeoutMs} ms` },
          });
        }, requestTimeoutMs);
        pending.set(id, { resolve, timer });
        if (socket !== null && socket.readyState === OPEN) socket.send(text);
        else queued.push(text);
      });
    },
    onEvent(listener): Unsubscribe {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onStreamFrame(listener): Unsubscribe {
      frameListeners.add(listener);
      return () => frameListeners.delete(listener);
    },
    onConnectionChange(listener): Unsubscribe {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    connectionState: () => state,
    close() {
      closed = true;
      clearTimeout(reconnectTimer);
      failAllPending('the StudioApi client was closed');
      socket?.close(1000, 'client closed');
      socket = null;
      setState('disconnected');
    },
  };
}
