import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import { StudioError } from '../../../shared/api/errors';
import type { DeviceFactory } from '../registry';
import type { Clock, DeviceStatus, Features, Teleop, TeleopState, Vec3 } from '../types';
import { mapAxes, type AxisMappingOptions } from './axisMapping';
import { nodeHidBackend, type HidBackend, type HidConnection, type HidDeviceInfo } from './hidBackend';
import { findProduct, hex4, NOT_A_SPACEMOUSE, SPACEMOUSE_PRODUCTS, type SpaceMouseProduct } from './products';
import { parseSpaceMouseReport } from './reportParser';

/** The same rule as README.md "USB permissions". */
export const SPACEMOUSE_UDEV_RULE = `# /etc/udev/rules.d/70-foresight-studio.rules
SUBSYSTEM=="hidraw", ATTRS{idVendor}=="046d", MODE="0660", TAG+="uaccess"
SUBSYSTEM=="hidraw", ATTRS{idVendor}=="256f", MODE="0660", TAG+="uaccess"`;

const PERMISSION_FIX = `On Linux, HID devices belong to root unless a udev rule grants access. Create\n${SPACEMOUSE_UDEV_RULE}\nthen run \`sudo udevadm control --reload-rules && sudo udevadm trigger\` and replug the SpaceMouse.`;

const sign = z.union([z.literal(1), z.literal(-1)]);

export const spacemouseOptionsSchema = z.object({
  /** Pick one device when several are plugged in; otherwise the first known SpaceMouse. */
  vendor_id: z.number().int().min(0).max(0xffff).optional(),
  product_id: z.number().int().min(0).max(0xffff).optional(),
  path: z.string().optional(),
  deadzone: z.number().min(0).max(0.9).default(0.05),
  sensitivity: z.number().positive().max(10).default(1),
  /** x, y, z, rx, ry, rz of the output frame (+x right, +y away from you, +z up). */
  axis_sign: z.tuple([sign, sign, sign, sign, sign, sign]).default([1, 1, 1, 1, 1, 1]),
  axis_scale: z.array(z.number().min(0).max(10)).length(6).default([1, 1, 1, 1, 1, 1]),
  lock_translation: z.boolean().default(false),
  lock_rotation: z.boolean().default(false),
  /** The button that means "gripper closed" while held (deoxys: left); `none` leaves `gripper` unset. */
  gripper_button: z.string().default('left'),
  /** How often to look for the device again after it was unplugged. */
  hotplug_poll_ms: z.number().int().min(5).max(60_000).default(1000),
});
export type SpaceMouseOptions = z.output<typeof spacemouseOptionsSchema>;

function isPermissionError(error: unknown, path: string): boolean {
  const code = (error as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM' || /permission/i.test((error as Error).message ?? '')) return true;
  if (process.platform !== 'linux' || !path.startsWith('/dev/')) return false;
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return false;
  } catch {
    return true;
  }
}

/**
 * A 3Dconnexion SpaceMouse over USB HID (spec §3): both report layouts, buttons, battery, deadzone,
 * sensitivity, per-axis sign/scale and locks. Unplugging zeroes the input at once (never a stale
 * push), sets a device error, and the driver reconnects when the device comes back.
 */
export class SpaceMouse implements Teleop {
  readonly kind = 'teleop';
  readonly type = 'spacemouse';
  private connection: HidConnection | undefined;
  private product: SpaceMouseProduct | undefined;
  private deviceInfo: HidDeviceInfo | undefined;
  private rawTranslation: Vec3 = [0, 0, 0];
  private rawRotation: Vec3 = [0, 0, 0];
  private buttons: Record<string, boolean> = {};
  private state: TeleopState | undefined;
  private battery: number | undefined;
  private error: DeviceStatus['error'];
  private wanted = false;
  private hotplugTimer: NodeJS.Timeout | undefined;
  private reconnecting = false;
  private readonly invalid = { count: 0, last: undefined as string | undefined };
  private readonly stateListeners = new Set<(state: TeleopState) => void>();
  private readonly statusListeners = new Set<(status: DeviceStatus) => void>();
  private readonly mapping: AxisMappingOptions;

