import type { RecordingStatus, RigSnapshot, RigStatus, RobotState } from '../../shared/api/contract';
import type { buttonActions } from '../../shared/rig/rigConfig';
import { StudioError } from '../../shared/api/errors';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { StreamHub } from '../api/streamHub';
import { ControlClient } from '../control/controlClient';
import type { CycleRecord } from '../control/controlLoop';
import type { ControlEvent, ControlSnapshot, ControlStarted } from '../control/controlProtocol';
import { RemoteArm, RemoteGripper } from '../control/remoteDevices';
import type { EventBus } from '../core/eventBus';
import type { Logger } from '../core/logger';
import { createDeviceRegistry } from '../devices/catalog';
import type { GamepadSample } from '../devices/gamepad/gamepadTeleop';
import { createRigCameras, type DeviceSet } from '../devices/rigDevices';
import { simSessionFor } from '../devices/sim/register';
import type { SimSession } from '../devices/sim/simSession';
import type { Camera, CameraFrame, Clock } from '../devices/types';
import { Recorder, type Outcome } from '../recording/recorder';
import { RigTap } from '../recording/rigTap';
import { startWriterThread, type WriterClient } from '../recording/writerClient';
import { CUBE_HALF_M } from '../sim/pickPlaceTask';
import { recordingRefusedWhileEstopped } from './estopGuard';

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

const ZERO3: [number, number, number] = [0, 0, 0];

/** What a running rig is made of, on the core's side of the control worker. */
interface LiveRig {
  /** The simulated world, for a sim rig: the core owns it (cameras, reset, ground truth). */
  sim: SimSession | undefined;
  control: ControlClient;
  started: ControlStarted;
  arm: RemoteArm;
  gripper: RemoteGripper | undefined;
  cameras: DeviceSet & { cameras: Camera[] };
}

/**
 * The live rig inside the core: the control worker (arm, gripper, teleop devices and the control loop,
 * off this thread so nothing here can delay a cycle), the cameras, the recorder wrapped around it all,
 * and the display-rate feeds for the UI (robot state events, camera preview frames). A simulated rig's
 * world runs in its own worker, owned here, with a port attached for the control worker. One instance
 * per core; `start()` and `stop()` can repeat.
 */
export class RigRuntime {
  private state: RigStatus['state'] = 'stopped';
  private error: RigStatus['error'];
  private live: LiveRig | undefined;
  private snapshot: ControlSnapshot | undefined;
  /** The control worker, as soon as it exists (before the rest of the rig is up). */
  private controlClient: ControlClient | undefined;
  /** The operator's e-stop, kept across restarts and config changes until released. */
  private estopLatched = false;
  /** A take being stopped because the e-stop latched mid-take (shared by every path that notices). */
  private estopStopping: Promise<void> | undefined;
  private tearing: Promise<void> | undefined;
  private recorder: Recorder | undefined;
  private writer: WriterClient | undefined;
  private tap: RigTap | undefined;
  private lastCycle: CycleRecord | undefined;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly unsubscribes: (() => void)[] = [];
  private readonly lastPreviewNs = new Map<string, bigint>();
  private starting: Promise<RigStatus> | undefined;
  private readonly cycleListeners = new Set<(cycle: CycleRecord) => void>();

  private rigSnapshot: RigSnapshot;

  constructor(private readonly options: RigRuntimeOptions) {
    this.rigSnapshot = options.rig;
  }

  /** The rig config in use (replaced by `apply`). */
  get rig(): RigSnapshot {
    return this.rigSnapshot;
  }

  /** Stops the rig, switches to `rig` and starts again if it was running (or had failed). */
  async apply(rig: RigSnapshot): Promise<RigStatus> {
    const wasStopped = this.state === 'stopped';
    await this.stop();
    this.rigSnapshot = rig;
    return wasStopped ? this.status() : this.start();
  }

  get simulated(): boolean {
    return this.rig.config.arm.type === 'sim-arm';
  }

