import type { MessagePort } from 'node:worker_threads';
import { SimEngine } from './engine';
import { RenderClient } from './render/renderClient';
import { SimRunner, type RunnerSnapshot, type SimEvent } from './simRunner';
import {
  toWorkerError,
  type SimInit,
  type SimOp,
  type SimRequest,
  type SimStartInfo,
  type SimWorkerMessage,
  type WorkerError,
} from './workerProtocol';

export type Post = (message: SimWorkerMessage, transfer?: ArrayBuffer[]) => void;

/** Larger gaps than this (a stalled event loop, a debugger) are dropped rather than replayed fast. */
const MAX_CATCH_UP_S = 0.25;
const MAX_SLICE_S = 0.05;
/** What an attached port (the control worker) may ask: drive the arm and gripper, read the start info. */
const ATTACHED_OPS: ReadonlySet<SimOp> = new Set(['arm', 'gripper', 'info']);

/**
 * Everything the sim worker does, without the worker: answers requests and, in real-time pacing, runs
 * physics against the wall clock. worker.ts binds it to `parentPort`; tests may host it in-process.
 */
export class SimHost {
  private runner: SimRunner | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wallStart_ms = 0;
  private simStart_s = 0;
  private speed = 1;
  private dead: WorkerError | undefined;
  private info: SimStartInfo | undefined;
  private anchor_ns = 0n;
  private pacing: SimInit['pacing'] = 'manual';
  private readonly attached = new Set<MessagePort>();
  /** The render worker, when frames are drawn off the physics thread. */
  private renderer: RenderClient | undefined;
  private readonly rendering = new Set<string>();
  /** Bumped by every reset: frames drawn from an earlier scene are not delivered. */
  private scene = 0;
  /** Whole-simulation snapshots of the current scene, by id (`snapshot` / `restore`). */
  private readonly snapshots = new Map<number, RunnerSnapshot>();
  private nextSnapshot = 1;
  /** Sim time dropped because the loop fell behind (s). */
  lag_s = 0;

  /** `now_ms`: the wall clock real-time pacing follows (injected by tests). */
  constructor(
    private readonly post: Post,
    private readonly now_ms: () => number = () => performance.now(),
  ) {}

