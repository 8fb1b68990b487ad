/**
 * Every keyboard action in one table: the help overlay lists it and the dispatcher matches it.
 * (Device buttons are mapped to actions in the rig config and run in the core.) Keys are
 * `KeyboardEvent.code` values with modifiers, so they do not move with the keyboard layout.
 *
 * The teleop keys (W A S D R F Q E I K J L, Space, Shift) belong to the arm while the Teleop view is
 * open; nothing here uses them bare.
 */
export type Scope = 'global' | 'teleop' | 'foresight' | 'episodes' | 'settings' | 'export' | 'calibration' | 'stats';

/**
 * Scopes laid over a view's scope while they have handlers: `foresight` holds the keys of a pending
 * imagination decision (candidates on screen, nothing approved yet) and wins over the Teleop keys
 * (Enter approves instead of starting a take) only while a decision is pending.
 */
export const OVERLAY_SCOPES: Partial<Record<Scope, readonly Scope[]>> = { teleop: ['foresight'] };

export interface ShortcutDef {
  readonly id: string;
  readonly keys: readonly string[];
  readonly label: string;
  readonly scope: Scope;
  /** Whether holding the key repeats the action (frame stepping), or fires once. */
  readonly repeat?: boolean;
}

export const SHORTCUTS = [
  { id: 'view.teleop', keys: ['Digit1'], label: 'Teleop / Record view', scope: 'global' },
  { id: 'view.episodes', keys: ['Digit2'], label: 'Episodes view', scope: 'global' },
  { id: 'view.settings', keys: ['Digit3'], label: 'Settings / rig view', scope: 'global' },
  { id: 'view.export', keys: ['Digit4'], label: 'Export view', scope: 'global' },
  { id: 'view.calibration', keys: ['Digit5'], label: 'Calibration view (foresight vs reality)', scope: 'global' },
  { id: 'view.stats', keys: ['Digit6'], label: 'Dataset statistics view', scope: 'global' },
  { id: 'help', keys: ['?', 'F1'], label: 'Show or hide this help', scope: 'global' },

  // Pause stops from every view; Esc only in Teleop, because elsewhere it closes dialogs and leaves fields.
  { id: 'estop', keys: ['Pause'], label: 'Emergency stop (the STOP button is in the top bar of every view)', scope: 'global' },
  { id: 'estop', keys: ['Escape'], label: 'Emergency stop', scope: 'teleop' },
  { id: 'estop.release', keys: ['Shift+Escape'], label: 'Release the e-stop', scope: 'teleop' },
  { id: 'record.toggle', keys: ['Enter'], label: 'Start recording / stop recording', scope: 'teleop' },
  { id: 'record.saveSuccess', keys: ['KeyG'], label: 'Save the episode as a success ("good")', scope: 'teleop' },
  { id: 'record.saveFailure', keys: ['KeyB'], label: 'Save the episode as a failure ("bad")', scope: 'teleop' },
  { id: 'record.discard', keys: ['Backspace'], label: 'Discard the episode', scope: 'teleop' },
  { id: 'record.rerecord', keys: ['KeyT'], label: 'Re-record: discard and start again ("take")', scope: 'teleop' },
  { id: 'sim.reset', keys: ['KeyN'], label: 'New simulated scene', scope: 'teleop' },
  // Imagination (Teleop view). I, A and R belong to the arm and Esc to the e-stop, so: P, X, Enter.
  { id: 'foresight.preview', keys: ['KeyP'], label: 'Imagine: preview K candidate chunks in the world model', scope: 'teleop' },
  { id: 'foresight.policy', keys: ['KeyO'], label: 'Start / stop the policy run (Policy panel)', scope: 'teleop' },
  {
    id: 'foresight.approve',
    keys: ['Enter'],
    label: 'Approve the selected candidate: it runs on the arm (while candidates are shown)',
    scope: 'foresight',
  },
  {
    id: 'foresight.auto',
    keys: ['Shift+Enter'],
    label: 'Auto: run the best predicted candidate (while candidates are shown)',
    scope: 'foresight',
  },
  { id: 'foresight.reject', keys: ['KeyX'], label: 'Reject every candidate (while candidates are shown)', scope: 'foresight' },
  { id: 'foresight.next', keys: ['ArrowRight', 'ArrowDown'], label: 'Select the next candidate', scope: 'foresight' },
  { id: 'foresight.previous', keys: ['ArrowLeft', 'ArrowUp'], label: 'Select the previous candidate', scope: 'foresight' },
  ...([1, 2, 3, 4, 5, 6, 7, 8] as const).map((n) => ({
    id: `foresight.pick${n}` as const,
    keys: [`Digit${n}`],
    label: `Select candidate ${n} (while candidates are shown)`,
    scope: 'foresight' as const,
  })),

  { id: 'play.toggle', keys: ['Space'], label: 'Play / pause', scope: 'episodes' },
  { id: 'play.back', keys: ['ArrowLeft', 'Comma'], label: 'Previous frame', scope: 'episodes', repeat: true },
  { id: 'play.forward', keys: ['ArrowRight', 'Period'], label: 'Next frame', scope: 'episodes', repeat: true },
  { id: 'play.start', keys: ['Home'], label: 'Go to the start', scope: 'episodes' },
  { id: 'play.end', keys: ['End'], label: 'Go to the end', scope: 'episodes' },
  { id: 'play.slower', keys: ['BracketLeft'], label: 'Slower playback', scope: 'episodes' },
  { id: 'play.faster', keys: ['BracketRight'], label: 'Faster playback', scope: 'episodes' },
  { id: 'episodes.next', keys: ['ArrowDown', 'KeyJ'], label: 'Next episode', scope: 'episodes', repeat: true },
  { id: 'episodes.previous', keys: ['ArrowUp', 'KeyK'], label: 'Previous episode', scope: 'episodes', repeat: true },
  { id: 'episodes.filter', keys: ['Slash'], label: 'Focus the task filter', scope: 'episodes' },
  { id: 'episodes.import', keys: ['KeyI'], label: 'Import a LeRobot dataset folder', scope: 'episodes' },
  { id: 'label.success', keys: ['KeyG'], label: 'Outcome: success', scope: 'episodes' },
  { id: 'label.failure', keys: ['KeyB'], label: 'Outcome: failure', scope: 'episodes' },
  { id: 'label.unknown', keys: ['KeyU'], label: 'Outcome: unknown', scope: 'episodes' },
  { id: 'label.segment', keys: ['KeyM'], label: 'Mark a segment start / end at the playhead', scope: 'episodes' },
  { id: 'label.tag', keys: ['KeyT'], label: 'Add a tag', scope: 'episodes' },
  { id: 'label.delete', keys: ['Delete'], label: 'Delete the episode (asks first)', scope: 'episodes' },
  { id: 'undo', keys: ['Ctrl+KeyZ'], label: 'Undo a label edit', scope: 'episodes' },
  { id: 'redo', keys: ['Ctrl+Shift+KeyZ', 'Ctrl+KeyY'], label: 'Redo', scope: 'episodes' },
] as const satisfies readonly ShortcutDef[];

