import type { Vec3 } from '../../shared/robot/types';
import type { ActionSource, SourceStep } from './actionSource';

/** One step of an action chunk: the recorded action layout, Δxyz (m), Δrot axis-angle (rad), gripper 0…1. */
export interface ChunkAction {
  translation_m: Vec3;
  rotation_axis_angle_rad: Vec3;
  gripper: number;
}

/**
 * A given chunk of `ee_delta` actions (from a policy, or imagined and approved by the operator), played
 * one per control cycle from the measured pose, then done. Like every source, the loop's safety layer
 * bounds each step and the e-stop stops it; a step cut short is not replayed.
 */
export class ChunkSource implements ActionSource {
  readonly kind: 'chunk' | 'policy';
  private index = 0;

  constructor(
    private readonly actions: readonly ChunkAction[],
    options: { kind?: 'chunk' | 'policy' } = {},
  ) {
    this.kind = options.kind ?? 'chunk';
  }

  /** Steps played so far. */
  get played(): number {
    return this.index;
  }

  next(): SourceStep {
    const action = this.actions[this.index];
    if (action === undefined)
      return { mode: 'command', arm: { kind: 'ee_delta', translation_m: [0, 0, 0], rotation_axis_angle_rad: [0, 0, 0] } };
    this.index++;
    // The gripper intent goes with every step; the loop sends a gripper command only when it changes.
    return {
      mode: 'command',
      arm: { kind: 'ee_delta', translation_m: action.translation_m, rotation_axis_angle_rad: action.rotation_axis_angle_rad },
      gripper: { intent: action.gripper },
    };
  }

  done(): boolean {
    return this.index >= this.actions.length;
  }
}
