import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/database';
import { StoreWriter } from '../store/storeWriter';
import { createWriterLoop } from './writerClient';
import type { FromWriter, ToWriter } from './writerProtocol';

// Entry of the recording writer thread (built to out/main/recordingWriter.js).
const { dataDir, appVersion } = workerData as { dataDir: string; appVersion: string };
const port = parentPort;
if (port === null) throw new Error('writerWorker must run in a worker thread');

const store = openStore({ dataDir, appVersion });
const post = (message: FromWriter) => port.postMessage(message);
const loop = createWriterLoop(new StoreWriter(store.db, store.path), post);

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    store.close();
    post({ type: 'closed' });
    port.close();
    return;
  }
  loop(message);
});
