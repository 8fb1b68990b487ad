import { parentPort } from 'node:worker_threads';
import { SimHost } from './simHost';
import type { SimRequest } from './workerProtocol';

// The sim worker: a thin message wrapper around SimHost (built as out/main/simWorker.js).
const port = parentPort;
if (port === null) throw new Error('main/sim/worker.ts must run in a worker thread');
const host = new SimHost((message, transfer) => port.postMessage(message, transfer ?? []));
port.on('message', (request: SimRequest) => {
  void host.handle(request).then(() => {
    if (request.op === 'close') port.close();
  });
});
