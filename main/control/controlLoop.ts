import type { SafetyConfig } from '../../shared/rig/rigConfig';
import type { Unsubscribe } from '../../shared/api/transport';
import { Emitter } from '../../shared/base/emitter';
import { rotationErrorAxisAngle, rotationFromAxisAngle, rotationFromQuaternion, rotationMultiply } from '../../shared/robot/rotation';
import type { Arm, ArmCommand, ArmState, Clock, Gripper, GripperCommand, GripperState, SentAction, Teleop, Vec3 } from '../devices/types';
import type { PrivilegedState } from '../sim/simTypes';
import { ZERO_DELTA, type ActionSource, type SourceKind, type SourceLabels, type SourceStep } from './actionSource';
import { limitArmCommand, limitGripperCommand } from './safety';
import { TeleopSource } from './teleopSource';
import type { MapperConfig, MappedIntent } from './teleopMapper';

/**
 * One control cycle, as the recorder stores it: what the source asked, what safety let through, what
 * the arm took, and the state and gripper intent the cycle used — so a recording is a pure function
 * of the cycle stream (`recording/cycleSample.ts`), never a re-join with mirrored device state.
 */
export interface CycleRecord {
  t_ns: bigint;
  /** When the arm took the command (its sendAction resolved: on the wire for a network arm). */
  sent_ns: bigint;
  index: number;
  /** What started the cycle: the fixed-rate schedule, a fresh teleop report, or a direct call. */
  trigger: CycleTrigger;
  /** For a tick: |start − scheduled start| in ms (the loop's jitter); null for other triggers. */
  tick_jitter_ms: number | null;
  teleop_age_ms: number | null;
  intent: MappedIntent | null;
  /** After the safety layer. */
  safe: SentAction<ArmCommand>;
  /** What the arm really took: the driver's own clipping on top of safety's, with every reason. */
  executed: SentAction<ArmCommand>;
  gripper: SentAction<GripperCommand> | null;
  estopped: boolean;
  /** Which kind of source proposed this cycle's command. */
  source: SourceKind;
  /** The arm state the cycle acted on (null before the arm's first state). */
  arm_state: ArmState | null;
  gripper_state: GripperState | null;
  /** The gripper intent in force after this cycle, 0 open … 1 closed (the last element of a recorded action). */
  gripper_intent: number;
  /** The source's labels for its step (a scripted policy's phase, exploration, target). */
  labels?: SourceLabels;
  /** What else happened this cycle (a phase change). */
  events?: readonly Record<string, unknown>[];
  /** Simulator ground truth read with `arm_state` (simulated rigs only). */
  privileged?: PrivilegedState;
}

export type CycleTrigger = 'tick' | 'input' | 'call';

export interface ControlLoopOptions {
  arm: Arm;
  gripper?: Gripper;
  /** What proposes the commands; `setSource` swaps it. Give this or `teleop`. */
  source?: ActionSource;
  /** Teleop devices, as a `TeleopSource` through `mapper` (the default source). */
  teleop?: Teleop;
  safety: SafetyConfig;
  /** Simulator ground truth, read with the arm state each cycle, for the record. */
  groundTruth?: () => PrivilegedState | undefined;
  mapper?: MapperConfig;
  rate_hz: number;
  clock: Clock;
  /** Gripper closing force for teleop grasps. */
  grasp_force_n?: number;
  /** Joint limits, for joint-space teleop (leader arms). */
  q_min_rad?: readonly number[];
  q_max_rad?: readonly number[];
  /**
   * Run a cycle as soon as a teleop report arrives, not only on the next tick, so a report reaches the
   * arm within about a millisecond rather than up to a period later (default true). Cycles started by
   * input are at least `input_min_gap_ms` apart (default 2 ms), which bounds the command rate.
   */
  react_to_input?: boolean;
  input_min_gap_ms?: number;
  /**
   * Sleep the last stretch before each tick with `Atomics.wait`, which wakes within tens of
   * microseconds where timers wake up to a millisecond late. It blocks the thread, so only for a
   * thread that does nothing but control (the control worker).
   */
  precise_wait?: boolean;
  /**
   * With `precise_wait`: a shared counter other threads bump (and `Atomics.notify`) right after they
   * post this thread a message, so a message never waits out the precise stretch (see `wakeFor`).
   */
  wake?: Int32Array;
}

