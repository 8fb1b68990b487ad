import { StudioError } from '../../shared/api/errors';
import type { RigConfig } from '../../shared/rig/rigConfig';
import { createDeviceRegistry } from '../devices/catalog';
import { GamepadTeleop } from '../devices/gamepad/gamepadTeleop';
import { KeyboardTeleop } from '../devices/keyboard/keyboardTeleop';
import { createRigDevices, type RigDevices } from '../devices/rigDevices';
import { SimSession } from '../devices/sim/simSession';
import type { AnyDevice, Clock, Teleop } from '../devices/types';
import { ChunkSource, type ChunkAction } from './chunkSource';
import { ControlLoop } from './controlLoop';
import type {
  ChunkRun,
  ControlDeviceInfo,
  ControlErrorDetail,
  ControlSnapshot,
  ControlStart,
  ControlStarted,
  FromControl,
  ToControl,
} from './controlProtocol';
import { TeleopMux } from './teleopMux';
import type { ThreadPriority } from '../workers/threadPriority';

const SNAPSHOT_MS = 250;

function errorDetail(error: unknown): ControlErrorDetail {
  if (error instanceof StudioError)
    return { message: error.message, code: error.code, ...(error.fix !== undefined ? { fix: error.fix } : {}) };
  const fix = (error as { fix?: unknown }).fix;
  return { message: (error as Error).message ?? String(error), ...(typeof fix === 'string' ? { fix } : {}) };
}

function infoOf(device: AnyDevice): ControlDeviceInfo {
  const state_hz = 'state_hz' in device ? device.state_hz : undefined;
  return {
    name: device.name,
    kind: device.kind,
    type: device.type,
    features: device.features(),
    ...(state_hz !== undefined ? { state_hz } : {}),
  };
}

interface Running {
  rig: RigConfig;
  devices: RigDevices;
  loop: ControlLoop;
  keyboard: KeyboardTeleop | undefined;
  gamepad: GamepadTeleop | undefined;
  offs: (() => void)[];
  timer: ReturnType<typeof setInterval>;
}

/**
 * Everything the control worker does, without the worker: creates the rig's arm, gripper and teleop
 * devices, runs the control loop on them, acts on e-stop buttons at once, and reports states, cycles
 * and snapshots to the core. controlWorker.ts binds it to the worker's port; it can also be hosted on
 * any thread for debugging.
 */
export class ControlHost {
  private running: Running | undefined;
  private readonly buttonsDown = new Map<Teleop, Record<string, boolean>>();
  private fault: string | null = null;
  /** An e-stop that arrived before the loop existed (while starting), applied when it starts. */
  private estopBeforeStart = false;
  /** The chunk playing now, if any: ends it early (the e-stop, a stop). */
  private chunk: { end: (estopped: boolean) => void } | undefined;

  constructor(
    private readonly post: (message: FromControl) => void,
    private readonly clock: Clock,
    /** What the worker got when it asked for a higher priority, reported once the loop runs. */
    private readonly priority?: ThreadPriority,
  ) {}

  handle(message: ToControl): void {
    if (message.id === undefined) {
      this.input(message);
      return;
    }
    void this.dispatch(message).then(
      (result) => this.post({ id: message.id, ok: true, result }),
      (error: unknown) => this.post({ id: message.id, ok: false, error: errorDetail(error) }),
    );
  }

  private async dispatch(request: Exclude<ToControl, { id?: undefined }>): Promise<unknown> {
    switch (request.op) {
      case 'start':
        return this.start(request.args);
      case 'estop':
        // Pressed while the loop is still starting (devices connecting): refusing would lose the stop,
        // so it is held and applied the moment the loop exists.
        if (this.running === undefined) this.estopBeforeStart = true;
        else await this.running.loop.estop();
        this.chunk?.end(true);
        return this.snapshot();
      case 'release':
        if (this.running === undefined) this.estopBeforeStart = false;
        else this.running.loop.releaseEstop();
        this.fault = null;
        return this.snapshot();
      case 'stop':
        this.chunk?.end(false);
        await this.stop();
        return null;
      case 'runChunk':
        return this.runChunk(request.args.actions, request.args.kind);
      case 'injectFault':
        setImmediate(() => {
          throw new Error('injected fault in the control worker');
        });
        return null;
    }
  }

  private input(message: Extract<ToControl, { id?: undefined }>): void {
    const running = this.running;
    if (running === undefined) return;
    if (message.input === 'keys') running.keyboard?.setHeldKeys(message.keys, message.capture_ns);
    else running.gamepad?.setSample(message.sample, message.capture_ns);
  }

