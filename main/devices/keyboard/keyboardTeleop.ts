import { z } from 'zod';
import type { DeviceFactory } from '../registry';
import type { Clock, Vec3 } from '../types';
import { UiTeleop } from '../uiTeleop';

/**
 * Keyboard teleop. Key state comes from the UI through StudioApi (the renderer sends the set of held
 * keys on every change), so it works the same in Electron and in a browser, on X11 and Wayland. Keys
 * are `KeyboardEvent.code` values, independent of layout.
 *
 *   W / S   +x / −x (away from / towards the robot base)     Q / E   yaw + / −
 *   A / D   +y / −y                                          I / K   pitch + / −
 *   R / F   +z / −z (up / down)                              J / L   roll + / −
 *   Space   gripper: close while held (toggle mode: press to toggle)
 *   Shift   precision: half speed
 */
export const KEY_BINDINGS: Readonly<Record<string, { axis: 'translation' | 'rotation'; index: 0 | 1 | 2; sign: 1 | -1 }>> = {
  KeyW: { axis: 'translation', index: 0, sign: 1 },
  KeyS: { axis: 'translation', index: 0, sign: -1 },
  KeyA: { axis: 'translation', index: 1, sign: 1 },
  KeyD: { axis: 'translation', index: 1, sign: -1 },
  KeyR: { axis: 'translation', index: 2, sign: 1 },
  KeyF: { axis: 'translation', index: 2, sign: -1 },
  KeyJ: { axis: 'rotation', index: 0, sign: 1 },
  KeyL: { axis: 'rotation', index: 0, sign: -1 },
  KeyI: { axis: 'rotation', index: 1, sign: 1 },
  KeyK: { axis: 'rotation', index: 1, sign: -1 },
  KeyQ: { axis: 'rotation', index: 2, sign: 1 },
  KeyE: { axis: 'rotation', index: 2, sign: -1 },
};

export const keyboardOptions = z.strictObject({
  /** `hold`: the gripper closes while Space is held; `toggle`: each press toggles it. */
  gripper_mode: z.enum(['hold', 'toggle']).default('toggle'),
});

export class KeyboardTeleop extends UiTeleop {
  readonly type = 'keyboard';
  private held = new Set<string>();
  private gripperClosed = false;

  constructor(
    name: string,
    private readonly clock: Clock,
    private readonly gripperMode: 'hold' | 'toggle' = 'toggle',
  ) {
    super(name);
  }

  protected override reset(): void {
    this.held.clear();
  }

  /** The full set of held keys, as the UI saw it at `capture_ns` (defaults to now). */
  setHeldKeys(codes: readonly string[], capture_ns: bigint = this.clock.now_ns()): void {
    const next = new Set(codes);
    if (this.gripperMode === 'toggle' && next.has('Space') && !this.held.has('Space')) this.gripperClosed = !this.gripperClosed;
    if (this.gripperMode === 'hold') this.gripperClosed = next.has('Space');
    this.held = next;
    const translation: Vec3 = [0, 0, 0];
    const rotation: Vec3 = [0, 0, 0];
    for (const code of next) {
      const binding = KEY_BINDINGS[code];
      if (binding === undefined) continue;
      (binding.axis === 'translation' ? translation : rotation)[binding.index] += binding.sign;
    }
    const gain = next.has('ShiftLeft') || next.has('ShiftRight') ? 0.5 : 1;
    const buttons: Record<string, boolean> = {};
    for (const code of next) buttons[code] = true;
    this.publish({
      capture_ns,
      translation: translation.map((v) => v * gain) as Vec3,
      rotation: rotation.map((v) => v * gain) as Vec3,
      gripper: this.gripperClosed ? 1 : 0,
      buttons,
    });
  }
}

export const keyboardFactory: DeviceFactory<typeof keyboardOptions> = {
  kind: 'teleop',
  type: 'keyboard',
  summary: 'Keyboard teleop through the studio UI (WASD/RF translate, QE/IK/JL rotate, Space gripper).',
  options: keyboardOptions,
  create: (options, context) => new KeyboardTeleop(context.name, context.clock, options.gripper_mode),
};