/** The sending side of `ControlLoopOptions.wake`: call right after posting the loop's thread a message. */
export function wakeFor(cell: Int32Array): void {
  Atomics.add(cell, 0, 1);
  Atomics.notify(cell, 0);
}

interface Prepared {
  t_ns: bigint;
  trigger: CycleTrigger;
  tick_jitter_ms: number | null;
  teleopAgeMs: number | null;
  intent: MappedIntent | null;
  requested: ArmCommand;
  safe: SentAction<ArmCommand>;
  step: SourceStep | null;
  armState: ArmState | undefined;
  privileged: PrivilegedState | undefined;
  /** The source that proposed this cycle's command (a swap after preparing does not relabel it). */
  source: SourceKind;
}

export interface LoopStats {
  cycles: number;
  /** Commands replaced by a newer one before they could be sent. */
  superseded: number;
  /** |actual start − scheduled start| of each cycle, in ms. */
  jitter_ms_p50: number;
  jitter_ms_p99: number;
  overruns: number;
  /** Cycles started by a teleop report rather than the schedule. */
  input_cycles: number;
}

const ZERO: ArmCommand = ZERO_DELTA;
/** How many recent ticks the jitter figures cover. */
const JITTER_WINDOW = 10_000;
/** How much of each period `precise_wait` sleeps with Atomics.wait instead of a timer. */
const PRECISE_WAIT_MS = 1.5;
/** How far the commanded target may run ahead of the measured end effector. */
const MAX_LEAD_M = 0.05;
const MAX_LEAD_RAD = 0.3;

/**
 * The control loop: ask the action source for a step (teleop through the one mapper, the scripted
 * expert, a policy, an approved chunk) → safety → send → hand the cycle to listeners (the recorder).
 * Runs at a fixed rate on a drift-free schedule; `cycle()` runs one step for tests and for callers that
 * own the timing (a simulation stepped as fast as it goes). The e-stop latches: from the next cycle
 * (or at once, via `estop()`) the arm gets zero motion and the gripper a stop, until released — for
 * every source alike.
 */
export class ControlLoop {
  private index = 0;
  private estopped = false;
  private gripperClosed: boolean | null = null;
  /** The last gripper intent any source expressed (0 open … 1 closed). */
  private gripperIntent = 0;
  private source: ActionSource;
  private readonly cycles = new Emitter<CycleRecord>();
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  /** The last JITTER_WINDOW tick jitters (ms), in a ring: nothing allocated per tick. */
  private readonly jitters = new Float64Array(JITTER_WINDOW);
  private jitterCount = 0;
  private overruns = 0;
  private superseded = 0;
  private inputCycles = 0;
  private inflight = false;
  private stopped = false;
  /** The command on its way, if any (settles, never rejects). */
  private sending: Promise<unknown> = Promise.resolve();
  /** When the last cycle was prepared: input-triggered cycles keep their distance, and motion integrates over the real gap. */
  private lastPrepared_ns: bigint | undefined;
  private inputTimer: ReturnType<typeof setTimeout> | undefined;
  private offInput: (() => void) | undefined;
  private readonly wake: Int32Array;
  /** The wake counter when this thread last went back to its event loop. */
  private wakeSeen = 0;
  /** Where Cartesian teleop wants the end effector; follows the arm when idle, e-stopped or joint-driven. */
  private target: { position: Vec3; rotation: number[] } | null = null;
  private pending: { prepared: Prepared; resolve: (record: CycleRecord | null) => void } | undefined;
  /** Failures of a cycle running on the schedule (a device that stopped answering). */
  onError: ((error: Error) => void) | undefined;
  readonly period_s: number;