  private async start({ rig, sim_port, wake, estopped }: ControlStart): Promise<ControlStarted> {
    if (this.running !== undefined) throw new Error('the control loop is already running');
    const sim = sim_port === undefined ? undefined : SimSession.attached(sim_port, this.clock);
    // Cameras stay with the core, which records and previews them.
    const devices = createRigDevices({ ...rig, cameras: [] }, createDeviceRegistry(), this.clock, sim !== undefined ? { sim } : {});
    try {
      await devices.connect();
    } catch (error) {
      await devices.disconnect();
      throw error;
    }
    const teleop = new TeleopMux(devices.teleop);
    const rate_hz = typeof rig.arm.control_hz === 'number' ? rig.arm.control_hz : 100;
    // Ground truth goes with each cycle record, read with the arm state the cycle used.
    const groundTruth = sim !== undefined ? () => sim.latestPrivileged : undefined;
    const loop = new ControlLoop({
      arm: devices.arm,
      ...(devices.gripper !== undefined ? { gripper: devices.gripper } : {}),
      teleop,
      ...(groundTruth !== undefined ? { groundTruth } : {}),
      safety: rig.safety,
      rate_hz,
      clock: this.clock,
      precise_wait: true,
      wake: new Int32Array(wake),
    });
    const offs: (() => void)[] = [];
    // A command the arm did not take (a dropped link, a dead simulation) latches the e-stop: when the
    // device comes back the arm stays still until the operator releases it. Said once per new reason.
    let lastFault = '';
    loop.onError = (error) => {
      const wasStopped = loop.isEstopped();
      if (!wasStopped) {
        this.chunk?.end(true);
        void loop.estop().catch(() => undefined);
        this.fault = error.message;
      }
      if (error.message !== lastFault || !wasStopped) {
        lastFault = error.message;
        this.post({
          event: 'log',
          level: 'warn',
          message: `control cycle failed (${wasStopped ? 'e-stop already engaged' : 'e-stop engaged'}): ${error.message}`,
        });
        this.post({ event: 'snapshot', snapshot: this.snapshot() });
      }
    };
    // Every state the arm and gripper report goes to the core; a device that does not stream its
    // state is read once per cycle instead.
    const { arm, gripper } = devices;
    const armOff = arm.onState?.((state) => this.post({ event: 'arm', state }));
    const gripperOff = gripper?.onState?.((state) => this.post({ event: 'gripper', state }));
    let lastArm_ns = -1n,
      lastGripper_ns = -1n;
    offs.push(
      loop.onCycle((record) => {
        const armState = armOff === undefined ? arm.latest() : undefined;
        if (armState !== undefined && armState.capture_ns !== lastArm_ns) this.post({ event: 'arm', state: armState });
        lastArm_ns = armState?.capture_ns ?? lastArm_ns;
        const gripperState = gripperOff === undefined ? gripper?.latest() : undefined;
        if (gripperState !== undefined && gripperState.capture_ns !== lastGripper_ns) this.post({ event: 'gripper', state: gripperState });
        lastGripper_ns = gripperState?.capture_ns ?? lastGripper_ns;
        this.post({ event: 'cycle', record });
        this.checkButtons();
      }),
      teleop.onState(() => this.checkButtons()),
    );
    if (armOff !== undefined) offs.push(armOff);
    if (gripperOff !== undefined) offs.push(gripperOff);
    const timer = setInterval(() => this.post({ event: 'snapshot', snapshot: this.snapshot() }), SNAPSHOT_MS);
    this.running = {
      rig,
      devices,
      loop,
      keyboard: devices.teleop.find((device): device is KeyboardTeleop => device instanceof KeyboardTeleop),
      gamepad: devices.teleop.find((device): device is GamepadTeleop => device instanceof GamepadTeleop),
      offs,
      timer,
    };
    // An e-stop engaged before a restart (a new rig config), or pressed while starting, stays engaged.
    if (estopped === true || this.estopBeforeStart) await loop.estop().catch(() => undefined);
    loop.start();
    const priority = this.priority;
    if (priority !== undefined) {
      this.post({
        event: 'log',
        level: 'info',
        message: priority.applied
          ? `control loop thread ${priority.tid} runs at nice ${priority.nice}`
          : `control loop thread at normal priority (${priority.reason})`,
      });
    }
    return {
      rate_hz,
      arm: infoOf(devices.arm),
      gripper: devices.gripper === undefined ? null : infoOf(devices.gripper),
      teleop: devices.teleop.map(infoOf),
      snapshot: this.snapshot(),
    };
  }

