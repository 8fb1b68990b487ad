import type { RigSnapshot, RigStatus } from '../../shared/api/contract';
import type { Subscription } from '../../shared/base/disposable';
import type { StreamHub } from '../api/streamHub';
import type { CycleRecord } from '../control/controlLoop';
import type { EventBus } from '../core/eventBus';
import type { Logger } from '../core/logger';
import type { Clock } from '../devices/types';
import { LiveFeed } from './liveFeed';
import { OperatorInput } from './operatorInput';
import { RecordingService } from './recordingService';
import { RigLifecycle } from './rigLifecycle';

export interface RigRuntimeOptions {
  rig: RigSnapshot;
  dataDir: string;
  appVersion: string;
  clock: Clock;
  events: EventBus;
  streams: StreamHub;
  log: Logger;
  /** Display rates for the UI: robot state and camera previews. */
  state_hz?: number;
  preview_hz?: number;
}

/**
 * The live rig inside the core, as a few services with one concern each, wired here:
 * - `lifecycle` (rigLifecycle.ts): start, stop, a new config, the e-stop latch; the control worker
 *   (arm, gripper, teleop devices and the control loop, off this thread), the cameras and, for a
 *   simulated rig, the world; each run's resources in one disposable store;
 * - `recording` (recordingService.ts): the writer, recorder and tap of each run; start, stop, save,
 *   discard, re-record; mapped teleop buttons; a take is kept when the e-stop latches or the rig stops;
 * - `feed` (liveFeed.ts): robot state events and camera previews at display rate;
 * - `input` (operatorInput.ts): held keys, a gamepad, the simulated world's reset.
 * One instance per core; `start()` and `stop()` can repeat.
 */
export class RigRuntime {
  readonly lifecycle: RigLifecycle;
  readonly recording: RecordingService;
  readonly feed: LiveFeed;
  readonly input: OperatorInput;

  constructor(options: RigRuntimeOptions) {
    const { rig, clock, events, log, streams } = options;
    this.lifecycle = new RigLifecycle({ rig, clock, events, log });
    this.recording = new RecordingService({
      lifecycle: this.lifecycle,
      dataDir: options.dataDir,
      appVersion: options.appVersion,
      clock,
      events,
      log,
    });
    this.feed = new LiveFeed({
      lifecycle: this.lifecycle,
      events,
      streams,
      ...(options.state_hz !== undefined ? { state_hz: options.state_hz } : {}),
      ...(options.preview_hz !== undefined ? { preview_hz: options.preview_hz } : {}),
    });
    this.input = new OperatorInput(this.lifecycle, clock);
  }

  /** The rig config in use (replaced by `lifecycle.apply`). */
  get rig(): RigSnapshot {
    return this.lifecycle.rig;
  }

  start(): Promise<RigStatus> {
    return this.lifecycle.start();
  }

  /** Every control cycle as the core receives it from the control worker (benchmarks, diagnostics). */
  onCycle(listener: (cycle: CycleRecord) => void): Subscription {
    return this.lifecycle.onCycle(listener);
  }

  /** Stops the rig, keeping a take in progress. */
  close(): Promise<void> {
    return this.lifecycle.close();
  }
}
