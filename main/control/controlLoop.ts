import type { SafetyConfig } from '../../shared/rig/rigConfig';
import type { Unsubscribe } from '../../shared/api/transport';
import type { Arm, ArmCommand, Clock, Gripper, GripperCommand, SentAction, Teleop } from '../devices/types';
import { limitArmCommand, limitGripperCommand } from './safety';
import { DEFAULT_MAPPER, mapTeleop, type MapperConfig, type MappedIntent } from './teleopMapper';

/** One control cycle, as the recorder stores it: what the operator asked, what safety let through, what the arm took. */
export interface CycleRecord {
  t_ns: bigint;
  index: number;
  teleop_age_ms: number | null;
  intent: MappedIntent | null;
  /** After the safety layer. */
  safe: SentAction<ArmCommand>;
  /** What the arm driver reports it really sent (its own clipping included). */
  executed: SentAction<ArmCommand>;
  gripper: SentAction<GripperCommand> | null;
  estopped: boolean;
}

export interface ControlLoopOptions {
  arm: Arm;
  gripper?: Gripper;
  teleop: Teleop;
  safety: SafetyConfig;
  mapper?: MapperConfig;
  rate_hz: number;
  clock: Clock;
  /** Gripper closing force for teleop grasps. */
  grasp_force_n?: number;
}

export interface LoopStats {
  cycles: number;
  /** |actual start − scheduled start| of each cycle, in ms. */
  jitter_ms_p50: number;
  jitter_ms_p99: number;
  overruns: number;
}

const ZERO: ArmCommand = { kind: 'ee_delta', translation_m: [0, 0, 0], rotation_axis_angle_rad: [0, 0, 0] };

/**
 * The teleop control loop: read teleop → one shared mapper → safety → send → hand the cycle to
 * listeners (the recorder). Runs at a fixed rate on a drift-free schedule; `cycle()` runs one step
 * for tests and for callers that own the timing. The e-stop latches: from the next cycle (or at once,
 * via `estop()`) the arm gets zero motion and the gripper a stop, until released.
 */
export class ControlLoop {
  private index = 0;
  private estopped = false;
  private gripperClosed: boolean | null = null;
  private readonly listeners = new Set<(cycle: CycleRecord) => void>();
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly jitters: number[] = [];
  private overruns = 0;
  readonly period_s: number;

  constructor(private readonly options: ControlLoopOptions) {
    this.period_s = 1 / options.rate_hz;
  }

  onCycle(listener: (cycle: CycleRecord) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isEstopped(): boolean {
    return this.estopped;
  }

  /** Stops motion now, without waiting for the next cycle; stays stopped until `releaseEstop()`. */
  async estop(): Promise<void> {
    this.estopped = true;
    await Promise.all([this.options.arm.sendAction(ZERO), this.options.gripper?.sendAction({ kind: 'stop' })]);
  }

  releaseEstop(): void {
    this.estopped = false;
  }

  async cycle(): Promise<CycleRecord> {
    const { arm, gripper, teleop, safety, clock } = this.options;
    const t_ns = clock.now_ns();
    const armState = arm.latest();
    const input = teleop.latest();
    const teleopAgeMs = input === undefined ? null : Number(t_ns - input.capture_ns) / 1e6;
    const intent = input !== undefined && armState !== undefined ? mapTeleop(input, armState.ee_quaternion_wxyz, this.period_s, this.options.mapper ?? DEFAULT_MAPPER) : null;
    const requested = intent?.arm ?? ZERO;
    const safe = limitArmCommand(requested, safety, {
      period_s: this.period_s,
      ee_position_m: armState?.ee_position_m ?? [0, 0, 0],
      ...(armState !== undefined ? { q_rad: armState.q_rad } : {}),
      // No teleop input at all is as stale as it gets.
      teleop_age_ms: teleopAgeMs ?? Number.POSITIVE_INFINITY,
      estopped: this.estopped,
    });
    if (armState === undefined && !safe.clip_reasons.includes('e-stop engaged')) {
      safe.sent = ZERO;
      safe.clipped = true;
      safe.clip_reasons.push('no arm state yet');
    }
    const executed = await arm.sendAction(safe.sent);
    const gripperResult = await this.driveGripper(gripper, intent?.gripper, teleopAgeMs);
    const record: CycleRecord = { t_ns, index: this.index++, teleop_age_ms: teleopAgeMs, intent, safe, executed: { ...executed, requested }, gripper: gripperResult, estopped: this.estopped };
    for (const listener of this.listeners) listener(record);
    return record;
  }

  /** Runs cycles at `rate_hz` until `stop()`, scheduling each from the ideal grid so errors never accumulate. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const periodNs = BigInt(Math.round(this.period_s * 1e9));
    let next = this.options.clock.now_ns();
    const fire = async () => {
      if (!this.running) return;
      const now = this.options.clock.now_ns();
      this.jitters.push(Math.abs(Number(now - next)) / 1e6);
      if (this.jitters.length > 10_000) this.jitters.splice(0, 5_000);
      await this.cycle();
      next += periodNs;
      const after = this.options.clock.now_ns();
      if (after > next) {
        this.overruns += 1;
        while (next < after) next += periodNs;
      }
      if (this.running) this.timer = setTimeout(() => void fire(), Number(next - after) / 1e6);
    };
    void fire();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  stats(): LoopStats {
    const sorted = [...this.jitters].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return { cycles: this.index, jitter_ms_p50: at(0.5), jitter_ms_p99: at(0.99), overruns: this.overruns };
  }

  /** Sends the gripper only on a change of intent (open ↔ closed), never for stale input. */
  private async driveGripper(gripper: Gripper | undefined, value: number | undefined, ageMs: number | null): Promise<SentAction<GripperCommand> | null> {
    if (gripper === undefined) return null;
    if (this.estopped) return limitGripperCommand({ kind: 'stop' }, this.options.safety, true);
    if (value === undefined || ageMs === null || ageMs > this.options.safety.teleop_timeout_ms) return null;
    const close = value >= 0.5;
    if (close === this.gripperClosed) return null;
    this.gripperClosed = close;
    const command: GripperCommand = close
      ? { kind: 'grasp', width_m: 0, speed_m_s: 0.1, force_n: this.options.grasp_force_n ?? 40, epsilon_inner_m: 0.08, epsilon_outer_m: 0.08 }
      : { kind: 'move', width_m: gripper.latest()?.max_width_m ?? 0.08, speed_m_s: 0.1 };
    const safe = limitGripperCommand(command, this.options.safety, false);
    const executed = await gripper.sendAction(safe.sent);
    return { ...executed, requested: command, clipped: safe.clipped || executed.clipped, clip_reasons: [...safe.clip_reasons, ...executed.clip_reasons] };
  }
}
