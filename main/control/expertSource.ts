import { EXPERT_PHASES, PickPlaceExpert, type ExpertAction, type ExpertMotion, type ExpertNoise } from '../sim/expert';
import { HOLD } from '../sim/expertLabels';
import type { SceneLayout } from '../sim/pickPlaceTask';
import type { ActionSource, SourceLabels, SourceObservation, SourceStep } from './actionSource';

export interface ExpertSourceOptions {
  layout: SceneLayout;
  /** The episode's seed: its noise draws come from it. */
  seed: number;
  noise: ExpertNoise;
  control_hz: number;
  motion: ExpertMotion;
  /** The policy variant, recorded with the phase stream. */
  policy: Record<string, unknown>;
}

/**
 * The scripted pick-and-place expert as an action source: one `ee_delta` from the measured pose per
 * control step (within the rig's speed limits by construction), gripper commands at phase starts,
 * and its labels (phase, exploration, target) with every step. When the script is done (on a chunk
 * boundary) it yields one last step that asks for nothing, so the observation after the last action
 * is recorded, and then it is done.
 */
export class ExpertSource implements ActionSource {
  readonly kind = 'expert';
  private expert: PickPlaceExpert | undefined;
  private last: SourceLabels | undefined;
  private phase = '';
  private finished = false;
  private exploreSteps = 0;

  constructor(private readonly options: ExpertSourceOptions) {}

  next({ arm }: SourceObservation): SourceStep {
    const { layout, noise, seed, control_hz, motion } = this.options;
    // The expert plans from the pose the arm is in when the episode starts.
    this.expert ??= new PickPlaceExpert(layout, arm, noise, seed, control_hz, motion);
    if (this.expert.done()) {
      this.finished = true;
      return { mode: 'command', arm: HOLD, ...(this.last !== undefined ? { labels: { ...this.last, exploring: false } } : {}) };
    }
    const action: ExpertAction = this.expert.act({
      sim_time_s: 0,
      ee_position_m: arm.ee_position_m,
      ee_quaternion_wxyz: arm.ee_quaternion_wxyz,
    });
    if (action.exploring) this.exploreSteps++;
    this.last = { phase: EXPERT_PHASES.indexOf(action.phase), exploring: action.exploring, target: action.target };
    const events = action.phase !== this.phase ? [{ type: 'phase', phase: action.phase, exploring: action.exploring }] : [];
    this.phase = action.phase;
    return {
      mode: 'command',
      arm: action.arm,
      // The expert's own gripper commands (its grasp width and force), sent as they are after safety.
      ...(action.gripper !== undefined ? { gripper: { intent: action.gripper.kind === 'grasp' ? 1 : 0, command: action.gripper } } : {}),
      labels: this.last,
      events,
    };
  }

  done(): boolean {
    return this.finished;
  }

  /** Actions taken (the final hold not counted), and how many of them explored. */
  get steps(): number {
    return this.expert?.steps ?? 0;
  }

  get explore_steps(): number {
    return this.exploreSteps;
  }

  describe(): { phases: readonly string[]; policy: Record<string, unknown> } {
    return { phases: EXPERT_PHASES, policy: this.options.policy };
  }
}
