import { describe, expect, test } from 'vitest';
import { KeyboardTeleop } from '../../../main/devices/keyboard/keyboardTeleop';
import { ManualClock } from '../../support/manualClock';

describe('keyboard teleop', () => {
  test('held keys become normalised axes with the capture time; Shift halves them', () => {
    const clock = new ManualClock();
    const keyboard = new KeyboardTeleop('keyboard', clock);
    keyboard.setHeldKeys(['KeyW', 'KeyR', 'KeyQ']);
    expect(keyboard.latest()).toMatchObject({ capture_ns: clock.now_ns(), translation: [1, 0, 1], rotation: [0, 0, 1], gripper: 0 });
    keyboard.setHeldKeys(['KeyW', 'KeyS', 'KeyD', 'ShiftLeft'], 5n);
    expect(keyboard.latest()).toMatchObject({ capture_ns: 5n, translation: [0, -0.5, 0], rotation: [0, 0, 0] });
    keyboard.setHeldKeys([]);
    expect(keyboard.latest()).toMatchObject({ translation: [0, 0, 0], buttons: {} });
  });

  test('Space toggles the gripper on each press in toggle mode, and closes while held in hold mode', () => {
    const toggle = new KeyboardTeleop('k', new ManualClock());
    toggle.setHeldKeys(['Space']);
    toggle.setHeldKeys(['Space', 'KeyW']);
    expect(toggle.latest()?.gripper).toBe(1);
    toggle.setHeldKeys([]);
    expect(toggle.latest()?.gripper).toBe(1);
    toggle.setHeldKeys(['Space']);
    expect(toggle.latest()?.gripper).toBe(0);

    const hold = new KeyboardTeleop('k', new ManualClock(), 'hold');
    hold.setHeldKeys(['Space']);
    expect(hold.latest()?.gripper).toBe(1);
    hold.setHeldKeys([]);
    expect(hold.latest()?.gripper).toBe(0);
  });
});