export type ActionId = (typeof SHORTCUTS)[number]['id'];

/**
 * The chord of a key event, e.g. `Ctrl+Shift+KeyZ`; Cmd counts as Ctrl on macOS. `?` is matched by the
 * character typed, not the key: it is Shift+Slash only on US layouts (Shift+ß on German, Shift+, on
 * French), and a help key that works on one layout only is no help key.
 */
export function chordOf(event: Pick<KeyboardEvent, 'code' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'> & { key?: string }): string {
  if (event.key === '?' && !event.ctrlKey && !event.metaKey && !event.altKey) return '?';
  return `${event.ctrlKey || event.metaKey ? 'Ctrl+' : ''}${event.altKey ? 'Alt+' : ''}${event.shiftKey ? 'Shift+' : ''}${event.code}`;
}

/**
 * Every shortcut a chord may mean in `scope`, in the order the dispatcher tries them: the overlay
 * scopes first, then the view's, then the global ones. The first with a mounted handler runs.
 */
export function findShortcuts(chord: string, scope: Scope): ShortcutDef[] {
  const all = SHORTCUTS as readonly ShortcutDef[];
  const scopes = [...(OVERLAY_SCOPES[scope] ?? []), scope, 'global'];
  return scopes.flatMap((s) => all.filter((d) => d.scope === s && d.keys.includes(chord)));
}

export function findShortcut(chord: string, scope: Scope): ShortcutDef | undefined {
  return (
    (SHORTCUTS as readonly ShortcutDef[]).find((s) => s.scope === scope && s.keys.includes(chord)) ??
    (SHORTCUTS as readonly ShortcutDef[]).find((s) => s.scope === 'global' && s.keys.includes(chord))
  );
}

const KEY_NAMES: Record<string, string> = {
  Slash: '/',
  Comma: ',',
  Period: '.',
  BracketLeft: '[',
  BracketRight: ']',
  ArrowLeft: '←',
  ArrowRight: '→',
  ArrowUp: '↑',
  ArrowDown: '↓',
  Escape: 'Esc',
};

/** `Ctrl+Shift+KeyZ` → `Ctrl + Shift + Z`, `Shift+Slash` → `?`. */
export function keyLabel(chord: string): string {
  if (chord === 'Shift+Slash') return '?';
  return chord
    .split('+')
    .map((part) => KEY_NAMES[part] ?? part.replace(/^Key|^Digit/, ''))
    .join(' + ');
}

/** Typing in a field must never drive the arm or trigger actions. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (target === null || typeof (target as Element).closest !== 'function') return false;
  const element = target as HTMLElement;
  return element.isContentEditable || element.closest('input, textarea, select, [contenteditable="true"]') !== null;
}