  async handle(request: SimRequest, reply: Post = this.post): Promise<void> {
    try {
      const result = await this.dispatch(request);
      reply({ id: request.id, ok: true, result });
    } catch (error) {
      reply({ id: request.id, ok: false, error: toWorkerError(error) });
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Serves `port` too: arm and gripper requests, answered on the port, and every state event. */
  attach(port: MessagePort): void {
    this.attached.add(port);
    const reply: Post = (message) => port.postMessage(message);
    port.on('message', (request: SimRequest) => {
      if (ATTACHED_OPS.has(request.op)) void this.handle(request, reply);
      else
        reply({
          id: request.id,
          ok: false,
          error: { name: 'Error', message: `"${request.op}" is for the simulation's owner, not an attached port` },
        });
    });
    port.on('close', () => this.attached.delete(port));
  }

  private broadcast(message: SimWorkerMessage): void {
    this.post(message);
    for (const port of this.attached) port.postMessage(message);
  }

  private async dispatch(request: SimRequest): Promise<unknown> {
    if (this.dead !== undefined && request.op !== 'close') throw new Error(`the simulation stopped after an error: ${this.dead.message}`);
    switch (request.op) {
      case 'init':
        return this.init(request.args);
      case 'close': {
        this.stop();
        for (const port of this.attached) port.close();
        this.attached.clear();
        const renderer = this.renderer;
        this.renderer = undefined;
        await renderer?.close();
        this.runner?.cameras.dispose();
        this.runner?.engine.dispose();
        this.runner = undefined;
        return null;
      }
      case 'arm':
        return this.need().engine.sendArm(request.args);
      case 'gripper':
        return this.need().engine.sendGripper(request.args);
      case 'addCamera':
        await this.renderer?.request('addCamera', request.args);
        this.need().addCamera(request.args);
        return null;
      case 'removeCamera':
        this.need().removeCamera(request.args);
        await this.renderer?.request('removeCamera', request.args);
        return null;
      case 'reset': {
        const runner = this.need();
        const received_ms = this.now_ms();
        const layout = runner.engine.reset(request.args.seed);
        this.snapshots.clear();
        // Frames of the old scene still being drawn are dropped when they arrive (see renderFrame).
        this.scene += 1;
        const renderer = this.renderer;
        void renderer?.request('reset', request.args.seed).catch((error: unknown) => {
          if (this.renderer === renderer) this.renderFailed(error);
        });
        this.anchor_ns = this.anchorAt(request.args.anchor_ns, received_ms);
        runner.restarted();
        this.resync();
        return layout;
      }
      case 'advance':
        this.guarded(() => this.need().advance(request.args, this.emit));
        return this.need().engine.sim_time_s;
      case 'snapshot': {
        const id = this.nextSnapshot++;
        this.snapshots.set(id, this.need().snapshot());
        return id;
      }
      case 'restore': {
        const snapshot = this.snapshots.get(request.args);
        if (snapshot === undefined) throw new Error(`simulator snapshot ${request.args} does not exist (a reset forgets snapshots)`);
        const runner = this.need();
        runner.restore(snapshot);
        return runner.engine.sim_time_s;
      }
      case 'attach':
        this.need();
        this.attach(request.args);
        return null;
      case 'info':
        this.need();
        if (this.info === undefined) throw new Error('the simulation is not initialised');
        return this.info;
      case 'injectFault':
        this.need().engine.armFault();
        return null;
    }
  }

  /**
   * In real-time pacing sim time 0 is when physics starts, not when the caller asked: the anchor moves
   * on by the time spent loading or resetting (wall time here runs at the studio clock's rate).
   */
  private anchorAt(requested_ns: bigint, since_ms: number): bigint {
    if (this.pacing !== 'realtime') return requested_ns;
    return requested_ns + BigInt(Math.round((this.now_ms() - since_ms) * 1e6));
  }

  private async init(init: SimInit): Promise<SimStartInfo> {
    if (this.runner !== undefined) throw new Error('the simulation is already initialised');
    const received_ms = this.now_ms();
    this.pacing = init.pacing;
    const engine = await SimEngine.load(init.xml, init.file);
    engine.commandPeriod_s = 1 / init.control_hz;
    const layout = engine.reset(init.seed);
    if ((init.render ?? (init.pacing === 'realtime' ? 'thread' : 'inline')) === 'thread') {
      let renderer: RenderClient | undefined;
      try {
        renderer = new RenderClient();
        await renderer.request('init', { xml: init.xml, file: init.file, seed: init.seed });
        this.renderer = renderer;
      } catch (error) {
        await renderer?.close();
        engine.dispose();
        throw error;
      }
    }
    this.runner = new SimRunner(engine, init.control_hz, this.renderer === undefined ? undefined : this.renderFrame);
    this.speed = init.speed ?? 1;
    // Sim time 0 is now, once everything (physics and renderer) has loaded.
    this.anchor_ns = this.anchorAt(init.anchor_ns, received_ms);
    if (init.pacing === 'realtime') {
      this.resync();
      this.schedule();
    }
    this.info = {
      timestep_s: engine.timestep_s,
      state_hz: init.control_hz,
      bodies: engine.bodyNames(),
      layout,
      legend: engine.segmentationLegend(),
    };
    return this.info;
  }

  /**
   * A frame fell due for a camera the render worker draws: snapshot the physics now and send it. One
   * frame per camera is drawn at a time; a frame due while the last is still drawing is skipped (the
   * recorder sees the gap), never queued to arrive late.
   */
  private readonly renderFrame = (camera: string): void => {
    const renderer = this.renderer;
    const runner = this.runner;
    if (renderer === undefined || runner === undefined) return;
    if (this.rendering.has(camera)) return;
    this.rendering.add(camera);
    const job = runner.cameras.snapshot(camera);
    const anchor_ns = this.anchor_ns;
    const scene = this.scene;
    renderer.request('render', job, [job.geom_xpos.buffer as ArrayBuffer, job.geom_xmat.buffer as ArrayBuffer]).then(
      (frame) => {
        this.rendering.delete(camera);
        if (this.renderer !== renderer || this.dead !== undefined || this.scene !== scene) return;
        this.post({ event: 'sim', payload: { type: 'frame', frame }, anchor_ns }, [
          frame.rgb.buffer as ArrayBuffer,
          frame.depth_mm.buffer as ArrayBuffer,
          frame.segmentation.buffer as ArrayBuffer,
        ]);
      },
      (error: unknown) => {
        this.rendering.delete(camera);
        if (this.renderer === renderer) this.renderFailed(error);
      },
    );
  };

  private renderFailed(error: unknown): void {
    if (this.dead !== undefined) return;
    this.dead = toWorkerError(error);
    this.stop();
    this.broadcast({ event: 'fatal', payload: this.dead });
  }

  private readonly emit = (event: SimEvent): void => {
    if (event.type === 'frame') {
      const f = event.frame;
      // Frames go to the owner only (cameras live there); they are large, so they are moved, not copied.
      this.post({ event: 'sim', payload: event, anchor_ns: this.anchor_ns }, [
        f.rgb.buffer as ArrayBuffer,
        f.depth_mm.buffer as ArrayBuffer,
        f.segmentation.buffer as ArrayBuffer,
      ]);
    } else {
      this.broadcast({ event: 'sim', payload: event, anchor_ns: this.anchor_ns });
    }
  };

  /** Runs `work`; if it throws, the sim is dead: stop the loop and tell the main thread once. */
  private guarded<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      this.dead = toWorkerError(error);
      this.stop();
      this.broadcast({ event: 'fatal', payload: this.dead });
      throw error;
    }
  }

  private resync(): void {
    this.wallStart_ms = this.now_ms();
    this.simStart_s = this.runner?.engine.sim_time_s ?? 0;
  }

  private schedule(): void {
    this.timer = setTimeout(this.tick, 1);
  }

  private readonly tick = (): void => {
    if (this.runner === undefined) return;
    if (this.pace()) this.schedule();
  };

  /**
   * One real-time pacing step: advance physics to where the wall clock says sim time should be, at
   * most MAX_SLICE_S at a time. Returns false once the simulation is dead.
   */
  pace(): boolean {
    const runner = this.runner;
    if (runner === undefined) return false;
    const wanted = this.simStart_s + ((this.now_ms() - this.wallStart_ms) / 1000) * this.speed;
    let debt = wanted - runner.engine.sim_time_s;
    if (debt > MAX_CATCH_UP_S) {
      // Sim time the loop could not keep up with is skipped, and the anchor moves on with it, so
      // capture times keep tracking the studio clock instead of falling behind for good.
      const skipped_s = debt - MAX_SLICE_S;
      this.lag_s += skipped_s;
      this.simStart_s -= skipped_s;
      this.anchor_ns += BigInt(Math.round(skipped_s * 1e9));
      debt = MAX_SLICE_S;
    }
    if (debt >= runner.engine.timestep_s) {
      try {
        this.guarded(() => runner.advance(Math.min(debt, MAX_SLICE_S), this.emit));
      } catch {
        return false; // reported as fatal; the loop stays stopped
      }
    }
    return true;
  }

  private need(): SimRunner {
    if (this.runner === undefined) throw new Error('the simulation is not initialised');
    return this.runner;
  }
}
