import type { SimCameraImage } from '../../sim/cameraRig';
import type { SimClient } from '../../sim/simClient';
import type { SimEvent } from '../../sim/simRunner';
import { CUBE_HALF_M, type SceneLayout } from '../../sim/pickPlaceTask';
import type { ArmReading, GripperReading, PrivilegedState, SegmentationLegendEntry } from '../../sim/simTypes';
import type { SimInit, SimOp, SimOps, SimStartInfo } from '../../sim/workerProtocol';
import type { MessagePort } from 'node:worker_threads';
import { SimPortClient } from '../../sim/workerClient';
import type { Clock, Vec3 } from '../types';

export interface SimSessionOptions {
  /** How to start the simulation; absent for a session attached to one that runs elsewhere (`attach`). */
  init?: Omit<SimInit, 'anchor_ns'>;
  createClient: () => SimClient;
}

/**
 * One running simulation shared by the sim devices of a rig: sim-arm, sim-gripper and sim-camera attach
 * to it. The first connect starts it, the last disconnect stops it. Capture times are the studio clock
 * at start (or reset) plus sim time, so in real-time pacing they track the clock and in manual pacing
 * (tests, data generation) they are exact and deterministic. The anchor travels with every event, so a
 * session attached from another thread (`attach`) stamps the same times.
 */
export class SimSession {
  private client: SimClient | undefined;
  private starting: Promise<SimStartInfo> | undefined;
  private users = 0;
  private anchor_ns = 0n;
  private info: SimStartInfo | undefined;
  private failure: Error | undefined;
  private readonly frameListeners = new Set<(frame: SimCameraImage, capture_ns: bigint) => void>();
  private readonly failureListeners = new Set<(error: Error) => void>();
  private readonly stateListeners = new Set<() => void>();
  latestArm: ArmReading | undefined;
  latestGripper: GripperReading | undefined;
  latestPrivileged: PrivilegedState | undefined;
  /** The scene drawn by the last reset (or at start). */
  private layout: SceneLayout | undefined;

  constructor(
    private readonly options: SimSessionOptions,
    private readonly clock: Clock,
  ) {}

  get error(): Error | undefined {
    return this.failure;
  }

  get started(): SimStartInfo | undefined {
    return this.info;
  }

  get legend(): SegmentationLegendEntry[] {
    return this.info?.legend ?? [];
  }

  capture_ns(sim_time_s: number): bigint {
    return this.anchor_ns + BigInt(Math.round(sim_time_s * 1e9));
  }

  /** Starts the simulation if nobody has yet; resolves when it runs. */
  async acquire(): Promise<SimStartInfo> {
    this.users++;
    try {
      this.starting ??= this.start();
      return await this.starting;
    } catch (error) {
      this.users--;
      throw error;
    }
  }

  async release(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0) return;
    const client = this.client;
    this.client = undefined;
    this.starting = undefined;
    this.info = undefined;
    await client?.close();
  }

  request<K extends SimOp>(op: K, args: SimOps[K]['args']): Promise<SimOps[K]['result']> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.client === undefined) return Promise.reject(new Error('the simulation is not running: connect the sim devices first'));
    return this.client.request(op, args);
  }

  /**
   * A new scene from `seed` (sim time restarts at 0). Capture times stay monotonic across resets: the
   * new anchor is the clock now, or just after the last sample when manual pacing ran ahead of it.
   */
  async reset(seed: number): Promise<SceneLayout> {
    const before_ns = this.capture_ns(this.latestArm?.sim_time_s ?? 0);
    const now = this.clock.now_ns();
    const anchor_ns = now > before_ns ? now : before_ns + 1_000_000n;
    const layout = await this.request('reset', { seed, anchor_ns });
    this.anchor_ns = anchor_ns;
    this.layout = layout;
    this.latestArm = undefined;
    this.latestGripper = undefined;
    this.latestPrivileged = undefined;
    return layout;
  }

  /** Keeps the whole simulation state of this scene (see SimOps.snapshot); returns its id. */
  snapshot(): Promise<number> {
    return this.request('snapshot', null);
  }

  /**
   * Back to a snapshot: the states read so far belong to a future that no longer happens, so they are
   * forgotten; the next `advance(0)` publishes the restored state again.
   */
  async restore(id: number): Promise<void> {
    await this.request('restore', id);
    this.latestArm = undefined;
    this.latestGripper = undefined;
    this.latestPrivileged = undefined;
  }

  /**
   * The scene as it is now, for recording and replay: objects (name, edge length, colour), body names by
   * id, and the segmentation legend.
   */
  sceneDescription(): {
    objects: { name: string; size_m: number; rgb: [number, number, number] }[];
    target?: { half_extent_m: number };
    bodies: string[];
    legend: SegmentationLegendEntry[];
  } {
    const layout = this.layout ?? this.info?.layout;
    return {
      ...(layout !== undefined ? { target: { half_extent_m: layout.target_half_extent_m } } : {}),
      // Right after a reset no state has arrived yet; the layout says the same about the objects.
      objects: (this.latestPrivileged?.objects ?? this.layoutObjects()).map((object) => ({
        name: object.name,
        size_m: 2 * CUBE_HALF_M,
        rgb: object.rgb,
      })),
      bodies: this.info?.bodies ?? [],
      legend: this.legend,
    };
  }

  private layoutObjects(): { name: string; rgb: Vec3 }[] {
    const layout = this.layout ?? this.info?.layout;
    return layout === undefined ? [] : [{ name: 'cube', rgb: layout.cube_rgb }];
  }

  /** Each frame with its capture time (a frame drawn in the render worker carries the anchor of its snapshot). */
  onFrame(listener: (frame: SimCameraImage, capture_ns: bigint) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  /** After each state sample (arm, gripper, ground truth) has been stored in `latest*`. */
  onState(listener: () => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onFailure(listener: (error: Error) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /**
   * Serves the simulation's arm, gripper and state events on `port` as well, for a session in another
   * thread made with `SimSession.attached(port)`.
   */
  async attach(port: MessagePort): Promise<void> {
    await this.request('attach', port);
  }

  /** A session on a simulation another thread owns, reached through a port it attached. */
  static attached(port: MessagePort, clock: Clock): SimSession {
    return new SimSession({ createClient: () => new SimPortClient(port) }, clock);
  }

  private async start(): Promise<SimStartInfo> {
    this.failure = undefined;
    const client = this.options.createClient();
    this.client = client;
    client.onSim(this.receive);
    client.onFailure((error) => {
      this.failure = error;
      for (const listener of this.failureListeners) listener(error);
    });
    this.anchor_ns = this.clock.now_ns();
    try {
      const init = this.options.init;
      this.info =
        init === undefined ? await client.request('info', null) : await client.request('init', { ...init, anchor_ns: this.anchor_ns });
      return this.info;
    } catch (error) {
      this.client = undefined;
      this.starting = undefined;
      await client.close().catch(() => undefined);
      throw error;
    }
  }

  private readonly receive = (event: SimEvent, anchor_ns: bigint): void => {
    if (event.type === 'state') {
      this.anchor_ns = anchor_ns;
      this.latestArm = event.arm;
      this.latestGripper = event.gripper;
      this.latestPrivileged = event.privileged;
      for (const listener of this.stateListeners) listener();
    } else {
      const capture_ns = anchor_ns + BigInt(Math.round(event.frame.sim_time_s * 1e9));
      for (const listener of this.frameListeners) listener(event.frame, capture_ns);
    }
  };
}
