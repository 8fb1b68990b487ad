import type { Unsubscribe } from '../../shared/api/transport';
import type { ArmCommand, ArmState, GripperCommand, GripperState } from '../../shared/robot/types';
import type { MappedIntent } from './teleopMapper';

/**
 * Whatever proposes arm motion — teleop devices through the one mapper, the scripted expert, a policy,
 * an operator-approved action chunk — is an `ActionSource`. The control loop asks it for one step per
 * cycle on the control grid and applies the same safety limits, clipping (recorded, with reasons) and
 * e-stop to every source alike; a source never talks to a device itself.
 */
export type SourceKind = 'teleop' | 'expert' | 'policy' | 'chunk';

export interface SourceObservation {
  /** When the cycle runs (the loop's clock). */
  t_ns: bigint;
  arm: ArmState;
  gripper: GripperState | undefined;
  /** Time the step covers: the control period, or for teleop the real gap since the last cycle. */
  period_s: number;
}

/** A scripted policy's labels for its step: recorded with the cycle (phase, exploration, target). */
export interface SourceLabels {
  /** Index into the source's phase names. */
  phase: number;
  exploring: boolean;
  target: { position_m: readonly number[]; quaternion_wxyz: readonly number[] };
}

export interface SourceStep {
  /**
   * `motion`: a motion of the loop's target pose for this step (teleop: the target integrates it and
   * leads the measured arm by a bounded amount). `command`: sent as it is after safety — a delta from
   * the measured pose, an absolute goal or joint targets — with the speed limit over one control period.
   */
  mode: 'motion' | 'command';
  arm: ArmCommand;
  /** Gripper intent in [0, 1] (0 open, 1 closed); with `command`, that exact command is sent once. */
  gripper?: { intent: number; command?: GripperCommand };
  /**
   * Age of the input behind this step, for sources fed by an operator: older than the rig's
   * `teleop_timeout_ms` gives zero motion; null = no input yet (as stale as it gets). Absent for
   * sources with no input to go stale (expert, policy, chunk).
   */
  input_age_ms?: number | null;
  /** The mapped teleop intent, for the record. */
  intent?: MappedIntent;
  labels?: SourceLabels;
  /** Anything else that happened this step (a phase change), recorded as JSON events. */
  events?: readonly Record<string, unknown>[];
}

export interface ActionSource {
  readonly kind: SourceKind;
  /** The next step from the arm as it is now. */
  next(observation: SourceObservation): SourceStep;
  /** The source has nothing more to do (a script or a chunk played to its end); teleop never is. */
  done(): boolean;
  /** Sources fed by reports (teleop devices): a report starts a cycle at once. */
  onInput?(listener: () => void): Unsubscribe | undefined;
  /** Phase names its labels index, with its settings (the policy variant), for the recording. */
  describe?(): { phases: readonly string[]; policy: Record<string, unknown> };
}

export const ZERO_DELTA: Extract<ArmCommand, { kind: 'ee_delta' }> = {
  kind: 'ee_delta',
  translation_m: [0, 0, 0],
  rotation_axis_angle_rad: [0, 0, 0],
};
