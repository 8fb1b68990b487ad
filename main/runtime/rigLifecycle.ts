import type { RigSnapshot, RigStatus } from '../../shared/api/contract';
import { AsyncDisposableStore, toDisposable } from '../../shared/base/disposable';
import { AsyncEmitter, Emitter, type AsyncEvent, type Event } from '../../shared/base/emitter';
import { StudioError } from '../../shared/api/errors';
import type { buttonActions } from '../../shared/rig/rigConfig';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ControlClient } from '../control/controlClient';
import type { CycleRecord } from '../control/controlLoop';
import type { ControlEvent, ControlSnapshot, ControlStarted } from '../control/controlProtocol';
import { RemoteArm, RemoteGripper } from '../control/remoteDevices';
import type { EventBus } from '../core/eventBus';
import type { Logger } from '../core/logger';
import { createDeviceRegistry } from '../devices/catalog';
import { createRigCameras, type DeviceSet } from '../devices/rigDevices';
import { simSessionFor } from '../devices/sim/register';
import type { SimSession } from '../devices/sim/simSession';
import type { Camera, Clock } from '../devices/types';

/** A mapped teleop button for the studio's recording (the e-stop buttons the lifecycle handles itself). */
export type RecordingButton = Exclude<(typeof buttonActions)[number], 'estop' | 'release_estop'>;

export interface ButtonPress {
  action: RecordingButton;
  device: string;
  button: string;
}

/** What a running rig is made of, on the core's side of the control worker. */
export interface RunningRig {
  /** The config it started with. */
  readonly rig: RigSnapshot;
  /** The simulated world, for a sim rig: the core owns it (cameras, reset, ground truth). */
  readonly sim: SimSession | undefined;
  readonly control: ControlClient;
  readonly started: ControlStarted;
  readonly arm: RemoteArm;
  readonly gripper: RemoteGripper | undefined;
  readonly cameras: DeviceSet & { cameras: Camera[] };
  /**
   * Everything that lives as long as this run: released when the rig stops or fails, last added
   * first (a recording that writes camera frames before the cameras, the cameras before the world).
   */
  readonly disposables: AsyncDisposableStore;
}

export interface RigLifecycleOptions {
  rig: RigSnapshot;
  clock: Clock;
  events: EventBus;
  log: Logger;
}

/**
 * The rig's lifecycle: start (the simulated world, the control worker with the arm, gripper and teleop
 * devices, the cameras), stop, a new config, a control worker that dies, and the operator's e-stop
 * latch, kept across restarts. It says what happens through events; the recording and the live feed
 * attach to each run (`onDidStart`) and put what they create in the run's disposables.
 */
export class RigLifecycle {
  private state: RigStatus['state'] = 'stopped';
  private error: RigStatus['error'];
  private running: RunningRig | undefined;
  private snapshot: ControlSnapshot | undefined;
  /** The control worker, as soon as it exists (before the rest of the rig is up). */
  private controlClient: ControlClient | undefined;
  /** The operator's e-stop, kept across restarts and config changes until released. */
  private estopLatched = false;
  private starting: Promise<RigStatus> | undefined;
  private tearing: Promise<void> | undefined;
  private rigSnapshot: RigSnapshot;

  private readonly didStart = new Emitter<RunningRig>();
  private readonly willStop: AsyncEmitter<void>;
  private readonly didLatchEstop: AsyncEmitter<void>;
  private readonly cycle = new Emitter<CycleRecord>();
  private readonly button = new Emitter<ButtonPress>();

  /** A run is up: attach to it (its `disposables` are released when it ends). */
  readonly onDidStart: Event<RunningRig> = this.didStart.event;
  /** The rig is about to stop (rig.stop, a new config, closing, a control worker that died); awaited. */
  readonly onWillStop: AsyncEvent<void>;
  /** The e-stop latched (by the operator or inside the worker); `estop()` waits for the listeners. */
  readonly onDidLatchEstop: AsyncEvent<void>;
  /** Every control cycle as the core receives it from the control worker. */
  readonly onCycle: Event<CycleRecord> = this.cycle.event;
  /** A mapped teleop button for the recording. */
  readonly onButton: Event<ButtonPress> = this.button.event;

  constructor(private readonly options: RigLifecycleOptions) {
    this.rigSnapshot = options.rig;
    this.willStop = new AsyncEmitter((error) => options.log.error('preparing the rig to stop failed', error));
    this.didLatchEstop = new AsyncEmitter((error) => options.log.error('reacting to the e-stop failed', error));
    this.onWillStop = this.willStop.event;
    this.onDidLatchEstop = this.didLatchEstop.event;
  }

