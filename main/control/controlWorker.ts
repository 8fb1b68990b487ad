import { parentPort } from 'node:worker_threads';
import { systemClock } from '../devices/types';
import { ControlHost } from './controlHost';
import type { FromControl, ToControl } from './controlProtocol';

// The control worker: a thin message wrapper around ControlHost (built as out/main/controlWorker.js).
const port = parentPort;
if (port === null) throw new Error('main/control/controlWorker.ts must run in a worker thread');
const host = new ControlHost((message: FromControl) => port.postMessage(message), systemClock);
// The core terminates the worker once `stop` has answered (devices disconnected).
port.on('message', (message: ToControl) => host.handle(message));
