import { StudioError } from '../../shared/api/errors';
import type { RigConfig } from '../../shared/rig/rigConfig';
import { APP_VERSION } from '../appInfo';
import type { CycleRecord } from '../control/controlLoop';
import { createStderrLogger } from '../core/logger';
import { createDeviceRegistry } from '../devices/catalog';
import { createRigDevices, type RigDevices } from '../devices/rigDevices';
import { SimArm } from '../devices/sim/simArm';
import { systemClock } from '../devices/types';
import { Recorder } from '../recording/recorder';
import { RigTap, type RigTapOptions } from '../recording/rigTap';
import { startWriterThread, type WriterClient } from '../recording/writerClient';
import { openStore } from '../store/database';
import { liveWriterPids } from '../store/health';

/**
 * The simulated rig recorded headless, as the studio records it: its devices, the recording tap and
 * recorder on the store writer's thread, one session. Headless episode runners (the scripted expert, a
 * policy with foresight) feed it their control cycles; it starts, saves and discards episodes.
 */
export interface HeadlessRecordingOptions {
  dataDir: string;
  config: RigConfig;
  control_hz: number;
  operator: string;
  /** Append to this session instead of starting one. */
  resume?: number;
  /** What the tap records besides the rig's own streams (a scripted policy's phases, the action meaning). */
  tap: Pick<RigTapOptions, 'expert' | 'action_meta'>;
}

export class HeadlessRecording {
  private constructor(
    readonly devices: RigDevices,
    readonly arm: SimArm,
    readonly tap: RigTap,
    readonly recorder: Recorder,
    private readonly writer: WriterClient,
    readonly sessionId: number,
    private readonly control_hz: number,
  ) {}

  static async open(options: HeadlessRecordingOptions): Promise<HeadlessRecording> {
    const log = createStderrLogger('record');
    // Episodes left 'recording' by a process that died become 'interrupted' before anything new starts.
    const probe = openStore({ dataDir: options.dataDir, appVersion: APP_VERSION });
    const alive = liveWriterPids(probe.db);
    probe.close();
    const writer = startWriterThread({ dataDir: options.dataDir, appVersion: APP_VERSION });
    const recorder = new Recorder({ writer, clock: systemClock });
    let devices: RigDevices | undefined;
    try {
      const interrupted = await writer.call({ call: 'recoverInterrupted', alive });
      if (interrupted.length > 0)
        log.warn(
          `episodes ${interrupted.join(', ')} were interrupted by an earlier crash; keep or drop them with \`studio db save|discard ID\``,
        );
      devices = createRigDevices(options.config, createDeviceRegistry(), systemClock);
      await devices.connect();
      const arm = devices.arm;
      if (!(arm instanceof SimArm)) throw new StudioError({ code: 'internal', message: 'the sim rig did not create a sim-arm' });
      const tap = new RigTap(recorder, {
        control_hz: options.control_hz,
        arm,
        ...(devices.gripper !== undefined ? { gripper: devices.gripper } : {}),
        cameras: devices.cameras.map((device, i) => ({ device, config: options.config.cameras[i]! })),
        privileged: true,
        scene: () => arm.session.sceneDescription(),
        ...options.tap,
      });
      tap.attach();
      const config = options.config;
      const sessionId =
        options.resume ??
        (await recorder.startSession({
          operator: options.operator,
          rig_name: config.name,
          rig_config_json: JSON.stringify(config),
          app_version: APP_VERSION,
        }));
      if (options.resume !== undefined) await recorder.resumeSession(options.resume);
      return new HeadlessRecording(devices, arm, tap, recorder, writer, sessionId, options.control_hz);
    } catch (error) {
      recorder.dispose();
      await devices?.disconnect().catch(() => null);
      await writer.close();
      throw error;
    }
  }

  /** Starts an episode on the simulation's clock origin (sim time 0 is the observation before the first action). */
  startEpisode(episode: { task: string; tags: string[]; origin_ns?: bigint }): Promise<number> {
    return this.recorder.startEpisode({
      task: episode.task,
      target_fps_hz: this.control_hz,
      max_duration_s: 120,
      streams: this.tap.streams(),
      tags: episode.tags,
      ...(episode.origin_ns !== undefined ? { origin_ns: episode.origin_ns } : {}),
    });
  }

  async cycle(record: CycleRecord): Promise<void> {
    this.tap.recordCycleRecord(record);
    await this.recorder.tick();
  }

  /** Saves the episode with its outcome, or (null) discards it, once the tap has written everything. */
  async finishEpisode(outcome: 'success' | 'failure' | null): Promise<void> {
    await this.tap.idle();
    if (outcome === null) await this.recorder.discardEpisode();
    else await this.recorder.saveEpisode(outcome);
  }

  droppedSamples(): number {
    return Object.values(this.recorder.status().streams).reduce((n, s) => n + s.dropped, 0);
  }

  /** Ends the session; a recorder failure (disk full…) is thrown after everything is closed. */
  async close(): Promise<void> {
    let failure: StudioError | undefined;
    try {
      await this.recorder.endSession();
      const f = this.recorder.status().failure;
      if (f !== null)
        failure = new StudioError({ code: 'failed_precondition', message: f.message, ...(f.fix !== undefined ? { fix: f.fix } : {}) });
    } finally {
      this.recorder.dispose();
      await this.devices.disconnect();
      await this.writer.close();
    }
    if (failure !== undefined) throw failure;
  }

  /** Closes after a failure without masking it. */
  async abandon(): Promise<void> {
    this.recorder.dispose();
    await this.devices.disconnect().catch(() => null);
    await this.writer.close().catch(() => null);
  }
}
