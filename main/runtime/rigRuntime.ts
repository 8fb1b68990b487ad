import type { RecordingStatus, RigSnapshot, RigStatus, RobotState } from '../../shared/api/contract';
import type { buttonActions } from '../../shared/rig/rigConfig';
import { StudioError } from '../../shared/api/errors';
import type { StreamHub } from '../api/streamHub';
import { ControlLoop, type CycleRecord } from '../control/controlLoop';
import type { EventBus } from '../core/eventBus';
import type { Logger } from '../core/logger';
import { createDeviceRegistry } from '../devices/catalog';
import { GamepadTeleop, type GamepadSample } from '../devices/gamepad/gamepadTeleop';
import { KeyboardTeleop } from '../devices/keyboard/keyboardTeleop';
import { createRigDevices, type RigDevices } from '../devices/rigDevices';
import { SimArm } from '../devices/sim/simArm';
import type { CameraFrame, Clock, Teleop } from '../devices/types';
import { Recorder, type Outcome } from '../recording/recorder';
import { RigTap } from '../recording/rigTap';
import { startWriterThread, type WriterClient } from '../recording/writerClient';
import { CUBE_HALF_M } from '../sim/pickPlaceTask';
import { TeleopMux } from '../control/teleopMux';

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

/**
 * The live rig inside the core: devices from the rig config, the control loop driven by teleop, the
 * recorder wrapped around it, and the display-rate feeds for the UI (robot state events, camera
 * preview frames). One instance per core; `start()` and `stop()` can repeat.
 */