  status(): RigStatus {
    const live = this.live;
    const stats = this.snapshot?.stats;
    const reports = new Map((this.snapshot?.devices ?? []).map((report) => [report.name, report]));
    const controlDevices = live === undefined ? [] : [live.started.arm, ...(live.started.gripper !== null ? [live.started.gripper] : [])];
    const statusOf = (info: { name: string; kind: RigStatus['devices'][number]['kind']; type: string }) => {
      const report = reports.get(info.name);
      return { name: info.name, kind: info.kind, type: info.type, connected: report?.connected ?? true, ...(report?.error !== undefined ? { error: report.error } : {}) };
    };
    return {
      state: this.state,
      ...(this.error !== undefined ? { error: this.error } : {}),
      simulated: this.simulated,
      devices: [
        ...controlDevices.map(statusOf),
        ...(live?.cameras.cameras ?? []).map((device) => {
          const status = device.status();
          const connectError = live?.cameras.connectError(device);
          const error = status.error ?? connectError;
          return { name: device.name, kind: device.kind, type: device.type, connected: status.connected && connectError === undefined, ...(error !== undefined ? { error } : {}) };
        }),
        ...(live?.started.teleop ?? []).map(statusOf),
      ],
      control: {
        rate_hz: live?.started.rate_hz ?? 0,
        // The latch, not just the worker's last word: an e-stop pressed before the control worker exists
        // (or while the rig is stopped) is already in force for the next start, so it shows as latched.
        estopped: this.estopLatched,
        fault: this.snapshot?.fault ?? null,
        cycles: stats?.cycles ?? 0,
        jitter_ms_p99: stats?.jitter_ms_p99 ?? 0,
        overruns: stats?.overruns ?? 0,
      },
    };
  }

  /** Every control cycle as the core receives it from the control worker (benchmarks, diagnostics). */
  onCycle(listener: (cycle: CycleRecord) => void): () => void {
    this.cycleListeners.add(listener);
    return () => this.cycleListeners.delete(listener);
  }

  start(): Promise<RigStatus> {
    if (this.state === 'running') return Promise.resolve(this.status());
    // A teardown still releasing the last rig (after a failure) finishes first.
    this.starting ??= (this.tearing ?? Promise.resolve())
      .then(() => this.doStart())
      .finally(() => {
        this.starting = undefined;
      });
    return this.starting;
  }

  private async doStart(): Promise<RigStatus> {
    const { clock, log } = this.options;
    const rig = this.rig;
    this.state = 'starting';
    this.error = undefined;
    this.emitStatus();
    let sim: SimSession | undefined;
    let control: ControlClient | undefined;
    let cameras: (DeviceSet & { cameras: Camera[] }) | undefined;
    try {
      // A simulated world first: the control worker and the cameras both attach to it.
      let simPort: MessagePort | undefined;
      if (this.simulated) {
        sim = simSessionFor(rig.config.arm, clock);
        await sim.acquire();
        const channel = new MessageChannel();
        await sim.attach(channel.port1);
        simPort = channel.port2;
      }
      control = new ControlClient();
      const client = control;
      // From here an e-stop reaches the worker even while the rest of the rig is still starting.
      this.controlClient = client;
      client.onFailure((error) => this.controlFailed(client, error));
      // Events that arrive before the rig is wired up (warnings, mapped buttons, first states) wait.
      const early: ControlEvent[] = [];
      let wired = false;
      this.unsubscribes.push(client.onEvent((event) => (wired ? this.onControlEvent(event) : early.push(event))));
      const started = await client.request(
        'start',
        { rig: rig.config, wake: client.wake, estopped: this.estopLatched, ...(simPort !== undefined ? { sim_port: simPort } : {}) },
        simPort !== undefined ? [simPort] : [],
      );
      cameras = createRigCameras(rig.config, createDeviceRegistry(), clock, sim !== undefined ? { sim } : {});
      await cameras.connect();
      if (client.failed !== undefined) throw client.failed;
      const arm = new RemoteArm(started.arm);
      const gripper = started.gripper === null ? undefined : new RemoteGripper(started.gripper);
      this.live = { sim, control, started, arm, gripper, cameras };
      this.applySnapshot(started.snapshot);
      wired = true;
      for (const event of early.splice(0)) this.onControlEvent(event);
      this.writer = startWriterThread({ dataDir: this.options.dataDir, appVersion: this.options.appVersion });
      const recorder = new Recorder({ writer: this.writer, clock });
      this.recorder = recorder;
      const simWorld = sim;
      const tap = new RigTap(recorder, {
        control_hz: started.rate_hz,
        arm,
        ...(gripper !== undefined ? { gripper } : {}),
        cameras: cameras.cameras.map((device, i) => ({ device, config: rig.config.cameras[i]! })),
        privileged: this.simulated,
        ...(simWorld !== undefined ? { scene: () => simWorld.sceneDescription() } : {}),
      });
      this.tap = tap;
      tap.attach();
      this.unsubscribes.push(recorder.onStatus(() => this.emitRecording()), ...cameras.cameras.map((camera) => camera.onFrame((frame) => this.preview(frame))));
      this.timers.push(setInterval(() => this.emitRobotState(), 1000 / (this.options.state_hz ?? 30)));
      this.timers.push(
        setInterval(() => {
          if (this.recorder?.status().phase === 'recording' || this.recorder?.status().phase === 'resetting') this.emitRecording();
        }, 250),
      );
      this.state = 'running';
      log.info(`rig "${rig.config.name}" running: ${this.status().devices.length} devices, control at ${started.rate_hz} Hz in its worker`);
    } catch (error) {
      const studioError = error instanceof StudioError ? error : undefined;
      this.state = 'failed';
      this.error = { message: (error as Error).message, ...(studioError?.fix !== undefined ? { fix: studioError.fix } : {}) };
      log.error('the rig failed to start', error);
      if (this.live === undefined) {
        // Nothing is wired up yet: release what was made so far here.
        this.controlClient = undefined;
        await control?.close().catch(() => undefined);
        await cameras?.disconnect();
        await sim?.release().catch(() => undefined);
      }
      await this.teardown();
    }
    this.emitStatus();
    return this.status();
  }

