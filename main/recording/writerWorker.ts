import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/database';
import { StoreWriter } from '../store/storeWriter';
import { WriterHost } from './writerClient';
import type { FromWriter, ToWriter } from './writerProtocol';

// Entry of the recording writer thread (built to out/main/recordingWriter.js). The core ends the
// thread once `close` has answered, i.e. after the store is closed.
const { dataDir, appVersion } = workerData as { dataDir: string; appVersion: string };
const port = parentPort;
if (port === null) throw new Error('writerWorker must run in a worker thread');

const store = openStore({ dataDir, appVersion });
const host = new WriterHost(
  new StoreWriter(store.db, store.path),
  () => store.close(),
  (message: FromWriter) => port.postMessage(message),
);
port.on('message', (message: ToWriter) => host.handle(message));
