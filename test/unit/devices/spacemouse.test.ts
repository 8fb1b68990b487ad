import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { mapAxes } from '../../../main/devices/spacemouse/axisMapping';
import type { HidBackend, HidConnection, HidDeviceInfo } from '../../../main/devices/spacemouse/hidBackend';
import { SpaceMouse, SPACEMOUSE_UDEV_RULE, spacemouseOptionsSchema } from '../../../main/devices/spacemouse/spacemouse';
import type { DeviceStatus, TeleopState } from '../../../main/devices/types';

const fixtures = join(__dirname, '../../fixtures/spacemouse');

/** Hex fixture → reports (one per non-comment line). */
function readHex(name: string): Uint8Array[] {
  return readFileSync(join(fixtures, name), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
    .map((line) => Uint8Array.from(line.split(/\s+/).map((byte) => Number.parseInt(byte, 16))));
}

/** A fake HID bus: a mutable device list and connections the test drives. */
class FakeHid implements HidBackend {
  list: HidDeviceInfo[] = [];
  openError: Error | undefined;
  connections: FakeConnection[] = [];
  async devices() {
    return [...this.list];
  }
  async open(path: string) {
    if (this.openError !== undefined) throw this.openError;
    if (!this.list.some((d) => d.path === path)) throw new Error(`no device at ${path}`);
    const connection = new FakeConnection();
    this.connections.push(connection);
    return connection;
  }
}

class FakeConnection implements HidConnection {
  data: ((report: Uint8Array) => void)[] = [];
  errors: ((error: Error) => void)[] = [];
  closed = false;
  onData(listener: (report: Uint8Array) => void) {
    this.data.push(listener);
  }
  onError(listener: (error: Error) => void) {
    this.errors.push(listener);
  }
  async close() {
    this.closed = true;
  }
  feed(report: Uint8Array) {
    for (const listener of this.data) listener(report);
  }
  unplug() {
    for (const listener of this.errors) listener(new Error('could not read from HID device'));
  }
}

const clock = { now_ns: () => 1n };
const wireless: HidDeviceInfo = {
  vendorId: 0x256f,
  productId: 0xc62e,
  path: '/dev/hidraw7',
  product: 'SpaceMouse Wireless',
  usagePage: 1,
  usage: 8,
};
const navigator: HidDeviceInfo = { vendorId: 0x046d, productId: 0xc626, path: '/dev/hidraw3', product: 'SpaceNavigator' };

async function open(device: HidDeviceInfo, options: Record<string, unknown> = {}) {
  const hid = new FakeHid();
  hid.list = [device];
  const mouse = new SpaceMouse('spacemouse', spacemouseOptionsSchema.parse({ deadzone: 0, hotplug_poll_ms: 5, ...options }), clock, hid);
  await mouse.connect();
  const states: TeleopState[] = [];
  mouse.onState((state) => states.push(state));
  return { hid, mouse, states, connection: hid.connections[0]! };
}

const close = (a: readonly number[], b: readonly number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 6));

