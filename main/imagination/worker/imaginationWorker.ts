import { parentPort } from 'node:worker_threads';
import { setThreadNice } from '../../workers/threadPriority';
import { ImaginationHost } from './imaginationHost';
import type { ToImagination } from './imaginationProtocol';

// The imagination worker (built as out/main/imaginationWorker.js): a thin message wrapper around
// ImaginationHost. Below the control loop and the recorder in priority: a preview may wait, a cycle not.
const port = parentPort;
if (port === null) throw new Error('main/imagination/worker/imaginationWorker.ts must run in a worker thread');
setThreadNice(5);
const host = new ImaginationHost((message, transfer) => port.postMessage(message, transfer));
port.on('message', (message: ToImagination) => host.handle(message));