  /**
   * The control worker died under a running rig: the arm is no longer driven, so say so and stop.
   * (While starting, the start itself sees the failure and reports it.)
   */
  private controlFailed(client: ControlClient, error: Error): void {
    if (this.live?.control !== client || this.state !== 'running') return;
    this.options.log.error('the control worker failed', error);
    this.state = 'failed';
    this.error = { message: error.message, fix: 'Restart the rig (rig.start); if it happens again, check the log for the device that failed.' };
    void this.teardown().then(() => this.emitStatus());
  }

  private onControlEvent(event: ControlEvent): void {
    const live = this.live;
    if (live === undefined) return;
    switch (event.event) {
      case 'arm':
        live.arm.receive(event.state);
        return;
      case 'gripper':
        live.gripper?.receive(event.state);
        return;
      case 'cycle':
        this.onCycleRecord(event.record);
        return;
      case 'snapshot': {
        const changed = event.snapshot.estopped !== this.snapshot?.estopped;
        this.applySnapshot(event.snapshot);
        if (changed) this.emitStatus();
        // Latched in the worker (a mapped device button, a device fault): a take in progress stops.
        if (changed && event.snapshot.estopped) void this.stopTakeForEstop();
        return;
      }
      case 'action':
        void this.runAction(event.action).catch((error: Error) => this.options.log.warn(`${event.device} ${event.button} → ${event.action}: ${error.message}`));
        return;
      case 'log':
        if (event.level === 'warn') this.options.log.warn(event.message);
        else this.options.log.info(event.message);
        return;
    }
  }

  private applySnapshot(snapshot: ControlSnapshot): void {
    this.snapshot = snapshot;
    this.estopLatched = snapshot.estopped;
    const live = this.live;
    if (live === undefined) return;
    for (const report of snapshot.devices) {
      const status = { connected: report.connected, ...(report.error !== undefined ? { error: report.error } : {}) };
      if (report.name === live.arm.name) live.arm.setStatus(status);
      if (report.name === live.gripper?.name) live.gripper.setStatus(status);
    }
  }

  async stop(): Promise<RigStatus> {
    // A start still connecting devices finishes first, so nothing it creates outlives the stop.
    if (this.starting !== undefined) await this.starting;
    if (this.tearing !== undefined) await this.tearing;
    if (this.recorder !== undefined) await this.keepTake(this.recorder, this.tap);
    await this.teardown();
    this.state = 'stopped';
    this.emitStatus();
    return this.status();
  }