export class RigRuntime {
  private state: RigStatus['state'] = 'stopped';
  private error: RigStatus['error'];
  private devices: RigDevices | undefined;
  private loop: ControlLoop | undefined;
  private keyboard: KeyboardTeleop | undefined;
  private gamepad: GamepadTeleop | undefined;
  private recorder: Recorder | undefined;
  private writer: WriterClient | undefined;
  private tap: RigTap | undefined;
  private lastCycle: CycleRecord | undefined;
  private gripperIntent = 0;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly unsubscribes: (() => void)[] = [];
  private readonly lastPreviewNs = new Map<string, bigint>();
  private starting: Promise<RigStatus> | undefined;
  private readonly buttonsDown = new Map<Teleop, Record<string, boolean>>();

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
    const stats = this.loop?.stats();
    return {
      state: this.state,
      ...(this.error !== undefined ? { error: this.error } : {}),
      simulated: this.simulated,
      devices: (this.devices?.all() ?? []).map((device) => {
        const status = device.status();
        const error = status.error ?? this.devices?.connectError(device);
        return { name: device.name, kind: device.kind, type: device.type, connected: status.connected && this.devices?.connectError(device) === undefined, ...(error !== undefined ? { error } : {}) };
      }),
      control: {
        rate_hz: this.loop === undefined ? 0 : 1 / this.loop.period_s,
        estopped: this.loop?.isEstopped() ?? false,
        cycles: stats?.cycles ?? 0,
        jitter_ms_p99: stats?.jitter_ms_p99 ?? 0,
        overruns: stats?.overruns ?? 0,
      },
    };
  }

  start(): Promise<RigStatus> {
    if (this.state === 'running') return Promise.resolve(this.status());
    this.starting ??= this.doStart().finally(() => {
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
    try {
      const devices = createRigDevices(rig.config, createDeviceRegistry(), clock);
      this.devices = devices;
      await devices.connect();
      this.keyboard = devices.teleop.find((device): device is KeyboardTeleop => device instanceof KeyboardTeleop);
      this.gamepad = devices.teleop.find((device): device is GamepadTeleop => device instanceof GamepadTeleop);
      const teleop: Teleop = new TeleopMux(devices.teleop);
      const rate = typeof rig.config.arm.control_hz === 'number' ? rig.config.arm.control_hz : 100;
      const loop = new ControlLoop({ arm: devices.arm, ...(devices.gripper !== undefined ? { gripper: devices.gripper } : {}), teleop, safety: rig.config.safety, rate_hz: rate, clock });
      this.loop = loop;
      loop.onError = (error) => log.warn(`control cycle failed: ${error.message}`);
      this.writer = startWriterThread({ dataDir: this.options.dataDir, appVersion: this.options.appVersion });
      const recorder = new Recorder({ writer: this.writer, clock });
      this.recorder = recorder;
      const tap = new RigTap(recorder, {
        control_hz: rate,
        arm: devices.arm,
        ...(devices.gripper !== undefined ? { gripper: devices.gripper } : {}),
        cameras: devices.cameras.map((device, i) => ({ device, config: rig.config.cameras[i]! })),
        privileged: this.simulated,
        object_count: 1,
      });
      this.tap = tap;
      tap.attach();
      this.unsubscribes.push(
        loop.onCycle((cycle) => this.onCycle(cycle)),
        recorder.onStatus(() => this.emitRecording()),
        ...devices.cameras.map((camera) => camera.onFrame((frame) => this.preview(frame))),
      );
      loop.start();
      this.timers.push(setInterval(() => this.emitRobotState(), 1000 / (this.options.state_hz ?? 30)));
      this.timers.push(
        setInterval(() => {
          if (this.recorder?.status().phase === 'recording' || this.recorder?.status().phase === 'resetting') this.emitRecording();
        }, 250),
      );
      this.state = 'running';
      log.info(`rig "${rig.config.name}" running: ${devices.all().length} devices, control at ${rate} Hz`);
    } catch (error) {
      const studioError = error instanceof StudioError ? error : undefined;
      this.state = 'failed';
      this.error = { message: (error as Error).message, ...(studioError?.fix !== undefined ? { fix: studioError.fix } : {}) };
      log.error('the rig failed to start', error);
      await this.teardown();
    }
    this.emitStatus();
    return this.status();
  }

  async stop(): Promise<RigStatus> {
    // A start still connecting devices finishes first, so nothing it creates outlives the stop.
    if (this.starting !== undefined) await this.starting;
    if (this.recorder !== undefined) {
      const phase = this.recorder.status().phase;
      if (phase === 'recording') await this.recorder.stopEpisode();
      if (phase === 'recording' || phase === 'stopped') await this.recorder.discardEpisode().catch(() => undefined);
      await this.recorder.endSession().catch(() => undefined);
    }
    await this.teardown();
    this.state = 'stopped';
    this.emitStatus();
    return this.status();
  }

  private async teardown(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    for (const off of this.unsubscribes.splice(0)) off();
    this.loop?.stop();
    this.tap?.detach();
    await this.tap?.idle();
    this.recorder?.dispose();
    await this.writer?.close().catch(() => undefined);
    await this.devices?.disconnect();
    this.loop = this.recorder = this.writer = this.tap = this.keyboard = this.gamepad = undefined;
    this.devices = undefined;
  }

  // ---- operator input ------------------------------------------------------------------------

  teleopKeys(keys: readonly string[]): void {
    if (this.keyboard === undefined) throw new StudioError({ code: 'failed_precondition', message: 'the rig has no keyboard teleop device', fix: 'Add { "type": "keyboard" } to the rig config\'s "teleop" list.' });
    this.keyboard.setHeldKeys(keys, this.options.clock.now_ns());
    // Key presses can be shorter than a control cycle: look for mapped keys on every message too.
    this.checkButtons();
  }

  teleopGamepad(sample: GamepadSample): void {
    if (this.gamepad === undefined) throw new StudioError({ code: 'failed_precondition', message: 'the rig has no gamepad teleop device', fix: 'Add { "type": "gamepad" } to the rig config\'s "teleop" list.' });
    this.gamepad.setSample(sample, this.options.clock.now_ns());
    this.checkButtons();
  }

  async estop(): Promise<boolean> {
    const loop = this.need().loop;
    await loop.estop();
    this.emitStatus();
    return true;
  }

  releaseEstop(): boolean {
    this.need().loop.releaseEstop();
    this.emitStatus();
    return false;
  }

  async simReset(seed: number): Promise<number> {
    const { devices } = this.need();
    if (!(devices.arm instanceof SimArm)) throw new StudioError({ code: 'failed_precondition', message: 'sim.reset needs a simulated rig (arm type sim-arm)' });
    await devices.arm.session.reset(seed);
    return seed;
  }

  // ---- recording -----------------------------------------------------------------------------

  recordingStatus(): RecordingStatus {
    const status = this.recorder?.status();
    const max = this.rig.config.recording.max_episode_s;
    if (status === undefined) {
      return { phase: 'idle', session_id: null, episode_id: null, saved_count: 0, task: '', elapsed_s: 0, max_duration_s: max, reset_remaining_s: null, streams: {}, durable_lag_ms: null, queued_ops: 0, failure: null };
    }
    return { ...status, max_duration_s: max, failure: status.failure === null ? null : { message: status.failure.message, ...(status.failure.fix !== undefined ? { fix: status.failure.fix } : {}) } };
  }

  async startRecording(task: string | undefined, operator: string | undefined): Promise<number> {
    const { recorder, tap } = this.need();
    const { config } = this.rig;
    if (recorder.status().session_id === null) {
      await recorder.startSession({ operator: operator ?? '', rig_name: config.name, rig_config_json: JSON.stringify(config), app_version: this.options.appVersion });
    }
    const episode = await recorder.startEpisode({ task: task ?? config.recording.task, target_fps_hz: config.recording.fps_hz, max_duration_s: config.recording.max_episode_s, streams: tap.streams() });
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
    await tap.idle();
    return recorder.rerecordEpisode();
  }

  async close(): Promise<void> {
    if (this.state !== 'stopped') await this.stop();
  }

  // ---- internals -----------------------------------------------------------------------------

  private need(): { devices: RigDevices; loop: ControlLoop; recorder: Recorder; tap: RigTap } {
    if (this.state !== 'running' || this.devices === undefined || this.loop === undefined || this.recorder === undefined || this.tap === undefined) {
      throw new StudioError({
        code: 'failed_precondition',
        message: this.state === 'failed' ? `the rig is not running: ${this.error?.message ?? 'it failed to start'}` : `the rig is ${this.state}`,
        fix: this.error?.fix ?? 'Start the rig (rig.start), or check the Rig view for device errors.',
      });
    }
    return { devices: this.devices, loop: this.loop, recorder: this.recorder, tap: this.tap };
  }

  /** Rising edges of mapped teleop buttons become studio actions (e.g. a SpaceMouse button as e-stop). */
  private checkButtons(): void {
    const devices = this.devices;
    if (devices === undefined) return;
    devices.teleop.forEach((device, i) => {
      const actions = this.rig.config.teleop[i]?.button_actions;
      const buttons = device.latest()?.buttons;
      if (actions === undefined || buttons === undefined) return;
      const before = this.buttonsDown.get(device) ?? {};
      this.buttonsDown.set(device, { ...buttons });
      for (const [button, action] of Object.entries(actions)) {
        if (buttons[button] === true && before[button] !== true) void this.runAction(action).catch((error: Error) => this.options.log.warn(`${device.name} ${button} → ${action}: ${error.message}`));
      }
    });
  }

  private async runAction(action: (typeof buttonActions)[number]): Promise<void> {
    const phase = this.recorder?.status().phase;
    switch (action) {
      case 'estop':
        await this.estop();
        return;
      case 'release_estop':
        this.releaseEstop();
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

  private onCycle(cycle: CycleRecord): void {
    this.lastCycle = cycle;
    this.checkButtons();
    if (cycle.intent?.gripper !== undefined) this.gripperIntent = cycle.intent.gripper;
    const recorder = this.recorder;
    const tap = this.tap;
    const arm = this.devices?.arm.latest();
    if (recorder === undefined || tap === undefined) return;
    if (recorder.status().phase === 'recording' && arm !== undefined) {
      const privileged = this.devices?.arm instanceof SimArm ? this.devices.arm.privileged() : undefined;
      const object = privileged?.objects[0];
      tap.recordCycle({
        t_ns: cycle.t_ns,
        arm,
        gripper: this.devices?.gripper?.latest(),
        requested: cycle.safe.requested,
        executed: cycle.executed.sent,
        gripper_intent: this.gripperIntent,
        clip_reasons: cycle.executed.clip_reasons,
        events: cycle.gripper !== null ? [{ type: 'gripper', command: cycle.gripper.sent.kind }] : [],
        ...(privileged !== undefined && object !== undefined
          ? { privileged: { object_poses: [...object.position_m, ...object.quaternion_wxyz], contact: privileged.contact.gripper_object, success: privileged.success } }
          : {}),
      });
    }
    void recorder.tick().then((event) => {
      if (event !== null) this.emitRecording();
    });
  }

  private emitRobotState(): void {
    const devices = this.devices;
    const arm = devices?.arm.latest();
    if (devices === undefined || arm === undefined) return;
    const cycle = this.lastCycle;
    const privileged = devices.arm instanceof SimArm ? devices.arm.privileged() : undefined;
    const sent = cycle?.executed.sent;
    const state: RobotState = {
      t_ns: arm.capture_ns.toString(),
      q_rad: arm.q_rad,
      ee_position_m: arm.ee_position_m,
      ee_quaternion_wxyz: arm.ee_quaternion_wxyz,
      gripper_width_m: devices.gripper?.latest()?.width_m ?? null,
      commanded_translation_m: sent?.kind === 'ee_delta' ? sent.translation_m : ZERO3,
      clip_reasons: cycle?.executed.clip_reasons ?? [],
      estopped: this.loop?.isEstopped() ?? false,
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
