import { SimEngine } from '../../sim/engine';
import { quaternionFromRotation } from '../../../shared/robot/rotation';
import { DEFAULT_SCENE_NAME, DEFAULT_SCENE_XML } from '../../sim/sceneXml';
import type { ArmCommand, GripperCommand, Mat4 } from '../types';
import type { DeoxysSimBackend, SimArmTarget, SimGripperTarget, SimRobotState } from './simBackend';

export interface MujocoBackendOptions {
  /** MJCF text (default: the built-in Franka scene); `file` names it in MuJoCo's errors. */
  xml?: string;
  file?: string;
  /** Scene layout seed (cube pose and colour, target), as `studio sim expert` uses it. */
  seed?: number;
  /**
   * Time over which an OSC goal is ramped: deoxys's LINEAR_POSE interpolator reaches the goal in
   * `traj_interpolator_time_fraction` (0.3) of the policy period (50 ms), i.e. 15 ms. The engine
   * stretches the ramp to stay under 1 m/s and 2 rad/s.
   */
  osc_ramp_s?: number;
  /** A longer gap between steps (a stalled event loop) is not replayed; the rest is dropped. */
  max_catch_up_s?: number;
}

export interface MujocoBackendStats {
  /** Sim time now (s). */
  sim_time_s: number;
  /** Wall time dropped because a step came later than `max_catch_up_s` (s). */
  dropped_s: number;
  steps: number;
  /** Physics cost of the last 200 `step` calls, ms: median and worst. */
  step_ms_p50: number;
  step_ms_max: number;
  /** Commands the engine clipped (workspace box, joint limits, gripper force), and the last reasons. */
  clipped_commands: number;
  last_clip_reasons: string[];
}

const TIMING_WINDOW = 200;

/** Column-major 4×4 → position and row-major 3×3 rotation (the sim's convention). */
function poseOf(m: Mat4): { position_m: [number, number, number]; rotation: number[] } {
  const at = (row: number, column: number): number => m[column * 4 + row] ?? 0;
  return {
    position_m: [at(0, 3), at(1, 3), at(2, 3)],
    rotation: [at(0, 0), at(0, 1), at(0, 2), at(1, 0), at(1, 1), at(1, 2), at(2, 0), at(2, 1), at(2, 2)],
  };
}

/**
 * The simulated NUC's robot, in MuJoCo physics: the studio's Franka rig (`SimEngine`: 1 kHz physics,
 * joint impedance with gravity compensation, the 100 Hz Cartesian/joint controller, the force-limited
 * hand and the cube). It runs on the caller's thread: `step(dt_s)` advances physics by the wall time
 * the server measured since the previous step, so sim time tracks the clock and every published state
 * is fresh physics. OSC goals (absolute TCP poses, deltas already resolved by the server) become
 * `ee_pose` commands, joint targets `joint_position`, hold a joint target at the measured q.
 */
export class MujocoFrankaBackend implements DeoxysSimBackend {
  private debt_s = 0;
  private dropped_s = 0;
  private readonly timings_ms: number[] = [];
  private clipped = 0;
  private lastClipReasons: string[] = [];
  private readonly maxCatchUp_s: number;
  private disposed = false;
  private final: MujocoBackendStats | undefined;

  static async create(options: MujocoBackendOptions = {}): Promise<MujocoFrankaBackend> {
    const engine = await SimEngine.load(options.xml ?? DEFAULT_SCENE_XML, options.file ?? DEFAULT_SCENE_NAME);
    return new MujocoFrankaBackend(engine, options);
  }

  constructor(
    readonly engine: SimEngine,
    options: MujocoBackendOptions = {},
  ) {
    engine.reset(options.seed ?? 0);
    engine.commandPeriod_s = options.osc_ramp_s ?? 0.3 * 0.05;
    this.maxCatchUp_s = options.max_catch_up_s ?? 0.1;
  }

  step(dt_s: number, commands: { arm?: SimArmTarget; gripper?: SimGripperTarget }): void {
    if (this.disposed) return;
    const started = performance.now();
    if (commands.arm !== undefined) this.sendArm(commands.arm);
    if (commands.gripper !== undefined) this.sendGripper(commands.gripper);
    let wall_s = Math.max(0, dt_s);
    if (wall_s > this.maxCatchUp_s) {
      this.dropped_s += wall_s - this.maxCatchUp_s;
      wall_s = this.maxCatchUp_s;
    }
    this.debt_s += wall_s;
    const timestep_s = this.engine.timestep_s;
    const steps = Math.floor(this.debt_s / timestep_s + 1e-9);
    if (steps > 0) {
      this.debt_s -= steps * timestep_s;
      this.engine.step(steps);
    }
    this.timings_ms.push(performance.now() - started);
    if (this.timings_ms.length > TIMING_WINDOW) this.timings_ms.shift();
  }

  state(): SimRobotState {
    const arm = this.engine.armReading();
    const gripper = this.engine.gripperReading();
    return {
      arm: { q_rad: arm.q_rad, dq_rad_s: arm.dq_rad_s, tau_nm: arm.tau_nm, base_from_ee: arm.base_from_ee },
      gripper: { width_m: gripper.width_m, max_width_m: gripper.max_width_m, is_grasped: gripper.is_grasped },
    };
  }

  stats(): MujocoBackendStats {
    if (this.final !== undefined) return this.final;
    const sorted = [...this.timings_ms].sort((a, b) => a - b);
    return {
      sim_time_s: this.engine.sim_time_s,
      dropped_s: this.dropped_s,
      steps: this.engine.steps,
      step_ms_p50: sorted[Math.floor(sorted.length / 2)] ?? 0,
      step_ms_max: sorted[sorted.length - 1] ?? 0,
      clipped_commands: this.clipped,
      last_clip_reasons: this.lastClipReasons,
    };
  }

  /** Frees the wasm model and data; later steps do nothing and `stats()` keeps the last figures. */
  dispose(): void {
    if (this.disposed) return;
    this.final = this.stats();
    this.disposed = true;
    this.engine.dispose();
  }

  private sendArm(target: SimArmTarget): void {
    let command: ArmCommand;
    switch (target.kind) {
      case 'hold':
        // NO_CONTROL or a stopped node: stay where the arm is now.
        command = { kind: 'joint_position', q_rad: this.engine.armReading().q_rad };
        break;
      case 'joint_position':
        command = { kind: 'joint_position', q_rad: target.q_rad };
        break;
      case 'ee_pose': {
        const { position_m, rotation } = poseOf(target.base_from_ee);
        command = { kind: 'ee_pose', position_m, quaternion_wxyz: quaternionFromRotation(rotation) };
        break;
      }
    }
    const sent = this.engine.sendArm(command);
    this.noteClip(sent.clip_reasons);
  }

  private sendGripper(target: SimGripperTarget): void {
    let command: GripperCommand;
    switch (target.kind) {
      case 'move':
        command = { kind: 'move', width_m: target.width_m, speed_m_s: target.speed_m_s };
        break;
      case 'grasp':
        command = {
          kind: 'grasp',
          width_m: target.width_m,
          speed_m_s: target.speed_m_s,
          force_n: target.force_n,
          epsilon_inner_m: target.epsilon_inner_m,
          epsilon_outer_m: target.epsilon_outer_m,
        };
        break;
      case 'stop':
      case 'homing':
        command = { kind: target.kind };
        break;
    }
    this.noteClip(this.engine.sendGripper(command).clip_reasons);
  }

  private noteClip(reasons: readonly string[]): void {
    if (reasons.length === 0) return;
    this.clipped++;
    this.lastClipReasons = [...reasons];
  }
}