  private async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (running === undefined) return;
    clearInterval(running.timer);
    running.loop.stop();
    // The command already on its way goes out (or fails) before the devices disconnect.
    await running.loop.drained();
    for (const off of running.offs) off();
    await running.devices.disconnect();
  }

  private runChunk(actions: ChunkAction[], kind: 'chunk' | 'policy'): Promise<ChunkRun> {
    const running = this.need();
    if (running.loop.isEstopped())
      throw new StudioError({
        code: 'failed_precondition',
        message: 'E-stop is latched: the chunk was not run',
        fix: 'Release the e-stop, then approve again.',
      });
    if (this.chunk !== undefined)
      throw new StudioError({
        code: 'failed_precondition',
        message: 'another chunk is still playing',
        fix: 'Wait for it to finish (or press the e-stop).',
      });
    if (actions.length === 0) throw new StudioError({ code: 'invalid_params', message: 'the chunk has no actions' });
    const { loop } = running;
    const previous = loop.actionSource;
    const source = new ChunkSource(actions, { kind });
    let clipped = 0;
    let first_t_ns: bigint | null = null;
    let last_t_ns: bigint | null = null;
    return new Promise((resolve) => {
      const end = (estopped: boolean) => {
        if (this.chunk !== chunk) return;
        this.chunk = undefined;
        off();
        // The arm goes back to the operator; an e-stopped chunk is never resumed.
        loop.setSource(previous);
        resolve({ played: source.played, clipped, estopped, first_t_ns, last_t_ns });
      };
      const chunk = { end };
      const off = loop.onCycle((record) => {
        if (record.source !== kind) return;
        first_t_ns ??= record.t_ns;
        last_t_ns = record.t_ns;
        if (record.executed.clipped) clipped++;
        if (record.estopped) end(true);
        else if (source.done()) end(false);
      });
      this.chunk = chunk;
      loop.setSource(source);
    });
  }

  private need(): Running {
    if (this.running === undefined)
      throw new StudioError({ code: 'failed_precondition', message: 'the control loop is not running', fix: 'Start the rig (rig.start).' });
    return this.running;
  }

  private snapshot(): ControlSnapshot {
    const running = this.running;
    if (running === undefined)
      return {
        devices: [],
        stats: { cycles: 0, superseded: 0, jitter_ms_p50: 0, jitter_ms_p99: 0, overruns: 0, input_cycles: 0 },
        estopped: this.estopBeforeStart,
        fault: this.fault,
      };
    const { devices, loop } = running;
    return {
      devices: devices.all().map((device) => {
        const status = device.status();
        const error = status.error ?? devices.connectError(device);
        return {
          name: device.name,
          connected: status.connected && devices.connectError(device) === undefined,
          ...(error !== undefined ? { error } : {}),
        };
      }),
      stats: loop.stats(),
      estopped: loop.isEstopped(),
      fault: this.fault,
    };
  }

  /**
   * Rising edges of mapped teleop buttons. An e-stop acts here, within the cycle, without waiting for
   * the core; everything else (the recording lifecycle) is the core's to do.
   */
  private checkButtons(): void {
    const running = this.running;
    if (running === undefined) return;
    running.devices.teleop.forEach((device, i) => {
      const actions = running.rig.teleop[i]?.button_actions;
      const buttons = device.latest()?.buttons;
      if (actions === undefined || buttons === undefined) return;
      const before = this.buttonsDown.get(device) ?? {};
      this.buttonsDown.set(device, { ...buttons });
      for (const [button, action] of Object.entries(actions)) {
        if (buttons[button] !== true || before[button] === true) continue;
        if (action === 'estop') {
          this.chunk?.end(true);
          void running.loop.estop().then(
            () => this.post({ event: 'snapshot', snapshot: this.snapshot() }),
            (error: Error) => this.post({ event: 'log', level: 'warn', message: `${device.name} ${button} → e-stop: ${error.message}` }),
          );
        } else if (action === 'release_estop') {
          running.loop.releaseEstop();
          this.fault = null;
          this.post({ event: 'snapshot', snapshot: this.snapshot() });
        } else {
          this.post({ event: 'action', action, device: device.name, button });
        }
      }
    });
  }
}
