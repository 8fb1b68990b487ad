import type { AppInfo, RigSnapshot } from '../../shared/api/contract';
import { StudioError } from '../../shared/api/errors';
import { APP_NAME, APP_VERSION } from '../appInfo';
import type { EventName } from '../../shared/api/contract';
import type { RpcOutcome } from '../../shared/api/transport';
import { StudioRouter, type CallContext, type Handlers } from '../api/router';
import { StreamHub, type StreamSink } from '../api/streamHub';
import { resolveRig } from '../config/loadRig';
import { openStore, type Store } from '../store/database';
import { EpisodeStore } from '../store/episodeStore';
import { ForesightStore } from '../store/foresightStore';
import { ForesightService } from '../runtime/foresightService';
import { RecordedObservations } from '../imagination/recordedObservations';
import { episodeHandlers } from '../api/handlers/episodes';
import { foresightHandlers, policyStatusPayload } from '../api/handlers/foresight';
import { exportHandlers, exportJobPayload } from '../api/handlers/export';
import { importHandlers, importJobPayload } from '../api/handlers/import';
import { statsHandlers } from '../api/handlers/stats';
import { liveHandlers } from '../api/handlers/live';
import { rigConfigHandlers } from '../api/handlers/rigConfig';
import { ExportService } from '../export/exportService';
import { ImportService } from '../import/importService';
import { systemClock } from '../devices/types';
import { RigRuntime } from '../runtime/rigRuntime';
import { EventBus } from './eventBus';
import { createStderrLogger, type Logger } from './logger';

export type FrontDoor = AppInfo['mode'];

export interface CoreOptions {
  dataDir: string;
  rigPath?: string | undefined;
  mode: FrontDoor;
  log?: Logger;
  /** Connect the rig's devices and start the control loop now (the app and web mode do; tests choose). */
  startRig?: boolean;
}

/** One UI connection (a WebSocket, an Electron window): its calls, its events, its stream sink. */
export interface ConnectionOptions {
  transport: CallContext['transport'];
  /** Where binary stream frames go; without one, `stream.subscribe` fails. */
  sink?: Omit<StreamSink, 'id'>;
  onEvent?: (name: EventName, payload: unknown) => void;
}

export interface CoreConnection {
  readonly id: string;
  call(method: unknown, params: unknown): Promise<RpcOutcome>;
  /** Drops the connection's stream subscriptions and event listener. */
  close(): void;
}

/**
 * The core: everything the studio does, in plain Node. The Electron shell, web mode and the CLI each
 * create one and talk to it only through its router, events and streams.
 */
export interface Core {
  readonly router: StudioRouter;
  readonly events: EventBus;
  readonly streams: StreamHub;
  readonly store: Store;
  /** The rig config in use (it changes when the user applies another). */
  readonly rig: RigSnapshot;
  readonly runtime: RigRuntime;
  readonly log: Logger;
  connect(options: ConnectionOptions): CoreConnection;
  /** Flushes and closes everything; idempotent. */
  close(): Promise<void>;
}

/** Composition root. Throws a StudioError naming the file and the fix if the rig or store cannot be opened. */
export function startCore(options: CoreOptions): Core {
  const log = options.log ?? createStderrLogger('core');
  const startedAtUnixMs = Date.now();
  const rig = resolveRig({ rigPath: options.rigPath, dataDir: options.dataDir });
  const store = openStore({ dataDir: options.dataDir, appVersion: APP_VERSION });
  const events = new EventBus();
  const streams = new StreamHub();
  const exports = new ExportService(options.dataDir, (job) => events.emit('export.progress', exportJobPayload(job)));
  const imports = new ImportService(options.dataDir, (job) => events.emit('import.progress', importJobPayload(job)));
  const runtime = new RigRuntime({ rig, dataDir: options.dataDir, appVersion: APP_VERSION, clock: systemClock, events, streams, log });
  const foresightStore = new ForesightStore(store.db);
  const foresight = new ForesightService({
    lifecycle: runtime.lifecycle,
    recording: runtime.recording,
    store: foresightStore,
    recorded: new RecordedObservations(store.db),
    dataDir: options.dataDir,
    log,
    emit: (status) => events.emit('foresight.policy', policyStatusPayload(status)),
  });

  const handlers: Handlers = {
    'app.info': () => ({
      name: APP_NAME,
      version: APP_VERSION,
      mode: options.mode,
      platform: `${process.platform}-${process.arch}`,
      node_version: process.versions.node,
      data_dir: options.dataDir,
      database_path: store.path,
      schema_version: store.schemaVersion,
      started_at_unix_ms: startedAtUnixMs,
    }),
    ...rigConfigHandlers(runtime, options.dataDir),
    'stream.subscribe': ({ stream }, context) => {
      const sink = sinks.get(context.connectionId);
      if (sink === undefined) {
        throw new StudioError({ code: 'failed_precondition', message: `connection ${context.connectionId} cannot receive streams` });
      }
      streams.subscribe(stream, sink);
      return { stream };
    },
    'stream.unsubscribe': ({ stream }, context) => {
      streams.unsubscribe(stream, context.connectionId);
      return { stream };
    },
    ...episodeHandlers(new EpisodeStore(store.db)),
    ...foresightHandlers(foresightStore, foresight),
    ...liveHandlers(runtime),
    ...exportHandlers(exports),
    ...importHandlers(imports),
    ...statsHandlers(store.db),
  };
  const sinks = new Map<string, StreamSink>();
  const router = new StudioRouter(handlers, log);
  let nextConnection = 1;

  const connect = (connection: ConnectionOptions): CoreConnection => {
    const id = `${connection.transport}-${nextConnection++}`;
    const context: CallContext = { transport: connection.transport, connectionId: id };
    const sink = connection.sink;
    if (sink !== undefined) sinks.set(id, { id, bufferedBytes: () => sink.bufferedBytes(), send: (bytes) => sink.send(bytes) });
    const unsubscribeEvents = connection.onEvent !== undefined ? events.subscribe(connection.onEvent) : undefined;
    return {
      id,
      call: (method, params) => router.dispatch(method, params, context),
      close() {
        unsubscribeEvents?.();
        sinks.delete(id);
        streams.removeSink(id);
      },
    };
  };

  let closing: Promise<void> | undefined;
  log.info(`core ready: data dir ${options.dataDir}, rig "${rig.config.name}" (${rig.source})`);
  if (options.startRig === true) void runtime.start();
  return {
    router,
    events,
    streams,
    store,
    get rig() {
      return runtime.rig;
    },
    runtime,
    log,
    connect,
    close() {
      closing ??= (async () => {
        events.emit('core.status', { state: 'stopping', message: 'the studio core is shutting down' });
        await foresight.close();
        await runtime.close();
        await exports.close();
        await imports.close();
        store.close();
        log.info('core closed');
      })();
      return closing;
    },
  };
}