  /** The rig config in use (replaced by `apply`). */
  get rig(): RigSnapshot {
    return this.rigSnapshot;
  }

  get simulated(): boolean {
    return this.rig.config.arm.type === 'sim-arm';
  }

  /** Whether the e-stop is latched (the operator's latch, in force even before the worker exists). */
  get estopped(): boolean {
    return this.estopLatched;
  }

  /** What the control worker last said: its e-stop state and fault. */
  get control(): { estopped: boolean; fault: string | null } {
    return { estopped: this.snapshot?.estopped ?? false, fault: this.snapshot?.fault ?? null };
  }

  status(): RigStatus {
    const live = this.running;
    const stats = this.snapshot?.stats;
    const reports = new Map((this.snapshot?.devices ?? []).map((report) => [report.name, report]));
    const controlDevices = live === undefined ? [] : [live.started.arm, ...(live.started.gripper !== null ? [live.started.gripper] : [])];
    const statusOf = (info: { name: string; kind: RigStatus['devices'][number]['kind']; type: string }) => {
      const report = reports.get(info.name);
      return {
        name: info.name,
        kind: info.kind,
        type: info.type,
        connected: report?.connected ?? true,
        ...(report?.error !== undefined ? { error: report.error } : {}),
      };
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
          return {
            name: device.name,
            kind: device.kind,
            type: device.type,
            connected: status.connected && connectError === undefined,
            ...(error !== undefined ? { error } : {}),
          };
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

  /** The running rig, or the error every call that needs one gets (naming why it is not running). */
  need(): RunningRig {
    if (this.state !== 'running' || this.running === undefined) throw this.notRunning();
    return this.running;
  }

  notRunning(): StudioError {
    return new StudioError({
      code: 'failed_precondition',
      message:
        this.state === 'failed' ? `the rig is not running: ${this.error?.message ?? 'it failed to start'}` : `the rig is ${this.state}`,
      fix: this.error?.fix ?? 'Start the rig (rig.start), or check the Rig view for device errors.',
    });
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

  /** Stops the rig (a take in progress is kept by the recording, `onWillStop`). */
  async stop(): Promise<RigStatus> {
    // A start still connecting devices finishes first, so nothing it creates outlives the stop.
    if (this.starting !== undefined) await this.starting;
    if (this.tearing !== undefined) await this.tearing;
    if (this.running !== undefined) await this.willStop.fire();
    await this.teardown();
    this.state = 'stopped';
    this.emitStatus();
    return this.status();
  }

  /** Stops the rig, switches to `rig` and starts again if it was running (or had failed). */
  async apply(rig: RigSnapshot): Promise<RigStatus> {
    const wasStopped = this.state === 'stopped';
    await this.stop();
    this.rigSnapshot = rig;
    return wasStopped ? this.status() : this.start();
  }

  async close(): Promise<void> {
    if (this.state !== 'stopped') await this.stop();
  }

  /**
   * Latches the e-stop. It reaches the control worker whenever one exists, even while the rig is still
   * starting; on a stopped rig it is remembered and the next start begins stopped. Resolves once the
   * `onDidLatchEstop` listeners are done (a take in progress is stopped and kept).
   */
  async estop(): Promise<boolean> {
    this.estopLatched = true;
    const control = this.controlClient;
    if (control !== undefined && control.failed === undefined) this.applySnapshot(await control.request('estop', null));
    this.emitStatus();
    await this.didLatchEstop.fire();
    return true;
  }

  async releaseEstop(): Promise<boolean> {
    const control = this.controlClient;
    if (control !== undefined && control.failed === undefined) this.applySnapshot(await control.request('release', null));
    else this.estopLatched = false;
    this.emitStatus();
    return false;
  }

  private async doStart(): Promise<RigStatus> {
    const { clock, log } = this.options;
    const rig = this.rig;
    this.state = 'starting';
    this.error = undefined;
    this.emitStatus();
    const disposables = new AsyncDisposableStore((error) => log.warn(`releasing the rig: ${(error as Error).message}`));
    this.tearDownWith = disposables;
    try {
      // A simulated world first: the control worker and the cameras both attach to it.
      let sim: SimSession | undefined;
      let simPort: MessagePort | undefined;
      if (this.simulated) {
        const session = simSessionFor(rig.config.arm, clock);
        sim = session;
        await session.acquire();
        disposables.defer(() => session.release());
        const channel = new MessageChannel();
        await session.attach(channel.port1);
        simPort = channel.port2;
      }
      const control = new ControlClient();
      disposables.defer(() => control.close());
      // From here an e-stop reaches the worker even while the rest of the rig is still starting.
      this.controlClient = control;
      disposables.add(toDisposable(control.onFailure((error) => this.controlFailed(control, error))));
      // Events that arrive before the rig is wired up (warnings, mapped buttons, first states) wait.
      const early: ControlEvent[] = [];
      let wired = false;
      disposables.add(toDisposable(control.onEvent((event) => (wired ? this.onControlEvent(event) : early.push(event)))));
      const started = await control.request(
        'start',
        { rig: rig.config, wake: control.wake, estopped: this.estopLatched, ...(simPort !== undefined ? { sim_port: simPort } : {}) },
        simPort !== undefined ? [simPort] : [],
      );
      const cameras = createRigCameras(rig.config, createDeviceRegistry(), clock, sim !== undefined ? { sim } : {});
      disposables.defer(() => cameras.disconnect());
      await cameras.connect();
      if (control.failed !== undefined) throw control.failed;
      const arm = new RemoteArm(started.arm);
      const gripper = started.gripper === null ? undefined : new RemoteGripper(started.gripper);
      const run: RunningRig = { rig, sim, control, started, arm, gripper, cameras, disposables };
      this.running = run;
      this.applySnapshot(started.snapshot);
      this.didStart.fire(run);
      this.state = 'running';
      wired = true;
      for (const event of early.splice(0)) this.onControlEvent(event);
      log.info(`rig "${rig.config.name}" running: ${this.status().devices.length} devices, control at ${started.rate_hz} Hz in its worker`);
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

  /** What the next teardown releases: the run's disposables, from the moment a start begins. */
  private tearDownWith: AsyncDisposableStore | undefined;

  /**
   * The control worker died under a running rig: the arm is no longer driven, so say so, keep what
   * was recorded and stop. (While starting, the start itself sees the failure and reports it.)
   */
  private controlFailed(client: ControlClient, error: Error): void {
    if (this.running?.control !== client || this.state !== 'running') return;
    this.options.log.error('the control worker failed', error);
    this.state = 'failed';
    this.error = {
      message: error.message,
      fix: 'Restart the rig (rig.start); if it happens again, check the log for the device that failed.',
    };
    const tearing = this.willStop.fire().then(() => this.teardown());
    this.tearing = tearing;
    void tearing.then(() => this.emitStatus());
  }

  /**
   * Releases everything the run holds. The fields are cleared at once, so a start that follows builds
   * on clean ground; `start()` and `stop()` wait for a teardown still in progress. The arm stops being
   * driven first; then the run's disposables go, last added first (recording flushed, feeds, cameras,
   * the world).
   */
  private teardown(): Promise<void> {
    const disposables = this.tearDownWith;
    const control = this.controlClient;
    this.tearDownWith = this.running = this.controlClient = this.snapshot = undefined;
    const work = (async () => {
      await control?.close().catch(() => undefined);
      await disposables?.dispose();
    })();
    const tearing = (this.tearing = work.finally(() => {
      if (this.tearing === tearing) this.tearing = undefined;
    }));
    return tearing;
  }

  private onControlEvent(event: ControlEvent): void {
    const live = this.running;
    if (live === undefined) return;
    switch (event.event) {
      case 'arm':
        live.arm.receive(event.state);
        return;
      case 'gripper':
        live.gripper?.receive(event.state);
        return;
      case 'cycle':
        this.cycle.fire(event.record);
        return;
      case 'snapshot': {
        const changed = event.snapshot.estopped !== this.snapshot?.estopped;
        this.applySnapshot(event.snapshot);
        if (changed) this.emitStatus();
        // Latched in the worker (a mapped device button, a device fault): a take in progress stops.
        if (changed && event.snapshot.estopped) void this.didLatchEstop.fire();
        return;
      }
      case 'action': {
        const { action, device, button } = event;
        const fail = (error: Error) => this.options.log.warn(`${device} ${button} → ${action}: ${error.message}`);
        if (action === 'estop') void this.estop().catch(fail);
        else if (action === 'release_estop') void this.releaseEstop().catch(fail);
        else this.button.fire({ action, device, button });
        return;
      }
      case 'log':
        if (event.level === 'warn') this.options.log.warn(event.message);
        else this.options.log.info(event.message);
        return;
    }
  }

  private applySnapshot(snapshot: ControlSnapshot): void {
    this.snapshot = snapshot;
    this.estopLatched = snapshot.estopped;
    const live = this.running;
    if (live === undefined) return;
    for (const report of snapshot.devices) {
      const status = { connected: report.connected, ...(report.error !== undefined ? { error: report.error } : {}) };
      if (report.name === live.arm.name) live.arm.setStatus(status);
      if (report.name === live.gripper?.name) live.gripper.setStatus(status);
    }
  }

  private emitStatus(): void {
    this.options.events.emit('rig.status', this.status());
  }
}
