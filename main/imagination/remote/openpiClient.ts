import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { MsgpackNumpyError, describe, isPackMap, packb, unpackb, type PackMap, type PackValue } from './msgpackNumpy';
import { NdArray, type NumpyDtype } from './ndarray';
import { RemotePolicyError } from './remotePolicyError';
import { SocketFrames, type SocketEnd } from './socketFrames';

/**
 * A client of openpi's websocket policy server (openpi `src/openpi/serving/websocket_policy_server.py`,
 * whose Python client is openpi_client's `WebsocketClientPolicy`):
 * 1. the client opens a websocket (no compression); the server sends its metadata, a msgpack-numpy map,
 *    as the first frame;
 * 2. each request is one binary frame, a msgpack-numpy map (the observation); the reply is one binary
 *    frame, the policy's output map — `actions` [action_horizon, action_dim], often `state` and
 *    `policy_timing`, and the server's `server_timing` {infer_ms, prev_total_ms from the second reply on};
 * 3. when the policy raises, the server sends the traceback as a **text** frame and closes with 1011.
 * One request at a time per connection (calls here queue). A connection that timed out, failed or was
 * closed is dropped; the next request opens a new one (and receives the metadata again).
 */

export interface OpenPiConnectOptions {
  /** Websocket handshake plus the metadata frame (default 10 s). */
  timeout_ms?: number;
  /** Default wait for each reply (default 10 s; a server's first request may compile the model). */
  request_timeout_ms?: number;
  /** Sent as `Authorization: Api-Key …`, as openpi_client does. */
  api_key?: string;
  /** Largest frame accepted from the server (default 256 MiB). */
  max_frame_bytes?: number;
}

export interface OpenPiServerTiming {
  /** Time in `policy.infer` as the server measured it. */
  infer_ms: number;
  /** The previous request's whole cycle on the server (infer + send); absent on a connection's first reply. */
  prev_total_ms?: number;
}

export interface OpenPiReply {
  /** The action chunk, row-major [H, A], converted to float32 from whatever numeric dtype came. */
  actions: Float32Array;
  shape: [number, number];
  /** The dtype the server sent `actions` in. */
  actions_dtype: NumpyDtype;
  server_timing?: OpenPiServerTiming;
  /** The whole reply as decoded (other keys such as `state` or `policy_timing` included). */
  reply: PackMap;
  /** Send to reply, measured here. */
  round_trip_ms: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;

/** openpi_client accepts `host[:port]` as well as a URL; so does the studio. */
export function normalizePolicyUrl(url: string): string {
  const trimmed = url.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `ws://${trimmed}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new RemotePolicyError(
      'config',
      `"${url}" is not a policy server address`,
      'Give the server as ws://HOST:PORT (openpi serves on port 8000 by default), e.g. ws://gpu-box:8000.',
    );
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new RemotePolicyError(
      'config',
      `"${url}" is not a websocket address (${parsed.protocol.replace(':', '')})`,
      'openpi policy servers speak websocket: use ws://HOST:PORT (or wss:// behind TLS).',
    );
  }
  // `ws://host:8000/` reads as `ws://host:8000` in messages; any other path is kept as given.
  return parsed.pathname === '/' && parsed.search === '' && parsed.hash === '' ? parsed.href.slice(0, -1) : parsed.href;
}

const unreachableFix = (url: string): string =>
  `Start the policy server on its machine (openpi: \`uv run scripts/serve_policy.py …\`, port 8000 by default), check the host and port in the remote policy's url (${url}), and that the port is open to this machine.`;

function timingOf(value: PackValue | undefined): OpenPiServerTiming | undefined {
  if (!isPackMap(value) || typeof value.infer_ms !== 'number') return undefined;
  const timing: OpenPiServerTiming = { infer_ms: value.infer_ms };
  if (typeof value.prev_total_ms === 'number') timing.prev_total_ms = value.prev_total_ms;
  return timing;
}

/** The last non-empty line of a Python traceback: `ValueError: …`. */
function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines[lines.length - 1] ?? '(an empty error frame)';
}

/** `1011: reason`, plus the transport error when there was one (`1009; Max payload size exceeded`). */
function closeText(end: SocketEnd): string {
  return `${end.code}${end.reason !== '' ? `: ${end.reason}` : ''}${end.error !== undefined ? `; ${end.error.message}` : ''}`;
}

export class OpenPiClient {
  private target: { url: string; options: Required<Omit<OpenPiConnectOptions, 'api_key'>> & { api_key: string | undefined } } | undefined;
  private frames: SocketFrames | undefined;
  private serverMetadata: PackMap | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set by `abort` until the next `connect`: no request may reconnect behind a stop. */
  private aborted = false;

  /** The server's URL once `connect` was called. */
  get url(): string | undefined {
    return this.target?.url;
  }

