/**
 * Remembered window bounds, restored only where they are still visible: a monitor unplugged since the
 * last session must not leave the window off-screen.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState extends Rect {
  maximized: boolean;
}

export const DEFAULT_WINDOW: Readonly<{ width: number; height: number }> = { width: 1440, height: 900 };
const MIN_VISIBLE_PX = 100;

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? Math.min(w, h) : 0;
}

/** Parses saved state (any JSON) and keeps it only if it is sane and on a current display. */
export function restoreWindowState(saved: unknown, displays: readonly Rect[]): WindowState | undefined {
  if (typeof saved !== 'object' || saved === null) return undefined;
  const { x, y, width, height, maximized } = saved as Record<string, unknown>;
  if (![x, y, width, height].every((v) => typeof v === 'number' && Number.isFinite(v))) return undefined;
  const rect = { x: x as number, y: y as number, width: width as number, height: height as number };
  if (rect.width < 400 || rect.height < 300) return undefined;
  if (!displays.some((display) => overlap(rect, display) >= MIN_VISIBLE_PX)) return undefined;
  return { ...rect, maximized: maximized === true };
}