  constructor(private readonly options: ControlLoopOptions) {
    this.period_s = 1 / options.rate_hz;
    this.wake = options.wake ?? new Int32Array(new SharedArrayBuffer(4));
    const source = options.source ?? (options.teleop !== undefined ? new TeleopSource(options.teleop, options.mapper) : undefined);
    if (source === undefined) throw new Error('the control loop needs an action source (or teleop devices)');
    this.source = source;
  }

  /**
   * Drives the arm from another source from the next cycle on (same safety, same e-stop). The
   * target pose restarts from the measured arm, so nothing a previous source integrated carries over.
   */
  setSource(source: ActionSource, reset?: { gripper_intent: number }): void {
    this.source = source;
    this.target = null;
    // A new episode (the gripper opened by a reset): the intent and the open/closed memory start over.
    if (reset !== undefined) {
      this.gripperIntent = reset.gripper_intent;
      this.gripperClosed = null;
    }
    if (this.running && this.options.react_to_input !== false) {
      this.offInput?.();
      this.offInput = source.onInput?.(this.onInput);
    }
  }

  get actionSource(): ActionSource {
    return this.source;
  }

  onCycle(listener: (cycle: CycleRecord) => void): Unsubscribe {
    return this.cycles.event(listener);
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

  /**
   * One control step. The command goes out at once unless the previous one is still on its way (a
   * busy simulator, a slow link); then it waits in a one-deep mailbox where a newer command replaces
   * it, as a real-time controller keeps only the newest target. Resolves with the cycle's record
   * when sent, or null when a newer cycle superseded it.
   */
  cycle(trigger: CycleTrigger = 'call', tick_jitter_ms: number | null = null): Promise<CycleRecord | null> {
    if (this.stopped) return Promise.resolve(null);
    const prepared = { ...this.prepare(trigger), tick_jitter_ms };
    if (this.inflight) {
      if (this.pending !== undefined) {
        this.superseded += 1;
        this.pending.resolve(null);
      }
      return new Promise((resolve) => {
        this.pending = { prepared, resolve };
      });
    }
    const sent = this.send(prepared);
    this.sending = sent.then(
      () => undefined,
      () => undefined,
    );
    return sent;
  }

  /**
   * Cartesian teleop drives a target pose that moves at the operator's (limited) speed; the arm is
   * commanded towards it, never more than MAX_LEAD away. Sending bare per-period deltas from the
   * measured pose would make the speed depend on the controller's tracking lag. Leader arms (GELLO)
   * send joint targets, which go to the arm directly after the joint limits.
   */
  private prepare(trigger: CycleTrigger): Omit<Prepared, 'tick_jitter_ms'> {
    const { arm, safety, clock } = this.options;
    const t_ns = clock.now_ns();
    // Motion integrates over the real time since the last cycle (ticks and input-triggered cycles
    // interleave), bounded so a stall never turns into a jump.
    const dt_s =
      this.lastPrepared_ns === undefined
        ? this.period_s
        : Math.min(2 * this.period_s, Math.max(0, Number(t_ns - this.lastPrepared_ns) / 1e9));
    this.lastPrepared_ns = t_ns;
    const armState = arm.latest();
    const privileged = this.options.groundTruth?.();
    const base = { t_ns, trigger, armState, privileged, source: this.source.kind };
    const context = {
      period_s: dt_s,
      ...(armState !== undefined ? { q_rad: armState.q_rad } : {}),
      ...(this.options.q_min_rad !== undefined ? { q_min_rad: this.options.q_min_rad } : {}),
      ...(this.options.q_max_rad !== undefined ? { q_max_rad: this.options.q_max_rad } : {}),
      estopped: this.estopped,
    };
    if (armState === undefined) {
      this.target = null;
      const teleopAgeMs = this.source.kind === 'teleop' ? inputAge(this.options.teleop, t_ns) : null;
      return {
        ...base,
        teleopAgeMs,
        intent: null,
        requested: ZERO,
        step: null,
        safe: { requested: ZERO, sent: ZERO, clipped: true, clip_reasons: [this.estopped ? 'e-stop engaged' : 'no arm state yet'] },
      };
    }
    const step = this.source.next({ t_ns, arm: armState, gripper: this.options.gripper?.latest(), period_s: dt_s });
    const teleopAgeMs = step.input_age_ms ?? null;
    // An operator-fed source with no input at all is as stale as it gets; other sources never go stale.
    const staleness = step.input_age_ms === undefined ? {} : { teleop_age_ms: step.input_age_ms ?? Number.POSITIVE_INFINITY };
    const intent = step.intent ?? null;
    const requested = step.arm;
    if (step.mode === 'command') {
      // Sent as it is after safety (a delta from the measured pose, an absolute goal, joint targets).
      // Its step limit is per command period, not per (possibly tiny) gap since the last cycle, or a
      // tick right after an input cycle would brake the arm to a halt.
      this.target = null;
      return {
        ...base,
        teleopAgeMs,
        intent,
        requested,
        step,
        safe: limitArmCommand(requested, safety, {
          ...context,
          ...staleness,
          period_s: this.period_s,
          ee_position_m: armState.ee_position_m,
        }),
      };
    }
    const measured = { position: armState.ee_position_m, rotation: rotationFromQuaternion(armState.ee_quaternion_wxyz) };
    if (this.target === null || this.estopped) this.target = { position: [...measured.position], rotation: measured.rotation };
    const target = this.target;
    // Speed, workspace box, staleness and the e-stop act on how the target moves.
    const limited = limitArmCommand(requested, safety, { ...context, ...staleness, ee_position_m: target.position });
    const reasons = [...limited.clip_reasons];
    if (limited.sent.kind === 'ee_delta') {
      const { translation_m, rotation_axis_angle_rad } = limited.sent;
      target.position = [
        target.position[0] + translation_m[0],
        target.position[1] + translation_m[1],
        target.position[2] + translation_m[2],
      ];
      target.rotation = rotationMultiply(rotationFromAxisAngle(rotation_axis_angle_rad), target.rotation);
    }
    let lead: Vec3 = [
      target.position[0] - measured.position[0],
      target.position[1] - measured.position[1],
      target.position[2] - measured.position[2],
    ];
    const leadNorm = Math.hypot(...lead);
    if (leadNorm > MAX_LEAD_M) {
      lead = [(lead[0] * MAX_LEAD_M) / leadNorm, (lead[1] * MAX_LEAD_M) / leadNorm, (lead[2] * MAX_LEAD_M) / leadNorm];
      target.position = [measured.position[0] + lead[0], measured.position[1] + lead[1], measured.position[2] + lead[2]];
      reasons.push('target too far ahead of the arm');
    }
    let turn = rotationErrorAxisAngle(target.rotation, measured.rotation);
    const turnNorm = Math.hypot(...turn);
    if (turnNorm > MAX_LEAD_RAD) {
      turn = [(turn[0] * MAX_LEAD_RAD) / turnNorm, (turn[1] * MAX_LEAD_RAD) / turnNorm, (turn[2] * MAX_LEAD_RAD) / turnNorm];
      target.rotation = rotationMultiply(rotationFromAxisAngle(turn), measured.rotation);
      reasons.push('target turned too far ahead of the arm');
    }
    const sent: ArmCommand = { kind: 'ee_delta', translation_m: lead, rotation_axis_angle_rad: turn };
    return { ...base, teleopAgeMs, intent, requested, step, safe: { requested, sent, clipped: reasons.length > 0, clip_reasons: reasons } };
  }

  private async send(prepared: Prepared): Promise<CycleRecord> {
    this.inflight = true;
    try {
      const { t_ns, trigger, tick_jitter_ms, teleopAgeMs, intent, requested, step, armState, privileged } = prepared;
      // An e-stop that arrived while this command waited wins over it.
      const safe =
        this.estopped && !prepared.safe.clip_reasons.includes('e-stop engaged')
          ? { requested, sent: ZERO, clipped: true, clip_reasons: ['e-stop engaged'] }
          : prepared.safe;
      const driver = await this.options.arm.sendAction(safe.sent);
      const sent_ns = this.options.clock.now_ns();
      const executed: SentAction<ArmCommand> = {
        requested,
        sent: driver.sent,
        clipped: safe.clipped || driver.clipped,
        clip_reasons: [...safe.clip_reasons, ...driver.clip_reasons],
      };
      const gripperResult = await this.driveGripper(this.options.gripper, step, teleopAgeMs);
      if (trigger === 'input') this.inputCycles += 1;
      const record: CycleRecord = {
        t_ns,
        sent_ns,
        index: this.index++,
        trigger,
        tick_jitter_ms,
        teleop_age_ms: teleopAgeMs,
        intent,
        safe,
        executed,
        gripper: gripperResult,
        estopped: this.estopped,
        source: prepared.source,
        arm_state: armState ?? null,
        gripper_state: this.options.gripper?.latest() ?? null,
        gripper_intent: this.gripperIntent,
        ...(step?.labels !== undefined ? { labels: step.labels } : {}),
        ...(step?.events !== undefined && step.events.length > 0 ? { events: step.events } : {}),
        ...(privileged !== undefined ? { privileged } : {}),
      };
      this.cycles.fire(record);
      return record;
    } finally {
      this.inflight = false;
      const next = this.pending;
      this.pending = undefined;
      if (next !== undefined) {
        // A stopped loop sends nothing more: the devices may be disconnecting.
        if (this.stopped) next.resolve(null);
        else {
          this.sending = this.send(next.prepared).then(next.resolve, (error: unknown) => {
            next.resolve(null);
            this.onError?.(error as Error);
          });
        }
      }
    }
  }

  /**
   * Runs cycles at `rate_hz` until `stop()`, scheduling each from the ideal grid so errors never
   * accumulate; with `react_to_input`, a teleop report also starts a cycle at once.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    const { clock, precise_wait } = this.options;
    const periodNs = BigInt(Math.round(this.period_s * 1e9));
    let next = clock.now_ns();
    const fire = () => {
      if (!this.running) return;
      if (precise_wait === true) {
        // A message posted to this thread (input, an e-stop) goes first: back to the event loop, then here.
        const seen = Atomics.load(this.wake, 0);
        if (seen !== this.wakeSeen) {
          this.wakeSeen = seen;
          this.immediate = setImmediate(fire);
          return;
        }
        const early_ms = Number(next - clock.now_ns()) / 1e6;
        if (early_ms > 0 && Atomics.wait(this.wake, 0, seen, early_ms) !== 'timed-out') {
          this.wakeSeen = Atomics.load(this.wake, 0);
          this.immediate = setImmediate(fire);
          return;
        }
      }
      const jitter_ms = Math.abs(Number(clock.now_ns() - next)) / 1e6;
      this.jitters[this.jitterCount++ % JITTER_WINDOW] = jitter_ms;
      this.run('tick', jitter_ms);
      next += periodNs;
      const after = clock.now_ns();
      if (after > next) {
        this.overruns += 1;
        while (next < after) next += periodNs;
      }
      const wait_ms = Number(next - after) / 1e6 - (precise_wait === true ? PRECISE_WAIT_MS : 0);
      if (this.running) this.timer = setTimeout(fire, Math.max(0, wait_ms));
    };
    if (this.options.react_to_input !== false) this.offInput = this.source.onInput?.(this.onInput);
    fire();
  }

  /**
   * Stops the schedule and input reactions for good: a command waiting in the mailbox is dropped and
   * nothing more is sent. `drained()` resolves once a command already on its way has been taken.
   */
  stop(): void {
    this.stopped = true;
    const waiting = this.pending;
    this.pending = undefined;
    waiting?.resolve(null);
    this.running = false;
    clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    clearTimeout(this.inputTimer);
    this.inputTimer = undefined;
    this.offInput?.();
    this.offInput = undefined;
  }

  private run(trigger: CycleTrigger, tick_jitter_ms: number | null = null): void {
    void this.cycle(trigger, tick_jitter_ms).catch((error: unknown) => this.onError?.(error as Error));
  }

  /** A fresh teleop report: a cycle now, or as soon as the minimum gap since the last one allows. */
  private readonly onInput = (): void => {
    if (!this.running || this.inputTimer !== undefined) return;
    const gap_ns = BigInt(Math.round((this.options.input_min_gap_ms ?? 2) * 1e6));
    const wait_ns = this.lastPrepared_ns === undefined ? 0n : this.lastPrepared_ns + gap_ns - this.options.clock.now_ns();
    if (wait_ns <= 0n) {
      this.run('input');
      return;
    }
    this.inputTimer = setTimeout(
      () => {
        this.inputTimer = undefined;
        if (this.running) this.run('input');
      },
      Number(wait_ns) / 1e6,
    );
  };

  /** Resolves when no command is on its way (after `stop()`, before disconnecting the devices). */
  async drained(): Promise<void> {
    await this.sending;
  }

  stats(): LoopStats {
    const sorted = this.jitters.slice(0, Math.min(this.jitterCount, JITTER_WINDOW)).sort();
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return {
      cycles: this.index,
      superseded: this.superseded,
      jitter_ms_p50: at(0.5),
      jitter_ms_p99: at(0.99),
      overruns: this.overruns,
      input_cycles: this.inputCycles,
    };
  }

  /**
   * Sends the gripper only on a change of intent (open ↔ closed), never for stale input; a source's own
   * gripper command (the expert's grasp) is sent as it is, after safety. The e-stop sends a stop.
   */
  private async driveGripper(
    gripper: Gripper | undefined,
    step: SourceStep | null,
    ageMs: number | null,
  ): Promise<SentAction<GripperCommand> | null> {
    const wanted = step?.gripper;
    const stale = step?.input_age_ms !== undefined && (ageMs === null || ageMs > this.options.safety.teleop_timeout_ms);
    if (wanted !== undefined) this.gripperIntent = wanted.intent;
    if (gripper === undefined) return null;
    if (this.estopped) return limitGripperCommand({ kind: 'stop' }, this.options.safety, true);
    if (wanted === undefined || stale) return null;
    const close = wanted.intent >= 0.5;
    if (wanted.command === undefined && close === this.gripperClosed) return null;
    this.gripperClosed = close;
    const command: GripperCommand =
      wanted.command ??
      (close
        ? {
            kind: 'grasp',
            width_m: 0,
            speed_m_s: 0.1,
            force_n: this.options.grasp_force_n ?? 40,
            epsilon_inner_m: 0.08,
            epsilon_outer_m: 0.08,
          }
        : { kind: 'move', width_m: gripper.latest()?.max_width_m ?? 0.08, speed_m_s: 0.1 });
    const safe = limitGripperCommand(command, this.options.safety, false);
    const executed = await gripper.sendAction(safe.sent);
    return {
      ...executed,
      requested: command,
      clipped: safe.clipped || executed.clipped,
      clip_reasons: [...safe.clip_reasons, ...executed.clip_reasons],
    };
  }
}

/** How old the newest teleop report is (null: none yet). */
function inputAge(teleop: Teleop | undefined, t_ns: bigint): number | null {
  const input = teleop?.latest();
  return input === undefined ? null : Number(t_ns - input.capture_ns) / 1e6;
}