  /** The metadata frame of the current (or last) connection. */
  get metadata(): PackMap | undefined {
    return this.serverMetadata;
  }

  /** A connection is open now (the next `infer` will not reconnect). */
  get connected(): boolean {
    return this.frames !== undefined && this.frames.ended === undefined;
  }

  /** Opens the connection and returns the server's metadata. An open connection is closed first. */
  connect(url: string, options: OpenPiConnectOptions = {}): Promise<PackMap> {
    const normalized = normalizePolicyUrl(url);
    return this.exclusive(async () => {
      this.drop();
      this.aborted = false;
      this.target = {
        url: normalized,
        options: {
          timeout_ms: options.timeout_ms ?? DEFAULT_TIMEOUT_MS,
          request_timeout_ms: options.request_timeout_ms ?? DEFAULT_TIMEOUT_MS,
          max_frame_bytes: options.max_frame_bytes ?? DEFAULT_MAX_FRAME_BYTES,
          api_key: options.api_key,
        },
      };
      return this.open();
    });
  }

  /**
   * Sends one observation and returns the action chunk. Reconnects first when the last connection
   * ended (server restart, an earlier timeout or error). Any failure is a RemotePolicyError; no partial
   * result is ever returned.
   */
  infer(observation: PackMap, options: { timeout_ms?: number } = {}): Promise<OpenPiReply> {
    return this.exclusive(async () => {
      const target = this.target;
      if (target === undefined)
        throw new RemotePolicyError('config', 'the remote policy is not connected', 'Call connect(url) before infer().');
      if (this.aborted) throw this.abortedError(target.url);
      let request: Uint8Array;
      try {
        request = packb(observation);
      } catch (error) {
        if (error instanceof MsgpackNumpyError)
          throw new RemotePolicyError(
            'config',
            `the observation cannot be sent: ${error.message}`,
            'Send numeric data as NdArray, text as strings, maps as plain objects.',
          );
        throw error;
      }
      if (!this.connected) await this.open();
      const frames = this.frames;
      if (frames === undefined) throw new Error('OpenPiClient: no connection after open');
      const timeout_ms = options.timeout_ms ?? target.options.request_timeout_ms;
      const started = performance.now();
      frames.socket.send(request, { binary: true });
      const outcome = await frames.next(timeout_ms);
      const round_trip_ms = performance.now() - started;
      switch (outcome.kind) {
        case 'timeout':
          // A reply may still come; it would answer this request, not the next. Drop the connection.
          this.drop();
          throw new RemotePolicyError(
            'timeout',
            `the policy server at ${target.url} did not reply within ${timeout_ms} ms; the connection was dropped and the next request opens a new one`,
            "Raise the remote policy's request timeout if the policy is this slow (a server's first request may compile the model), or check the policy server's machine.",
          );
        case 'end':
          this.drop();
          if (this.aborted) throw this.abortedError(target.url);
          throw new RemotePolicyError(
            'closed',
            `the connection to the policy server at ${target.url} ended before it replied (${closeText(outcome)})`,
            "Check the policy server's log; the next request reconnects.",
          );
        case 'text':
          this.drop();
          throw new RemotePolicyError(
            'server_error',
            `the policy server at ${target.url} failed: ${lastLine(outcome.text)}`,
            "The policy raised on this observation: see server_traceback (or the server's log); often a request key the policy expects is missing.",
            { server_traceback: outcome.text },
          );
        case 'binary':
          return this.replyOf(outcome.bytes, round_trip_ms);
      }
    });
  }

  /**
   * Ends the connection now, not after the request in flight (`close` waits its turn): a waiting
   * `infer` fails at once as `closed`, and so does every later one until `connect` is called again —
   * a stopped run's next request must not quietly reconnect and wait. For the e-stop and the operator's stop.
   */
  abort(): void {
    this.aborted = true;
    this.drop();
  }

  private abortedError(url: string): RemotePolicyError {
    return new RemotePolicyError(
      'closed',
      `the connection to the policy server at ${url} was ended by the studio (a stop or the e-stop) before it replied`,
      'Start the policy again: it connects anew.',
    );
  }

