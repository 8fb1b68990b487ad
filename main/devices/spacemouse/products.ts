/**
 * 3Dconnexion products (spec §3.1) and how each reports (§3.2). VID 0x046D is Logitech (older
 * devices), 0x256F is 3Dconnexion.
 */
export type ReportLayout =
  /** Report 1 = translation (3 × int16), report 2 = rotation (3 × int16): SpaceNavigator and kin. */
  | 'two-report'
  /** Report 1 = all six axes (13 bytes): the Wireless family, Enterprise, Universal Receiver. */
  | 'single-report';

/** Button bit positions in report 3: `[byte, bit]` with byte 1 the first after the report ID. */
export type ButtonMap = Readonly<Record<string, readonly [number, number]>>;

const TWO_BUTTONS: ButtonMap = { left: [1, 0], right: [1, 1] };

/** pyspacemouse `devices.toml` (SpaceMouse Pro / Pro Wireless / Universal Receiver). */
const PRO_BUTTONS: ButtonMap = {
  menu: [1, 0],
  fit: [1, 1],
  top: [1, 2],
  rear: [1, 4],
  front: [1, 5],
  roll_cw: [2, 0],
  button_1: [2, 4],
  button_2: [2, 5],
  button_3: [2, 6],
  button_4: [2, 7],
  esc: [3, 6],
  alt: [3, 7],
  shift: [4, 0],
  ctrl: [4, 1],
  rotation_lock: [4, 2],
};

const ENTERPRISE_BUTTONS: ButtonMap = {
  ...PRO_BUTTONS,
  iso1: [2, 2],
  button_5: [3, 0],
  button_6: [3, 1],
  button_7: [3, 2],
  button_8: [3, 3],
  button_9: [3, 4],
  button_10: [3, 5],
  lock: [4, 2],
};

/** pyspacemouse `devices.toml` (SpacePilot Pro): the Pro's keys, with its numbered keys elsewhere. */
const SPACEPILOT_PRO_BUTTONS: ButtonMap = {
  menu: [1, 0],
  fit: [1, 1],
  top: [1, 2],
  rear: [1, 4],
  front: [1, 5],
  roll_cw: [2, 0],
  iso1: [2, 2],
  button_3: [2, 6],
  button_4: [2, 7],
  button_5: [3, 0],
  button_1: [3, 1],
  button_2: [3, 2],
  esc: [3, 6],
  alt: [3, 7],
  shift: [4, 0],
  ctrl: [4, 1],
  rotation_lock: [4, 2],
  pan_zoom: [4, 3],
  dominant: [4, 4],
  plus: [4, 5],
  minus: [4, 6],
};

export interface SpaceMouseProduct {
  name: string;
  vendorId: number;
  productId: number;
  layout: ReportLayout;
  buttons: ButtonMap;
}

const product = (
  name: string,
  vendorId: number,
  productId: number,
  layout: ReportLayout,
  buttons: ButtonMap = TWO_BUTTONS,
): SpaceMouseProduct => ({
  name,
  vendorId,
  productId,
  layout,
  buttons,
});

export const SPACEMOUSE_PRODUCTS: readonly SpaceMouseProduct[] = [
  product('SpaceNavigator', 0x046d, 0xc626, 'two-report'),
  product('SpaceNavigator for Notebooks', 0x046d, 0xc628, 'two-report'),
  product('SpaceExplorer', 0x046d, 0xc627, 'two-report'),
  product('SpacePilot', 0x046d, 0xc625, 'two-report'),
  product('SpacePilot Pro', 0x046d, 0xc629, 'two-report', SPACEPILOT_PRO_BUTTONS),
  product('SpaceMouse Pro', 0x046d, 0xc62b, 'two-report', PRO_BUTTONS),
  product('SpaceMouse Wireless (cabled)', 0x256f, 0xc62e, 'single-report'),
  product('SpaceMouse Wireless (receiver)', 0x256f, 0xc62f, 'single-report'),
  product('SpaceMouse Wireless (new / Bluetooth)', 0x256f, 0xc63a, 'single-report'),
  product('SpaceMouse Pro Wireless (cabled)', 0x256f, 0xc631, 'single-report', PRO_BUTTONS),
  product('SpaceMouse Pro Wireless (receiver)', 0x256f, 0xc632, 'single-report', PRO_BUTTONS),
  product('SpaceMouse Pro Wireless (Bluetooth over USB)', 0x256f, 0xc638, 'single-report', PRO_BUTTONS),
  product('SpaceMouse Enterprise', 0x256f, 0xc633, 'single-report', ENTERPRISE_BUTTONS),
  product('SpaceMouse Compact', 0x256f, 0xc635, 'two-report'),
  product('SpaceMouse Module', 0x256f, 0xc636, 'two-report'),
  product('3Dconnexion Universal Receiver', 0x256f, 0xc652, 'single-report', PRO_BUTTONS),
  product('3Dconnexion Universal Receiver 2', 0x256f, 0xc65a, 'single-report', PRO_BUTTONS),
  product('3Dconnexion Universal Receiver 2', 0x256f, 0xc65c, 'single-report', PRO_BUTTONS),
];

/** Same vendor, not a 6-DoF device (CadMouse, keyboards; spacenavd's blacklist). c641 is disputed. */
export const NOT_A_SPACEMOUSE = new Set([0xc650, 0xc651, 0xc654, 0xc655, 0xc656, 0xc657, 0xc658, 0xc664, 0xc665, 0xc668, 0xc641]);

export function findProduct(vendorId: number, productId: number): SpaceMouseProduct | undefined {
  return SPACEMOUSE_PRODUCTS.find((p) => p.vendorId === vendorId && p.productId === productId);
}

export function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}
