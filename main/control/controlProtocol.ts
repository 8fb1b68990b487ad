import type { MessagePort } from 'node:worker_threads';
import type { RigConfig, buttonActions } from '../../shared/rig/rigConfig';
import type { GamepadSample } from '../devices/gamepad/gamepadTeleop';
import type { ArmState, DeviceKind, DeviceStatus, Features, GripperState } from '../devices/types';
import type { RpcRequest, RpcResponse } from '../workers/rpcClient';
import type { ChunkAction } from './chunkSource';
import type { CycleRecord, LoopStats } from './controlLoop';

/**
 * Messages between the core (controlClient.ts) and the control worker (controlHost.ts). The worker
 * owns the arm, gripper and teleop devices and the loop; the core gets their state, every cycle and
 * regular snapshots, and sends operator input, e-stop and lifecycle requests.
 */

export interface ControlDeviceInfo {
  name: string;
  kind: DeviceKind;
  type: string;
  features: Features;
  /** How often the device reports its state, when it says. */
  state_hz?: number;
}

export interface ControlDeviceReport extends DeviceStatus {
  name: string;
}

/** The loop's health and the devices' status, sent every 250 ms and after each change. */
export interface ControlSnapshot {
  devices: ControlDeviceReport[];
  stats: LoopStats;
  estopped: boolean;
  /** The device failure that latched the e-stop, until released. */
  fault: string | null;
}

export interface ControlStart {
  /** The rig config; the worker creates its arm, gripper and teleop devices (not the cameras). */
  rig: RigConfig;
  /** For a simulated rig: a port the simulation attached, so the arm is driven without a hop. */
  sim_port?: MessagePort;
  /** A shared counter the core bumps after each message, so the loop's precise wait lets it in at once. */
  wake: SharedArrayBuffer;
  /** Start with the e-stop engaged (it was when the rig was stopped or its config applied). */
  estopped?: boolean;
}

export interface ControlStarted {
  rate_hz: number;
  arm: ControlDeviceInfo;
  gripper: ControlDeviceInfo | null;
  teleop: ControlDeviceInfo[];
  snapshot: ControlSnapshot;
}

export interface ControlOps {
  start: { args: ControlStart; result: ControlStarted };
  estop: { args: null; result: ControlSnapshot };
  release: { args: null; result: ControlSnapshot };
  /** Stops the loop and disconnects the devices; the worker may then exit. */
  stop: { args: null; result: null };
  /**
   * Plays an action chunk (an approved imagined candidate, a policy's chunk) as the loop's source, one
   * action per cycle under the same safety and e-stop, then hands the arm back to teleop. Answers when
   * the chunk has played or the e-stop cut it short.
   */
  runChunk: { args: { actions: ChunkAction[]; kind: 'chunk' | 'policy' }; result: ChunkRun };
  /** Test hook: the worker throws outside any request, as a driver bug would. */
  injectFault: { args: null; result: null };
}

export interface ChunkRun {
  /** Actions played (fewer than asked when the e-stop cut the chunk short). */
  played: number;
  /** Cycles whose command safety or the arm changed. */
  clipped: number;
  estopped: boolean;
  /** The cycles the chunk ran, first and last (loop clock). */
  first_t_ns: bigint | null;
  last_t_ns: bigint | null;
}

export type ControlRequest = RpcRequest<ControlOps>;

/** Operator input from the UI, stamped when the core received it; no reply. */
export type ControlInput =
  | { id?: undefined; input: 'keys'; keys: string[]; capture_ns: bigint }
  | { id?: undefined; input: 'gamepad'; sample: GamepadSample; capture_ns: bigint };

export type ToControl = ControlRequest | ControlInput;

export interface ControlErrorDetail {
  message: string;
  fix?: string;
  code?: string;
}

export type ControlEvent =
  | { event: 'arm'; state: ArmState }
  | { event: 'gripper'; state: GripperState }
  | { event: 'cycle'; record: CycleRecord }
  | { event: 'snapshot'; snapshot: ControlSnapshot }
  /** A mapped teleop button the core acts on (recording lifecycle); e-stops are handled in the worker. */
  | { event: 'action'; action: (typeof buttonActions)[number]; device: string; button: string }
  | { event: 'log'; level: 'info' | 'warn'; message: string };

export type FromControl = RpcResponse<ControlErrorDetail> | (ControlEvent & { id?: undefined });
