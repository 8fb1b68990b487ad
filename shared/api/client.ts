import {
  methodNames,
  type EventName,
  type EventPayload,
  type MethodName,
  type ParamsIn,
  type Result,
  type StreamHeader,
  type StreamName,
} from './contract';
import { StudioError } from './errors';
import type { ConnectionState, StudioTransport, Unsubscribe } from './transport';

type NamespaceOf<M> = M extends `${infer N}.${string}` ? N : never;
type Namespace = NamespaceOf<MethodName>;
type Call<M extends MethodName> =
  Record<string, never> extends ParamsIn<M> ? (params?: ParamsIn<M>) => Promise<Result<M>> : (params: ParamsIn<M>) => Promise<Result<M>>;

/** `studio.api.rig.validate({ text })`: one function per contract method, grouped by namespace. */
export type StudioCalls = {
  [N in Namespace]: { [M in MethodName as M extends `${N}.${infer F}` ? F : never]: Call<M> };
};

export interface StreamMessage<S extends StreamName> {
  header: StreamHeader<S>;
  payload: Uint8Array;
}

export interface StudioClient {
  readonly api: StudioCalls;
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): Unsubscribe;
  /** Subscribes on the first handler and unsubscribes after the last; resubscribes after a reconnect. */
  onStream<S extends StreamName>(stream: S, handler: (message: StreamMessage<S>) => void): Unsubscribe;
  onConnectionChange(handler: (state: ConnectionState) => void): Unsubscribe;
  connectionState(): ConnectionState;
  close(): void;
}

export function createStudioClient(transport: StudioTransport): StudioClient {
  async function call(method: MethodName, params: unknown): Promise<unknown> {
    const outcome = await transport.request(method, params ?? {});
    if (!outcome.ok) throw StudioError.fromPayload(outcome.error);
    return outcome.result;
  }

  const api: Record<string, Record<string, (params?: unknown) => Promise<unknown>>> = {};
  for (const method of methodNames) {
    const dot = method.indexOf('.');
    const namespace = method.slice(0, dot);
    (api[namespace] ??= {})[method.slice(dot + 1)] = (params?: unknown) => call(method, params);
  }

  const streamHandlers = new Map<string, Set<(message: StreamMessage<StreamName>) => void>>();
  const subscribe = (stream: StreamName) => call('stream.subscribe', { stream });

  transport.onStreamFrame((frame) => {
    const handlers = streamHandlers.get(frame.stream);
    if (handlers === undefined) return;
    const message = { header: frame.header as StreamHeader<StreamName>, payload: frame.payload };
    for (const handler of handlers) handler(message);
  });
  transport.onConnectionChange((state) => {
    if (state !== 'connected') return;
    for (const stream of streamHandlers.keys()) void subscribe(stream as StreamName).catch(() => undefined);
  });

  return {
    api: api as unknown as StudioCalls,
    on(event, handler) {
      return transport.onEvent((name, payload) => {
        if (name === event) handler(payload as EventPayload<typeof event>);
      });
    },
    onStream(stream, handler) {
      let handlers = streamHandlers.get(stream);
      if (handlers === undefined) {
        handlers = new Set();
        streamHandlers.set(stream, handlers);
        if (transport.connectionState() === 'connected') void subscribe(stream).catch(() => undefined);
      }
      const entry = handler as (message: StreamMessage<StreamName>) => void;
      handlers.add(entry);
      return () => {
        handlers.delete(entry);
        if (handlers.size === 0 && streamHandlers.get(stream) === handlers) {
          streamHandlers.delete(stream);
          if (transport.connectionState() === 'connected') void call('stream.unsubscribe', { stream }).catch(() => undefined);
        }
      };
    },
    onConnectionChange: (handler) => transport.onConnectionChange(handler),
    connectionState: () => transport.connectionState(),
    close: () => transport.close(),
  };
}
