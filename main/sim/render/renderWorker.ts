import { parentPort } from 'node:worker_threads';
import { setThreadNice } from '../../workers/threadPriority';
import { RenderHost } from './renderHost';
import type { RenderRequest } from './renderProtocol';

// The sim's render worker: a thin message wrapper around RenderHost (built as out/main/renderWorker.js).
const port = parentPort;
if (port === null) throw new Error('main/sim/render/renderWorker.ts must run in a worker thread');
// Frames are the work that may wait: the physics and the control loop come first on a busy machine.
setThreadNice(10);
const host = new RenderHost((message, transfer) => port.postMessage(message, transfer ?? []));
port.on('message', (request: RenderRequest) => {
  void host.handle(request).then(() => {
    if (request.op === 'close') port.close();
  });
});