  /**
   * The rig stops (rig.stop, rig.apply, the studio closing) under a take that is recording or waiting
   * to be saved: it is kept, saved with outcome `unknown` and the tag `stop_reason:…`, like a take an
   * e-stop stopped. Only the operator throws a take away.
   */
  private async keepTake(recorder: Recorder, tap: RigTap | undefined): Promise<void> {
    try {
      if (recorder.status().phase === 'recording') await recorder.stopEpisode('rig_stopped');
      await tap?.idle();
      const kept = await recorder.keepEpisode('rig_stopped');
      if (kept !== null) this.options.log.warn(`the rig stopped with episode ${kept} not yet saved: it is kept (saved, outcome unknown, tagged with its stop reason); label or delete it in Episodes`);
      await recorder.endSession();
    } catch (error) {
      this.options.log.error('keeping the take when the rig stopped failed (what was committed stays in the store and is recovered as interrupted)', error);
    }
  }

  /**
   * Releases everything the running rig holds. The fields are cleared at once, so a start that follows
   * builds on clean ground; `start()` and `stop()` wait for a teardown still in progress.
   */
  private teardown(): Promise<void> {
    const timers = this.timers.splice(0);
    const unsubscribes = this.unsubscribes.splice(0);
    const { live, tap, recorder, writer } = this;
    this.live = this.recorder = this.writer = this.tap = this.controlClient = undefined;
    this.snapshot = undefined;
    const work = (async () => {
      for (const timer of timers) clearInterval(timer);
      for (const off of unsubscribes) off();
      // The arm stops being driven first; then the recording is flushed; then the cameras and the world.
      await live?.control.close().catch(() => undefined);
      tap?.detach();
      await tap?.idle();
      recorder?.dispose();
      await writer?.close().catch(() => undefined);
      await live?.cameras.disconnect();
      await live?.sim?.release().catch(() => undefined);
    })();
    const tearing = (this.tearing = work.finally(() => {
      if (this.tearing === tearing) this.tearing = undefined;
    }));
    return tearing;
  }

  // ---- operator input ------------------------------------------------------------------------

  /** Held keys from the UI, stamped now; the control worker's keyboard device turns them into teleop. */
  teleopKeys(keys: readonly string[]): void {
    const { live } = this.need();
    if (!live.started.teleop.some((device) => device.type === 'keyboard')) throw new StudioError({ code: 'failed_precondition', message: 'the rig has no keyboard teleop device', fix: 'Add { "type": "keyboard" } to the rig config\'s "teleop" list.' });
    live.control.input({ input: 'keys', keys: [...keys], capture_ns: this.options.clock.now_ns() });
  }

  teleopGamepad(sample: GamepadSample): void {
    const { live } = this.need();
    if (!live.started.teleop.some((device) => device.type === 'gamepad')) throw new StudioError({ code: 'failed_precondition', message: 'the rig has no gamepad teleop device', fix: 'Add { "type": "gamepad" } to the rig config\'s "teleop" list.' });
    live.control.input({ input: 'gamepad', sample: { axes: [...sample.axes], buttons: [...sample.buttons] }, capture_ns: this.options.clock.now_ns() });
  }

  /**
   * Latches the e-stop. It reaches the control worker whenever one exists, even while the rig is still
   * starting; on a stopped rig it is remembered and the next start begins stopped.
   */
  async estop(): Promise<boolean> {
    this.estopLatched = true;
    const control = this.controlClient;
    if (control !== undefined && control.failed === undefined) this.applySnapshot(await control.request('estop', null));
    this.emitStatus();
    // Resolves once a take in progress is stopped, so the caller sees the recording already stopped.
    await this.stopTakeForEstop();
    return true;
  }