describe('SpaceMouse from recorded HID reports', () => {
  test('single-report layout (Wireless): axes, signs, clipping, buttons, battery', async () => {
    const { mouse, states, connection } = await open(wireless);
    for (const report of readHex('wireless-single-report.hex')) connection.feed(report);
    expect(states).toHaveLength(9); // the battery report is not motion
    close(states[0]!.translation, [0.5, 0, 0]);
    close(states[1]!.translation, [0, 0, -1]); // pressed down = −z (z up)
    close(states[2]!.translation, [0, -1, 0]); // toward the user = −y (y away)
    close(states[3]!.rotation, [0, 0, -0.5]); // clockwise from above = negative yaw about +z up
    close(states[4]!.translation, [-1, 0, 0]); // −500 clipped to −1
    close(states[4]!.rotation, [-1, 0, 0]);
    expect(states[5]!.buttons).toEqual({ left: true, right: false });
    expect(states[5]!.gripper).toBe(1);
    expect(states[6]!.buttons).toEqual({ left: true, right: true });
    expect(states[7]!.gripper).toBe(0);
    expect(mouse.battery_percent()).toBe(85);
    close(states[8]!.translation, [0, 0, 0]);
    expect(mouse.info()).toMatchObject({ product: 'SpaceMouse Wireless (cabled)', path: '/dev/hidraw7', invalid_reports: 0 });
    await mouse.disconnect();
    expect(connection.closed).toBe(true);
  });

  test('two-report layout (SpaceNavigator): translation and rotation arrive separately and are combined', async () => {
    const { mouse, states, connection } = await open(navigator);
    for (const report of readHex('navigator-two-report.hex')) connection.feed(report);
    close(states[0]!.translation, [0.5, 0, 0]);
    close(states[1]!.translation, [0.5, 0, 0]); // the rotation report keeps the last translation
    close(states[2]!.translation, [0, 0, -52 / 350]);
    close(states[3]!.rotation, [0, 0, -45 / 350]);
    close(states[3]!.translation, [0, 0, -52 / 350]);
    expect(states[4]!.buttons).toEqual({ left: false, right: true });
    const last = states[states.length - 1]!;
    close([...last.translation, ...last.rotation], [0, 0, 0, 0, 0, 0]);
    await mouse.disconnect();
  });

  test('deadzone, sensitivity, per-axis sign and scale, translation/rotation locks', () => {
    const base = {
      deadzone: 0.1,
      sensitivity: 1,
      axis_sign: [1, 1, 1, 1, 1, 1],
      axis_scale: [1, 1, 1, 1, 1, 1],
      lock_translation: false,
      lock_rotation: false,
    };
    close(mapAxes([30, 0, 0], [0, 0, 0], base).translation, [0, 0, 0]); // 0.086 < 0.1
    close(mapAxes([175, 0, 0], [0, 0, 0], base).translation, [(0.5 - 0.1) / 0.9, 0, 0]);
    close(mapAxes([175, 0, 0], [0, 0, 0], { ...base, deadzone: 0, sensitivity: 3 }).translation, [1, 0, 0]);
    close(
      mapAxes([175, 175, 0], [0, 0, 175], { ...base, deadzone: 0, axis_sign: [-1, 1, 1, 1, 1, -1], axis_scale: [0.5, 1, 1, 1, 1, 1] })
        .translation,
      [-0.25, -0.5, 0],
    );
    close(mapAxes([0, 0, 0], [0, 0, 175], { ...base, deadzone: 0, axis_sign: [1, 1, 1, 1, 1, -1] }).rotation, [0, 0, 0.5]);
    const locked = mapAxes([350, 350, 350], [350, 350, 350], { ...base, lock_translation: true });
    close(locked.translation, [0, 0, 0]);
    close(locked.rotation, [1, -1, -1]);
    close(mapAxes([350, 0, 0], [350, 0, 0], { ...base, lock_rotation: true }).rotation, [0, 0, 0]);
  });

  test('hot-plug: unplugging zeroes the input and sets an error; the device reconnects when it reappears', async () => {
    const { hid, mouse, states, connection } = await open(wireless);
    connection.feed(Uint8Array.from([1, 0xaf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    const statuses: DeviceStatus[] = [];
    const reconnected = new Promise<void>((resolve) =>
      mouse.onStatusChange((status) => {
        statuses.push(status);
        if (status.connected && status.error === undefined) resolve();
      }),
    );
    hid.list = [];
    connection.unplug();
    await new Promise((resolve) => setImmediate(resolve));
    close(states[states.length - 1]!.translation, [0, 0, 0]);
    expect(mouse.status().connected).toBe(false);
    expect(mouse.status().error?.message).toMatch(/SpaceMouse Wireless \(cabled\) disconnected/);
    expect(mouse.status().error?.fix).toMatch(/reconnects by itself/);
    hid.list = [wireless];
    await reconnected;
    expect(hid.connections).toHaveLength(2);
    hid.connections[1]!.feed(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaf, 0]));
    close(mouse.latest()!.rotation, [0, 0, -0.5]);
    await mouse.disconnect();
  });

  test('a permission error explains the udev rule from the README', async () => {
    const hid = new FakeHid();
    hid.list = [wireless];
    hid.openError = Object.assign(new Error('cannot open device with path /dev/hidraw7'), { code: 'EACCES' });
    const mouse = new SpaceMouse('spacemouse', spacemouseOptionsSchema.parse({}), clock, hid);
    const error = await mouse.connect().then(
      () => ({ message: 'connected', fix: '' }),
      (e: unknown) => e as { message: string; fix: string },
    );
    expect(error.message).toMatch(/no permission to open SpaceMouse Wireless \(cabled\) at \/dev\/hidraw7/);
    expect(error.fix).toContain(SPACEMOUSE_UDEV_RULE);
    expect(error.fix).toContain('sudo udevadm control --reload-rules && sudo udevadm trigger');
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    for (const line of SPACEMOUSE_UDEV_RULE.split('\n')) expect(readme).toContain(line);
  });

  test('only real SpaceMice are picked: CadMouse and the receiver’s mouse interface are skipped', async () => {
    const hid = new FakeHid();
    hid.list = [
      { vendorId: 0x256f, productId: 0xc650, path: '/dev/hidraw1', product: 'CadMouse' },
      { vendorId: 0x256f, productId: 0xc652, path: '/dev/hidraw2', product: 'Universal Receiver Mouse', usagePage: 1, usage: 2 },
    ];
    const mouse = new SpaceMouse('spacemouse', spacemouseOptionsSchema.parse({}), clock, hid);
    await expect(mouse.connect()).rejects.toThrow(/no SpaceMouse found/);
    hid.list.push({ vendorId: 0x256f, productId: 0xc652, path: '/dev/hidraw4', product: 'Universal Receiver', usagePage: 1, usage: 8 });
    await mouse.connect();
    expect(mouse.info().path).toBe('/dev/hidraw4');
    await mouse.disconnect();
  });
});
