import { CameraRig, type SimCameraImage, type SimCameraSpec } from './cameraRig';
import type { EngineSnapshot, SimEngine } from './engine';

export interface RunnerSnapshot {
  engine: EngineSnapshot;
  nextState_s: number;
  nextFrame_s: Map<string, number>;
}
import type { ArmReading, GripperReading, PrivilegedState } from './simTypes';

export type SimEvent =
  { type: 'state'; arm: ArmReading; gripper: GripperReading; privileged: PrivilegedState } | { type: 'frame'; frame: SimCameraImage };

/**
 * Advances an engine through sim time and says when a state sample (at `state_hz`) or a camera frame
 * (at each camera's fps) is due. Pacing is the caller's business: the worker paces it to the wall
 * clock, tests and data generation call it as fast as they like.
 */
export class SimRunner {
  readonly cameras: CameraRig;
  private nextState_s = 0;
  private readonly nextFrame_s = new Map<string, number>();

  /**
   * `renderElsewhere`: when given, exact-mode cameras are not drawn here; when one of their frames falls
   * due, it is called with the camera's name (at that sim time) to have a render thread draw it.
   */
  constructor(
    readonly engine: SimEngine,
    private readonly state_hz: number,
    private readonly renderElsewhere?: (camera: string) => void,
  ) {
    this.cameras = new CameraRig(engine, (spec) => renderElsewhere === undefined || (spec.mode ?? 'exact') !== 'exact');
  }

  addCamera(spec: SimCameraSpec): void {
    this.cameras.add(spec);
    this.nextFrame_s.set(spec.name, this.engine.sim_time_s);
  }

  removeCamera(name: string): void {
    this.cameras.remove(name);
    this.nextFrame_s.delete(name);
  }

  /** The engine's state and the sample schedule. */
  snapshot(): RunnerSnapshot {
    return { engine: this.engine.snapshot(), nextState_s: this.nextState_s, nextFrame_s: new Map(this.nextFrame_s) };
  }

  /** Back to a snapshot of this scene; the state (and frames) at its time fall due again at once. */
  restore(snapshot: RunnerSnapshot): void {
    this.engine.restore(snapshot.engine);
    const now = this.engine.sim_time_s;
    this.nextState_s = now;
    for (const name of this.nextFrame_s.keys()) this.nextFrame_s.set(name, now);
  }

  /** After `engine.reset`: restart the schedule at sim time 0 and re-read object colours. */
  restarted(): void {
    this.nextState_s = 0;
    for (const name of this.nextFrame_s.keys()) this.nextFrame_s.set(name, 0);
    this.cameras.refreshColours();
  }

  /** Runs physics for `seconds`, emitting every sample that falls due, in time order. */
  advance(seconds: number, emit: (event: SimEvent) => void): void {
    const engine = this.engine;
    const dt = engine.timestep_s;
    const end_s = engine.sim_time_s + seconds - dt / 2;
    while (engine.sim_time_s < end_s) {
      this.emitDue(emit);
      let next = this.nextState_s;
      for (const t of this.nextFrame_s.values()) next = Math.min(next, t);
      const until = Math.min(next, end_s + dt / 2);
      engine.step(Math.max(1, Math.round((until - engine.sim_time_s) / dt)));
    }
    this.emitDue(emit);
  }

  private emitDue(emit: (event: SimEvent) => void): void {
    const now = this.engine.sim_time_s + 1e-9;
    if (now >= this.nextState_s) {
      emit({ type: 'state', arm: this.engine.armReading(), gripper: this.engine.gripperReading(), privileged: this.engine.privileged() });
      this.nextState_s = nextDue(this.nextState_s, 1 / this.state_hz, now);
    }
    for (const [name, due] of this.nextFrame_s) {
      if (now < due) continue;
      const spec = this.cameras.spec(name);
      if (spec === undefined) continue;
      if (this.cameras.draws(name)) emit({ type: 'frame', frame: this.cameras.render(name) });
      else this.renderElsewhere?.(name);
      this.nextFrame_s.set(name, nextDue(due, 1 / spec.fps_hz, now));
    }
  }
}

/** The next sample time on the grid; a sample that is already late is skipped, not bunched up. */
function nextDue(due_s: number, period_s: number, now_s: number): number {
  const next = due_s + period_s;
  return next > now_s ? next : now_s + period_s;
}