  constructor(
    readonly name: string,
    private readonly options: SpaceMouseOptions,
    private readonly clock: Clock,
    private readonly hid: HidBackend = nodeHidBackend,
  ) {
    this.mapping = options;
  }

  private get who(): string {
    return `teleop "${this.name}" (spacemouse)`;
  }

  private matches(info: HidDeviceInfo): SpaceMouseProduct | undefined {
    if (this.options.path !== undefined && info.path !== this.options.path) return undefined;
    if (this.options.vendor_id !== undefined && info.vendorId !== this.options.vendor_id) return undefined;
    if (this.options.product_id !== undefined && info.productId !== this.options.product_id) return undefined;
    if (NOT_A_SPACEMOUSE.has(info.productId)) return undefined;
    // Receivers also expose a plain mouse interface; only the multi-axis one (usage page 1, usage 8) moves.
    if (/mouse$/i.test(info.product ?? '') && /receiver/i.test(info.product ?? '')) return undefined;
    if (info.usagePage !== undefined && info.usagePage !== 0 && (info.usagePage !== 1 || info.usage !== 8)) return undefined;
    return findProduct(info.vendorId, info.productId);
  }

  private async find(): Promise<{ info: HidDeviceInfo; product: SpaceMouseProduct } | undefined> {
    for (const info of await this.hid.devices()) {
      const product = this.matches(info);
      if (product !== undefined && info.path !== undefined) return { info, product };
    }
    return undefined;
  }

  async connect(): Promise<void> {
    this.wanted = true;
    const found = await this.find();
    if (found === undefined) {
      const known = SPACEMOUSE_PRODUCTS.map((p) => `${hex4(p.vendorId)}:${hex4(p.productId)}`).join(', ');
      throw new StudioError({
        code: 'unavailable',
        message: `${this.who}: no SpaceMouse found${this.options.path === undefined ? '' : ` at ${this.options.path}`} (looked for ${known})`,
        fix: `Plug it in (a wireless one needs its receiver and to be switched on). ${process.platform === 'linux' ? 'If `lsusb` lists it, the udev rule may be missing: ' + PERMISSION_FIX : ''}`,
      });
    }
    await this.open(found.info, found.product);
  }

  private async open(info: HidDeviceInfo, product: SpaceMouseProduct): Promise<void> {
    const path = info.path ?? '';
    let connection: HidConnection;
    try {
      connection = await this.hid.open(path);
    } catch (error) {
      if (isPermissionError(error, path)) {
        throw new StudioError({
          code: 'failed_precondition',
          message: `${this.who}: no permission to open ${product.name} at ${path}`,
          fix: PERMISSION_FIX,
        });
      }
      throw new StudioError({
        code: 'unavailable',
        message: `${this.who}: cannot open ${product.name} at ${path}: ${(error as Error).message}`,
        fix:
          process.platform === 'darwin'
            ? 'Quit 3DconnexionHelper (it grabs the device), then retry.'
            : 'Replug the device; if another program (spacenavd) holds it, stop that program.',
      });
    }
    this.connection = connection;
    this.product = product;
    this.deviceInfo = info;
    connection.onData((report) => this.receive(report));
    connection.onError((error) => void this.lost(connection, error));
    this.setError(undefined);
  }

  private receive(data: Uint8Array): void {
    const product = this.product;
    if (product === undefined) return;
    const report = parseSpaceMouseReport(data, product.layout, product.buttons);
    switch (report.kind) {
      case 'translation':
        this.rawTranslation = report.raw;
        break;
      case 'rotation':
        this.rawRotation = report.raw;
        break;
      case 'motion':
        this.rawTranslation = report.translation;
        this.rawRotation = report.rotation;
        break;
      case 'buttons':
        this.buttons = report.pressed;
        break;
      case 'battery':
        this.battery = report.percent;
        return;
      case 'ignored':
        return;
      case 'invalid':
        this.invalid.count++;
        this.invalid.last = report.reason;
        return;
    }
    this.publish();
  }

