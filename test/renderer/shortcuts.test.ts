import { describe, expect, test } from 'vitest';
import { chordOf, findShortcut, keyLabel, SHORTCUTS } from '../../renderer/src/app/shortcuts';

const TELEOP_KEYS = ['KeyW', 'KeyS', 'KeyA', 'KeyD', 'KeyR', 'KeyF', 'KeyQ', 'KeyE', 'KeyI', 'KeyK', 'KeyJ', 'KeyL', 'Space'];

describe('keyboard shortcuts', () => {
  test('no teleop key is a bare shortcut in the Teleop view, and no chord is bound twice in one scope', () => {
    const teleop = SHORTCUTS.filter((s) => s.scope === 'teleop' || s.scope === 'global');
    for (const s of teleop) for (const key of s.keys) expect(TELEOP_KEYS).not.toContain(key);
    for (const scope of ['teleop', 'episodes'] as const) {
      const chords = SHORTCUTS.filter((s) => s.scope === scope || s.scope === 'global').flatMap((s) => [...s.keys]);
      expect(new Set(chords).size).toBe(chords.length);
    }
  });

  test('chords are layout-independent codes with modifiers; Cmd counts as Ctrl', () => {
    expect(chordOf({ code: 'KeyZ', ctrlKey: false, metaKey: true, altKey: false, shiftKey: true })).toBe('Ctrl+Shift+KeyZ');
    // The help key by the character: US Shift+Slash, German Shift+Minus (ß), French Shift+Comma.
    for (const code of ['Slash', 'Minus', 'Comma'])
      expect(findShortcut(chordOf({ code, key: '?', ctrlKey: false, metaKey: false, altKey: false, shiftKey: true }), 'teleop')?.id).toBe(
        'help',
      );
    expect(chordOf({ code: 'Slash', key: '/', ctrlKey: false, metaKey: false, altKey: false, shiftKey: false })).toBe('Slash');
    expect(findShortcut('Ctrl+Shift+KeyZ', 'episodes')?.id).toBe('redo');
    expect(findShortcut('KeyG', 'teleop')?.id).toBe('record.saveSuccess');
    expect(findShortcut('KeyG', 'episodes')?.id).toBe('label.success');
    expect(findShortcut('Digit2', 'teleop')?.id).toBe('view.episodes');
    // Esc stops only in Teleop (elsewhere it closes dialogs and leaves fields); Pause stops everywhere.
    expect(findShortcut('Escape', 'episodes')).toBeUndefined();
    expect(findShortcut('Escape', 'teleop')?.id).toBe('estop');
    for (const scope of ['teleop', 'episodes', 'settings', 'export'] as const) expect(findShortcut('Pause', scope)?.id).toBe('estop');
    expect(findShortcut('Shift+Escape', 'episodes')).toBeUndefined();
    expect(keyLabel('Shift+Slash')).toBe('?');
    expect(keyLabel('Ctrl+Shift+KeyZ')).toBe('Ctrl + Shift + Z');
  });
});
