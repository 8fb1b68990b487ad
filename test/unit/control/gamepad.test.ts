import { describe, expect, test } from 'vitest';
import { GamepadTeleop } from '../../../main/devices/gamepad/gamepadTeleop';
import { ManualClock } from '../../support/manualClock';

const idleButtons = () => new Array<number>(17).fill(0);

describe('gamepad teleop (standard layout)', () => {
  test('sticks and triggers map to base-frame axes, past a rescaled deadzone', () => {
    const clock = new ManualClock();
    const pad = new GamepadTeleop('pad', clock, 0.1);
    const buttons = idleButtons();
    buttons[7] = 1; // RT: up
    buttons[5] = 1; // RB: roll +
    pad.setSample({ axes: [0.05, -1, -0.55, 0], buttons });
    const state = pad.latest()!;
    expect(state.capture_ns).toBe(clock.now_ns());
    // Left stick pushed forward is +x; a stick inside the deadzone reads zero.
    expect(state.translation).toEqual([1, -0, 1]);
    expect(state.rotation[0]).toBe(1);
    expect(state.rotation[2]).toBeCloseTo(0.5, 12);
    expect(state.buttons).toEqual({ rb: true, rt: true });
  });

  test('A toggles the gripper on each press, not while held', () => {
    const pad = new GamepadTeleop('pad', new ManualClock(), 0.1);
    const pressed = idleButtons();
    pressed[0] = 1;
    pad.setSample({ axes: [], buttons: pressed });
    pad.setSample({ axes: [], buttons: pressed });
    expect(pad.latest()?.gripper).toBe(1);
    pad.setSample({ axes: [], buttons: idleButtons() });
    pad.setSample({ axes: [], buttons: pressed });
    expect(pad.latest()?.gripper).toBe(0);
  });
});