  /**
   * The e-stop latched while recording: the take stops where it is and is kept, waiting to be saved
   * or discarded like any stopped take (recording.status says `stop_reason: 'estop'`). Nothing
   * recorded is thrown away: what led up to an e-stop is often the most useful data a lab has.
   */
  private stopTakeForEstop(): Promise<void> {
    this.estopStopping ??= (async () => {
      const { recorder, tap } = this;
      if (recorder === undefined || tap === undefined || recorder.status().phase !== 'recording') return;
      const episode = recorder.status().episode_id;
      await recorder.stopEpisode('estop');
      await tap.idle();
      this.options.log.warn(`the e-stop latched during episode ${episode}: the take is stopped and kept; save or discard it`);
    })()
      .catch((error: Error) => this.options.log.error('stopping the take after the e-stop failed', error))
      .finally(() => {
        this.estopStopping = undefined;
      });
    return this.estopStopping;
  }

  async releaseEstop(): Promise<boolean> {
    const control = this.controlClient;
    if (control !== undefined && control.failed === undefined) this.applySnapshot(await control.request('release', null));
    else this.estopLatched = false;
    this.emitStatus();
    return false;
  }

  async simReset(seed: number): Promise<number> {
    const { live } = this.need();
    if (live.sim === undefined) throw new StudioError({ code: 'failed_precondition', message: 'sim.reset needs a simulated rig (arm type sim-arm)' });
    await live.sim.reset(seed);
    return seed;
  }

  // ---- recording -----------------------------------------------------------------------------

  recordingStatus(): RecordingStatus {
    const status = this.recorder?.status();
    const max = this.rig.config.recording.max_episode_s;
    if (status === undefined) {
      return { phase: 'idle', session_id: null, episode_id: null, saved_count: 0, task: '', elapsed_s: 0, max_duration_s: max, reset_remaining_s: null, stop_reason: null, streams: {}, durable_lag_ms: null, queued_ops: 0, failure: null };
    }
    return { ...status, max_duration_s: max, failure: status.failure === null ? null : { message: status.failure.message, ...(status.failure.fix !== undefined ? { fix: status.failure.fix } : {}) } };
  }

  async startRecording(task: string | undefined, operator: string | undefined): Promise<number> {
    const { recorder, tap } = this.need();
    // Refused here, in the core, so every caller (UI, web API, mapped device buttons) is refused alike.
    if (this.estopLatched) throw recordingRefusedWhileEstopped(this.snapshot?.fault ?? null);
    const { config } = this.rig;
    if (recorder.status().session_id === null) {
      await recorder.startSession({ operator: operator ?? '', rig_name: config.name, rig_config_json: JSON.stringify(config), app_version: this.options.appVersion });
    }
    const episode = await recorder.startEpisode({ task: task ?? config.recording.task, target_fps_hz: config.recording.fps_hz, max_duration_s: config.recording.max_episode_s, streams: tap.streams() });
    // An e-stop that latched while the episode was being created stops it at once (and keeps it).
    if (this.estopLatched) await this.stopTakeForEstop();
    this.emitRecording();
    return episode;
  }

  async stopRecording(): Promise<RecordingStatus> {
    const { recorder, tap } = this.need();
    await recorder.stopEpisode();
    await tap.idle();
    return this.recordingStatus();
  }

  async saveRecording(outcome: Outcome | undefined): Promise<number> {
    const { recorder, tap } = this.need();
    if (recorder.status().phase === 'recording') await recorder.stopEpisode();
    await tap.idle();
    const id = await recorder.saveEpisode(outcome ?? 'unknown');
    const reset = this.rig.config.recording.reset_s;
    if (reset > 0) recorder.startReset(reset);
    return id;
  }

  async discardRecording(): Promise<number> {
    const { recorder, tap } = this.need();
    await tap.idle();
    return recorder.discardEpisode();
  }

  async rerecord(): Promise<number> {
    const { recorder, tap } = this.need();
    // Checked before the discard: a refused re-record must not have thrown the old take away.
    if (this.estopLatched) throw recordingRefusedWhileEstopped(this.snapshot?.fault ?? null);
    await tap.idle();
    return recorder.rerecordEpisode();
  }

  async close(): Promise<void> {
    if (this.state !== 'stopped') await this.stop();
  }

  // ---- internals -----------------------------------------------------------------------------

