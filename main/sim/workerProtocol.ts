import type { MessagePort } from 'node:worker_threads';
import type { ArmCommand, GripperCommand, SentAction } from '../../shared/robot/types';
import type { SimCameraSpec } from './cameraRig';
import { ModelLoadError } from './modelLoader';
import type { SceneLayout } from './pickPlaceTask';
import type { SimEvent } from './simRunner';
import type { SegmentationLegendEntry } from './simTypes';

/** Messages between the main thread (workerClient.ts) and the sim worker (worker.ts). */
export interface SimInit {
  xml: string;
  /** Names the model in MuJoCo's error messages. */
  file: string;
  seed: number;
  /** Rate of state samples and the expected arm command period. */
  control_hz: number;
  /** `realtime`: the worker paces physics to the wall clock (× speed); `manual`: only on request. */
  pacing: 'realtime' | 'manual';
  speed?: number;
  /**
   * Where camera frames are drawn: `thread` (a render worker, so frames never hold up physics or arm
   * commands; frames arrive a render later) or `inline` (in step with physics, deterministic). The
   * default is `thread` for real-time pacing and `inline` for manual pacing.
   */
  render?: 'thread' | 'inline';
  /** Studio clock time (ns) at sim time 0: every event carries it, so any thread can stamp capture times. */
  anchor_ns: bigint;
}

export interface SimStartInfo {
  timestep_s: number;
  /** Arm and gripper state samples per second of sim time. */
  state_hz: number;
  /** Body names by body id, for `PrivilegedState.body_poses`. */
  bodies: string[];
  layout: SceneLayout;
  legend: SegmentationLegendEntry[];
}

/** Request → result type, by operation name. */
export interface SimOps {
  init: { args: SimInit; result: SimStartInfo };
  arm: { args: ArmCommand; result: SentAction<ArmCommand> };
  gripper: { args: GripperCommand; result: SentAction<GripperCommand> };
  addCamera: { args: SimCameraSpec; result: null };
  removeCamera: { args: string; result: null };
  /** A new scene from `seed`; sim time restarts at 0, which is `anchor_ns` on the studio clock. */
  reset: { args: { seed: number; anchor_ns: bigint }; result: SceneLayout };
  /**
   * Serves arm and gripper requests, and sends state events, on another MessagePort too: the control
   * worker drives the arm directly, without a hop through the thread that owns the simulation.
   */
  attach: { args: MessagePort; result: null };
  /** What `init` returned, for a port attached to a running simulation. */
  info: { args: null; result: SimStartInfo };
  /** Manual pacing: advance sim time (s), emitting events as they fall due. */
  advance: { args: number; result: number };
  /**
   * Keeps the whole simulation state (physics, controller, sample schedule) under an id; `restore` puts
   * it back so the next `advance(0)` publishes that state again (the ranking test runs K chunks from one
   * state). Snapshots belong to the current scene; a reset forgets them.
   */
  snapshot: { args: null; result: number };
  restore: { args: number; result: number };
  /** Test hook: the next physics step throws. */
  injectFault: { args: null; result: null };
  close: { args: null; result: null };
}

export type SimOp = keyof SimOps;

export type SimRequest = { [K in SimOp]: { id: number; op: K; args: SimOps[K]['args'] } }[SimOp];

export interface WorkerError {
  name: string;
  message: string;
  /** ModelLoadError fields, so the caller can name the file. */
  file?: string;
  kind?: string;
}

export type SimResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WorkerError };

export type SimWorkerEvent =
  | { id?: undefined; event: 'sim'; payload: SimEvent; anchor_ns: bigint }
  /** The loop stopped because something threw: the sim is dead until restarted. */
  | { id?: undefined; event: 'fatal'; payload: WorkerError };

export type SimWorkerMessage = SimResponse | SimWorkerEvent;

/** Any error, as it crosses a worker boundary (a ModelLoadError keeps its file and kind). */
export function toWorkerError(error: unknown): WorkerError {
  if (error instanceof ModelLoadError) return { name: error.name, message: error.message, file: error.file, kind: error.kind };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
