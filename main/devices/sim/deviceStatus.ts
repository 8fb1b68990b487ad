import { ModelLoadError } from '../../sim/modelLoader';
import type { DeviceStatus } from '../types';

/** Turns a sim failure into the status the UI and CLI show. */
export function simErrorStatus(error: Error): NonNullable<DeviceStatus['error']> {
  if (error instanceof ModelLoadError) {
    return {
      message: `MuJoCo cannot load the model: ${error.message}`,
      fix: 'Fix the named element in the MJCF file, or remove the sim-arm `model` option to use the built-in scene.',
    };
  }
  return { message: error.message, fix: 'Reconnect the sim devices to restart the simulation; if it happens again, report the message.' };
}
