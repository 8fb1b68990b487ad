/**
 * The gripper width as every view shows it (live readout, live plot, replay readout, replay plot):
 * millimetres from the one recorded quantity, `gripper.width_m`. Live and replay used to disagree
 * because each view read and scaled the width its own way; they now share this module, so a value
 * can only be shown one way.
 */

/** The unit the plots use: millimetres read at a glance on a 0–80 mm hand; metres need three zeros. */
export const GRIPPER_PLOT_UNIT = 'mm';

export function gripperWidthMm(width_m: number): number {
  return width_m * 1000;
}

/** "13.4 mm", or an em dash when there is no reading (no gripper, or not yet received). */
export function formatGripperWidth(width_m: number | null | undefined): string {
  return width_m === null || width_m === undefined || !Number.isFinite(width_m) ? '—' : `${gripperWidthMm(width_m).toFixed(1)} mm`;
}