  private publish(): void {
    const { translation, rotation } = mapAxes(this.rawTranslation, this.rawRotation, this.mapping);
    const gripperButton = this.options.gripper_button;
    const state: TeleopState = {
      capture_ns: this.clock.now_ns(),
      translation,
      rotation,
      buttons: { ...this.buttons },
      ...(gripperButton !== 'none' && gripperButton in (this.product?.buttons ?? {})
        ? { gripper: this.buttons[gripperButton] === true ? 1 : 0 }
        : {}),
    };
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private async lost(connection: HidConnection, error: Error): Promise<void> {
    if (this.connection !== connection) return;
    this.connection = undefined;
    await connection.close().catch(() => undefined);
    // Never leave the last push standing: a yanked cable reads as "no input".
    this.rawTranslation = [0, 0, 0];
    this.rawRotation = [0, 0, 0];
    this.buttons = Object.fromEntries(Object.keys(this.buttons).map((name) => [name, false]));
    this.publish();
    this.setError({
      message: `${this.who}: ${this.product?.name ?? 'SpaceMouse'} disconnected (${error.message})`,
      fix: 'Plug it back in (or switch a wireless one on); the studio reconnects by itself.',
    });
    if (!this.wanted) return;
    this.hotplugTimer = setInterval(() => void this.tryReconnect(), this.options.hotplug_poll_ms);
    this.hotplugTimer.unref();
  }

  private async tryReconnect(): Promise<void> {
    if (this.reconnecting || this.connection !== undefined || !this.wanted) return;
    this.reconnecting = true;
    try {
      const found = await this.find();
      if (found === undefined || !this.wanted) return;
      await this.open(found.info, found.product);
      if (this.hotplugTimer !== undefined) clearInterval(this.hotplugTimer);
      this.hotplugTimer = undefined;
    } catch (error) {
      // Still failing (e.g. permissions after a replug): say why, keep looking.
      if (error instanceof StudioError) this.setError({ message: error.message, ...(error.fix === undefined ? {} : { fix: error.fix }) });
    } finally {
      this.reconnecting = false;
    }
  }

  private setError(error: DeviceStatus['error']): void {
    this.error = error;
    const status = this.status();
    for (const listener of this.statusListeners) listener(status);
  }

  async disconnect(): Promise<void> {
    this.wanted = false;
    if (this.hotplugTimer !== undefined) clearInterval(this.hotplugTimer);
    this.hotplugTimer = undefined;
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close();
  }

  status(): DeviceStatus {
    const connected = this.connection !== undefined;
    return this.error === undefined ? { connected } : { connected, error: this.error };
  }

  onStatusChange(listener: (status: DeviceStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onState(listener: (state: TeleopState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  features(): Features {
    return {
      translation: { dtype: 'float64', shape: [3], names: ['x_right', 'y_away', 'z_up'], unit: 'normalised [-1, 1]' },
      rotation: { dtype: 'float64', shape: [3], names: ['rx', 'ry', 'rz'], unit: 'normalised [-1, 1]' },
      buttons: {
        dtype: 'bool',
        shape: [Object.keys(this.product?.buttons ?? { left: 0, right: 0 }).length],
        names: Object.keys(this.product?.buttons ?? { left: 0, right: 0 }),
      },
    };
  }

  latest(): TeleopState | undefined {
    return this.state;
  }

  battery_percent(): number | undefined {
    return this.battery;
  }

  /** Which device is open, and how many malformed reports were dropped (with the last reason). */
  info(): { product: string | undefined; path: string | undefined; invalid_reports: number; last_invalid: string | undefined } {
    return {
      product: this.product?.name,
      path: this.deviceInfo?.path,
      invalid_reports: this.invalid.count,
      last_invalid: this.invalid.last,
    };
  }
}

export const spacemouseFactory: DeviceFactory<typeof spacemouseOptionsSchema> = {
  kind: 'teleop',
  type: 'spacemouse',
  summary: '3Dconnexion SpaceMouse over USB HID (wired, wireless receiver, Universal Receiver)',
  options: spacemouseOptionsSchema,
  create: (options, context) => new SpaceMouse(context.name, options, context.clock),
};