  /** Closes the connection (the server sees a normal close). */
  async close(): Promise<void> {
    await this.exclusive(async () => {
      const frames = this.frames;
      this.frames = undefined;
      if (frames === undefined || frames.ended !== undefined) return;
      frames.socket.close(1000, 'client closing');
      const outcome = await frames.next(1000);
      if (outcome.kind !== 'end') frames.socket.terminate();
    });
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private drop(): void {
    const frames = this.frames;
    this.frames = undefined;
    if (frames !== undefined && frames.ended === undefined) frames.socket.terminate();
  }

  /** Handshake, then the metadata frame, within `timeout_ms` altogether. */
  private async open(): Promise<PackMap> {
    const target = this.target;
    if (target === undefined) throw new Error('OpenPiClient.open before connect');
    const { url, options } = target;
    const deadline = performance.now() + options.timeout_ms;
    const socket = new WebSocket(url, {
      perMessageDeflate: false,
      maxPayload: options.max_frame_bytes,
      ...(options.api_key !== undefined ? { headers: { Authorization: `Api-Key ${options.api_key}` } } : {}),
    });
    const frames = new SocketFrames(socket);
    this.frames = frames;
    const opened = await frames.waitOpen(options.timeout_ms);
    if (opened === 'open') {
      // fall through to the metadata
    } else if (opened.kind === 'timeout') {
      this.drop();
      throw new RemotePolicyError(
        'timeout',
        `the policy server at ${url} did not complete the websocket handshake within ${options.timeout_ms} ms`,
        unreachableFix(url),
      );
    } else {
      this.drop();
      const why = opened.error?.message ?? `closed ${closeText(opened)}`;
      throw new RemotePolicyError('unreachable', `cannot reach the policy server at ${url} (${why})`, unreachableFix(url));
    }
    const first = await frames.next(Math.max(0, deadline - performance.now()));
    switch (first.kind) {
      case 'timeout':
        this.drop();
        throw new RemotePolicyError(
          'timeout',
          `the server at ${url} accepted the websocket but sent no metadata within ${options.timeout_ms} ms`,
          'openpi policy servers send their metadata right after the handshake: check that the URL points at one (scripts/serve_policy.py).',
        );
      case 'end':
        this.drop();
        throw new RemotePolicyError(
          'closed',
          `the policy server at ${url} closed the connection (${closeText(first)}) before sending its metadata`,
          "Check the policy server's log.",
        );
      case 'text':
        this.drop();
        throw new RemotePolicyError(
          'server_error',
          `the policy server at ${url} failed: ${lastLine(first.text)}`,
          "See server_traceback or the server's log.",
          { server_traceback: first.text },
        );
      case 'binary': {
        const metadata = this.decode(first.bytes, 'metadata');
        if (!isPackMap(metadata)) {
          this.drop();
          throw new RemotePolicyError(
            'malformed',
            `the metadata frame from ${url} is a ${describe(metadata)}, not a map`,
            'Check that the URL points at an openpi websocket policy server.',
          );
        }
        this.serverMetadata = metadata;
        return metadata;
      }
    }
  }

  private decode(bytes: Uint8Array, what: 'metadata' | 'reply'): PackValue {
    try {
      return unpackb(bytes);
    } catch (error) {
      if (!(error instanceof MsgpackNumpyError)) throw error;
      this.drop();
      throw new RemotePolicyError(
        'malformed',
        `the ${what} frame from ${this.target?.url ?? 'the policy server'} is not msgpack-numpy: ${error.message}`,
        'Check that the server packs with openpi_client.msgpack_numpy (the websocket policy server does); the next request reconnects.',
      );
    }
  }

  private replyOf(bytes: Uint8Array, round_trip_ms: number): OpenPiReply {
    const url = this.target?.url ?? 'the policy server';
    const reply = this.decode(bytes, 'reply');
    const fix =
      'The server must return the policy output as a map with `actions` of shape [action_horizon, action_dim], as openpi policies do.';
    if (!isPackMap(reply)) throw new RemotePolicyError('bad_reply', `the reply from ${url} is a ${describe(reply)}, not a map`, fix);
    const actions = reply.actions;
    if (actions === undefined)
      throw new RemotePolicyError(
        'bad_reply',
        `the reply from ${url} has no \`actions\` (keys: ${Object.keys(reply).join(', ') || 'none'})`,
        fix,
      );
    if (!(actions instanceof NdArray))
      throw new RemotePolicyError('bad_reply', `\`actions\` in the reply from ${url} is a ${describe(actions)}, not a numpy array`, fix);
    if (actions.shape.length !== 2)
      throw new RemotePolicyError(
        'bad_reply',
        `\`actions\` in the reply from ${url} has shape [${actions.shape.join(', ')}] (${actions.shape.length}-D), not [action_horizon, action_dim]`,
        fix,
      );
    if (actions.dtype === 'bool') throw new RemotePolicyError('bad_reply', `\`actions\` in the reply from ${url} is a bool array`, fix);
    const [H, A] = actions.shape as [number, number];
    const values =
      actions.data instanceof Float32Array ? actions.data : Float32Array.from(actions.data as ArrayLike<number | bigint>, Number);
    const result: OpenPiReply = { actions: values, shape: [H, A], actions_dtype: actions.dtype, reply, round_trip_ms };
    const server_timing = timingOf(reply.server_timing);
    if (server_timing !== undefined) result.server_timing = server_timing;
    return result;
  }
}
