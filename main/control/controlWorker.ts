import { parentPort } from 'node:worker_threads';
import { systemClock } from '../devices/types';
import { ControlHost } from './controlHost';
import type { FromControl, ToControl } from './controlProtocol';
import { setThreadNice } from '../workers/threadPriority';

// The control worker: a thin message wrapper around ControlHost (built as out/main/controlWorker.js).
const port = parentPort;
if (port === null) throw new Error('main/control/controlWorker.ts must run in a worker thread');
// Ahead of everything else in the studio when the system allows it (CAP_SYS_NICE or RLIMIT_NICE).
const priority = setThreadNice(-10);
const host = new ControlHost((message: FromControl) => port.postMessage(message), systemClock, priority);
// The core terminates the worker once `stop` has answered (devices disconnected).
port.on('message', (message: ToControl) => host.handle(message));
