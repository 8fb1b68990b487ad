import { SHORTCUTS, type ActionId } from '../../app/shortcuts';

/** SpaceMouse buttons by the names the driver reports (main/devices/spacemouse/products.ts). */
export const SPACEMOUSE_BUTTONS = ['left', 'right', 'button_1', 'button_2', 'button_3', 'button_4', 'button_5', 'button_6'] as const;
export type SpaceMouseButton = (typeof SPACEMOUSE_BUTTONS)[number];
export type ButtonBindings = Partial<Record<SpaceMouseButton, ActionId>>;

const STORAGE_KEY = 'foresight.spacemouse-bindings.v1';

/** The two-button SpaceMouse default: the right button drives the recording; left is the gripper (in the driver). */
export const DEFAULT_BINDINGS: ButtonBindings = { right: 'record.toggle', button_1: 'record.saveSuccess', button_2: 'record.discard' };

const known = new Set<string>(SHORTCUTS.map((s) => s.id));

export function loadBindings(storage: Pick<Storage, 'getItem'> = localStorage): ButtonBindings {
  try {
    const parsed = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null') as Record<string, string> | null;
    if (parsed === null || typeof parsed !== 'object') return DEFAULT_BINDINGS;
    // Drop entries from an older build whose button or action no longer exists.
    return Object.fromEntries(Object.entries(parsed).filter(([button, action]) => (SPACEMOUSE_BUTTONS as readonly string[]).includes(button) && known.has(action))) as ButtonBindings;
  } catch {
    return DEFAULT_BINDINGS;
  }
}

export function saveBindings(bindings: ButtonBindings, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(STORAGE_KEY, JSON.stringify(bindings));
}
