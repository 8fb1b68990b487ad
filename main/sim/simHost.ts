import { SimEngine } from './engine';
import { runExpertEpisode } from './episode';
import { ModelLoadError } from './modelLoader';
import { SimRunner, type SimEvent } from './simRunner';
import type { EpisodeReport, ExpertRun, ExpertRunSummary, SimInit, SimRequest, SimStartInfo, SimWorkerMessage, WorkerError } from './workerProtocol';

export type Post = (message: SimWorkerMessage, transfer?: ArrayBuffer[]) => void;

export function toWorkerError(error: unknown): WorkerError {
  if (error instanceof ModelLoadError) return { name: error.name, message: error.message, file: error.file, kind: error.kind };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Larger gaps than this (a stalled event loop, a debugger) are dropped rather than replayed fast. */
const MAX_CATCH_UP_S = 0.25;
const MAX_SLICE_S = 0.05;

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
  /** Sim time dropped because the loop fell behind (s). */
  lag_s = 0;

  constructor(private readonly post: Post) {}

  async handle(request: SimRequest): Promise<void> {
    try {
      const result = await this.dispatch(request);
      this.post({ id: request.id, ok: true, result });
    } catch (error) {
      this.post({ id: request.id, ok: false, error: toWorkerError(error) });
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async dispatch(request: SimRequest): Promise<unknown> {
    if (this.dead !== undefined && request.op !== 'close') throw new Error(`the simulation stopped after an error: ${this.dead.message}`);
    switch (request.op) {
      case 'init':
        return this.init(request.args);
      case 'close':
        this.stop();
        this.runner?.cameras.dispose();
        this.runner?.engine.dispose();
        this.runner = undefined;
        return null;
      case 'arm':
        return this.need().engine.sendArm(request.args);
      case 'gripper':
        return this.need().engine.sendGripper(request.args);
      case 'addCamera':
        this.need().addCamera(request.args);
        return null;
      case 'removeCamera':
        this.need().removeCamera(request.args);
        return null;
      case 'reset': {
        const runner = this.need();
        const layout = runner.engine.reset(request.args);
        runner.restarted();
        this.resync();
        return layout;
      }
      case 'advance':
        this.guarded(() => this.need().advance(request.args, this.emit));
        return this.need().engine.sim_time_s;
      case 'runExpert':
        return this.runExpert(request.args);
      case 'injectFault':
        this.need().engine.armFault();
        return null;
    }
  }

  private async init(init: SimInit): Promise<SimStartInfo> {
    if (this.runner !== undefined) throw new Error('the simulation is already initialised');
    const engine = await SimEngine.load(init.xml, init.file);
    engine.commandPeriod_s = 1 / init.control_hz;
    const layout = engine.reset(init.seed);
    this.runner = new SimRunner(engine, init.control_hz);
    this.speed = init.speed ?? 1;
    if (init.pacing === 'realtime') {
      this.resync();
      this.schedule();
    }
    return { timestep_s: engine.timestep_s, layout, legend: engine.segmentationLegend() };
  }

  private async runExpert(run: ExpertRun): Promise<ExpertRunSummary> {
    const runner = this.need();
    this.stop();
    const started = performance.now();
    let successes = 0, simTime = 0;
    const first = run.first_episode ?? 0;
    for (let i = first; i < first + run.episodes; i++) {
      const result = this.guarded(() => runExpertEpisode(runner.engine, { episode: i, seed: run.seed, noise: run.noise, control_hz: run.control_hz }));
      const { final: _final, ...report } = result;
      const episode: EpisodeReport = report;
      if (result.success) successes++;
      simTime += result.sim_time_s;
      this.post({ event: 'episode', payload: episode });
      // let a close request in between episodes
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { episodes: run.episodes, successes, wall_ms: performance.now() - started, sim_time_s: simTime };
  }

  private readonly emit = (event: SimEvent): void => {
    if (event.type === 'frame') {
      const f = event.frame;
      this.post({ event: 'sim', payload: event }, [f.rgb.buffer as ArrayBuffer, f.depth_mm.buffer as ArrayBuffer, f.segmentation.buffer as ArrayBuffer]);
    } else {
      this.post({ event: 'sim', payload: event });
    }
  };

  /** Runs `work`; if it throws, the sim is dead: stop the loop and tell the main thread once. */
  private guarded<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      this.dead = toWorkerError(error);
      this.stop();
      this.post({ event: 'fatal', payload: this.dead });
      throw error;
    }
  }

  private resync(): void {
    this.wallStart_ms = performance.now();
    this.simStart_s = this.runner?.engine.sim_time_s ?? 0;
  }

  private schedule(): void {
    this.timer = setTimeout(this.tick, 1);
  }

  private readonly tick = (): void => {
    const runner = this.runner;
    if (runner === undefined) return;
    const wanted = this.simStart_s + ((performance.now() - this.wallStart_ms) / 1000) * this.speed;
    let debt = wanted - runner.engine.sim_time_s;
    if (debt > MAX_CATCH_UP_S) {
      this.lag_s += debt - MAX_SLICE_S;
      this.simStart_s += debt - MAX_SLICE_S;
      debt = MAX_SLICE_S;
    }
    if (debt >= runner.engine.timestep_s) {
      try {
        this.guarded(() => runner.advance(Math.min(debt, MAX_SLICE_S), this.emit));
      } catch {
        return; // reported as fatal; the loop stays stopped
      }
    }
    this.schedule();
  };

  private need(): SimRunner {
    if (this.runner === undefined) throw new Error('the simulation is not initialised');
    return this.runner;
  }
}