  private need(): { live: LiveRig; recorder: Recorder; tap: RigTap } {
    if (this.state !== 'running' || this.live === undefined || this.recorder === undefined || this.tap === undefined) {
      throw new StudioError({
        code: 'failed_precondition',
        message: this.state === 'failed' ? `the rig is not running: ${this.error?.message ?? 'it failed to start'}` : `the rig is ${this.state}`,
        fix: this.error?.fix ?? 'Start the rig (rig.start), or check the Rig view for device errors.',
      });
    }
    return { live: this.live, recorder: this.recorder, tap: this.tap };
  }

  /** A mapped teleop button the control worker passed on (e-stops it handles itself). */
  private async runAction(action: (typeof buttonActions)[number]): Promise<void> {
    const phase = this.recorder?.status().phase;
    switch (action) {
      case 'estop':
        await this.estop();
        return;
      case 'release_estop':
        await this.releaseEstop();
        return;
      case 'toggle_recording':
        if (phase === 'recording') await this.stopRecording();
        else if (phase === 'idle' || phase === 'resetting') await this.startRecording(undefined, undefined);
        return;
      case 'save_success':
      case 'save_failure':
        await this.saveRecording(action === 'save_success' ? 'success' : 'failure');
        return;
      case 'discard':
        await this.discardRecording();
        return;
      case 'rerecord':
        await this.rerecord();
        return;
    }
  }

  private onCycleRecord(cycle: CycleRecord): void {
    this.lastCycle = cycle;
    for (const listener of this.cycleListeners) listener(cycle);
    const recorder = this.recorder;
    if (recorder === undefined) return;
    // The cycle carries the state, gripper intent and ground truth it used: nothing is re-joined here.
    this.tap?.recordCycleRecord(cycle);
    void recorder.tick().then((event) => {
      if (event !== null) this.emitRecording();
    });
  }

  private emitRobotState(): void {
    const live = this.live;
    const arm = live?.arm.latest();
    if (live === undefined || arm === undefined) return;
    const cycle = this.lastCycle;
    const privileged = live.sim?.latestPrivileged;
    const sent = cycle?.executed.sent;
    const state: RobotState = {
      t_ns: arm.capture_ns.toString(),
      q_rad: arm.q_rad,
      ee_position_m: arm.ee_position_m,
      ee_quaternion_wxyz: arm.ee_quaternion_wxyz,
      gripper_width_m: live.gripper?.latest()?.width_m ?? null,
      commanded_translation_m: sent?.kind === 'ee_delta' ? sent.translation_m : ZERO3,
      clip_reasons: cycle?.executed.clip_reasons ?? [],
      estopped: this.snapshot?.estopped ?? false,
      teleop_age_ms: cycle?.teleop_age_ms ?? null,
      objects: (privileged?.objects ?? []).map((object) => ({ name: object.name, position_m: object.position_m, quaternion_wxyz: object.quaternion_wxyz, rgb: object.rgb, size_m: 2 * CUBE_HALF_M })),
      target: privileged === undefined ? null : { center_m: privileged.target.center_m, half_extent_m: privileged.target.half_extent_m },
    };
    this.options.events.emit('robot.state', state);
  }

  /** Camera previews at display rate, only while a UI watches; the recorder gets every frame regardless. */
  private preview(frame: CameraFrame): void {
    const { streams } = this.options;
    if (!streams.hasSubscribers('camera.preview')) return;
    const minGap = BigInt(Math.round(1e9 / (this.options.preview_hz ?? 10)));
    const last = this.lastPreviewNs.get(frame.camera) ?? -minGap;
    if (frame.capture_ns - last < minGap) return;
    this.lastPreviewNs.set(frame.camera, frame.capture_ns);
    const header = { camera: frame.camera, width_px: frame.width_px, height_px: frame.height_px, capture_ns: frame.capture_ns.toString() };
    streams.publish('camera.preview', { ...header, encoding: 'rgb8' }, frame.rgb);
    if (frame.depth_mm !== undefined) {
      const depth = frame.depth_mm;
      streams.publish('camera.preview', { ...header, encoding: 'depth_mm16' }, new Uint8Array(depth.buffer, depth.byteOffset, depth.byteLength));
    }
  }

  private emitStatus(): void {
    this.options.events.emit('rig.status', this.status());
  }

  private emitRecording(): void {
    this.options.events.emit('recording.status', this.recordingStatus());
  }
}
