import { z } from 'zod';
import type { DeviceFactory } from '../registry';
import type { Clock, Vec3 } from '../types';
import { UiTeleop } from '../uiTeleop';

/**
 * A gamepad in the W3C "standard" layout (Xbox / PlayStation pads), read by the UI with the browser's
 * Gamepad API and sent through StudioApi (`teleop.gamepad`), so it needs no driver or permissions.
 *
 *   left stick      x (forward/back), y (left/right)      right stick   yaw (x), pitch (y)
 *   RT / LT         z up / down                           RB / LB       roll + / −
 *   A               gripper (toggle)                      other buttons: map them with `button_actions`
 */
export const STANDARD_BUTTONS = [
  'a',
  'b',
  'x',
  'y',
  'lb',
  'rb',
  'lt',
  'rt',
  'back',
  'start',
  'left_stick',
  'right_stick',
  'up',
  'down',
  'left',
  'right',
  'home',
] as const;

export const gamepadOptions = z.strictObject({
  /** Stick travel (0..1) below which input reads as zero: sticks rarely rest exactly at centre. */
  deadzone: z.number().min(0).max(0.9).default(0.12),
});

export interface GamepadSample {
  /** `Gamepad.axes` of the standard mapping, each in [-1, 1]. */
  axes: readonly number[];
  /** `GamepadButton.value` of the standard mapping, each in [0, 1]. */
  buttons: readonly number[];
}

function dead(value: number | undefined, zone: number): number {
  const v = Number.isFinite(value) ? (value as number) : 0;
  if (Math.abs(v) <= zone) return 0;
  // Rescale so output starts at 0 just past the deadzone, keeping full range.
  return (Math.sign(v) * (Math.abs(v) - zone)) / (1 - zone);
}

export class GamepadTeleop extends UiTeleop {
  readonly type = 'gamepad';
  private gripperClosed = false;
  private lastA = false;

  constructor(
    name: string,
    private readonly clock: Clock,
    private readonly deadzone: number,
  ) {
    super(name);
  }

  /** One poll of the pad as the UI saw it at `capture_ns`. */
  setSample(sample: GamepadSample, capture_ns: bigint = this.clock.now_ns()): void {
    const { axes, buttons } = sample;
    const button = (i: number) => buttons[i] ?? 0;
    const zone = this.deadzone;
    const pressedA = button(0) > 0.5;
    if (pressedA && !this.lastA) this.gripperClosed = !this.gripperClosed;
    this.lastA = pressedA;
    const translation: Vec3 = [-dead(axes[1], zone), -dead(axes[0], zone), dead(button(7) - button(6), zone)];
    const rotation: Vec3 = [button(5) - button(4), -dead(axes[3], zone), -dead(axes[2], zone)];
    const named: Record<string, boolean> = {};
    STANDARD_BUTTONS.forEach((name, i) => {
      if (button(i) > 0.5) named[name] = true;
    });
    this.publish({ capture_ns, translation, rotation, gripper: this.gripperClosed ? 1 : 0, buttons: named });
  }
}

export const gamepadFactory: DeviceFactory<typeof gamepadOptions> = {
  kind: 'teleop',
  type: 'gamepad',
  summary: 'A gamepad (standard layout) read by the studio UI: sticks and triggers move, A toggles the gripper.',
  options: gamepadOptions,
  create: (options, context) => new GamepadTeleop(context.name, context.clock, options.deadzone),
};
