import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDevicesCommand } from '../../../main/cli/devicesCommand';
import { runCli } from '../../../main/cli/program';
import { classifyHid, discoverDevices } from '../../../main/devices/discovery';
import { useTempDirs } from '../../support/tempDir';

const tempDir = useTempDirs();

function capture() {
  let out = '';
  let err = '';
  return { io: { out: (text: string) => (out += text), err: (text: string) => (err += text) }, out: () => out, err: () => err };
}

/** A fake /dev and /sys: a UVC webcam (image + metadata node) and a RealSense depth node. */
function fakeTree(): { devRoot: string; sysRoot: string } {
  const root = tempDir();
  const devRoot = join(root, 'dev');
  const sysRoot = join(root, 'sys');
  const usb = (name: string, vid: string, pid: string): string => {
    const device = join(sysRoot, 'devices', 'usb1', name);
    mkdirSync(join(device, `${name}:1.0`), { recursive: true });
    writeFileSync(join(device, 'idVendor'), `${vid}\n`);
    writeFileSync(join(device, 'idProduct'), `${pid}\n`);
    return join(device, `${name}:1.0`);
  };
  const node = (video: string, name: string, index: number, usbInterface: string): void => {
    const dir = join(sysRoot, 'class', 'video4linux', video);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'name'), `${name}\n`);
    writeFileSync(join(dir, 'index'), `${index}\n`);
    symlinkSync(usbInterface, join(dir, 'device'));
    writeFileSync(join(devRoot, video), '');
  };
  mkdirSync(join(devRoot, 'v4l', 'by-id'), { recursive: true });
  mkdirSync(join(devRoot, 'serial', 'by-id'), { recursive: true });
  const webcam = usb('1-1', '046d', '0825');
  const realsense = usb('1-2', '8086', '0b07');
  node('video0', 'UVC Camera (046d:0825)', 0, webcam);
  node('video1', 'UVC Camera (046d:0825)', 1, webcam);
  node('video10', 'Intel(R) RealSense(TM) Depth Ca', 0, realsense);
  writeFileSync(join(devRoot, 'video2'), ''); // a node with no sysfs entry (e.g. in a container)
  symlinkSync('../../video0', join(devRoot, 'v4l', 'by-id', 'usb-046d_0825-video-index0'));
  symlinkSync('../../ttyUSB0', join(devRoot, 'serial', 'by-id', 'usb-FTDI_FT232R_A1B2-if00-port0'));
  return { devRoot, sysRoot };
}

describe('device discovery', () => {
  it('on this machine: lists exactly the video nodes /dev and /sys show, only classified HID devices, and problems by subsystem', async () => {
    const found = await discoverDevices();
    if (process.platform === 'linux') {
      // An independent look at the same directories.
      const videoNames = new Set<string>();
      for (const dir of ['/sys/class/video4linux', '/dev']) {
        if (existsSync(dir)) for (const name of readdirSync(dir)) if (/^video\d+$/.test(name)) videoNames.add(name);
      }
      expect(found.cameras.map((camera) => camera.path).sort()).toEqual([...videoNames].map((name) => join('/dev', name)).sort());
    } else {
      expect(found.cameras).toEqual([]);
      expect(found.problems).toContain('cameras: only V4L2 (Linux) cameras are listed');
    }
    for (const device of found.hid) {
      expect(['spacemouse', 'game-controller']).toContain(device.kind);
      expect(device.vendor_id).toMatch(/^[0-9a-f]{4}$/);
      expect(device.product_id).toMatch(/^[0-9a-f]{4}$/);
    }
    for (const port of found.serial) expect(existsSync(port.path), port.path).toBe(true);
    for (const problem of found.problems) expect(problem).toMatch(/^(HID devices|serial ports|cameras): \S/);
  });

  it('reads camera names, USB ids and stable links from /sys and /dev', async () => {
    const { devRoot, sysRoot } = fakeTree();
    const found = await discoverDevices({
      devRoot,
      sysRoot,
      listHid: async () => [],
      listSerial: async () => [
        { path: join(devRoot, 'ttyUSB0'), manufacturer: 'FTDI', serialNumber: 'A1B2', vendorId: '0403', productId: '6001' },
      ],
    });
    expect(found.cameras.map((camera) => camera.path)).toEqual(
      ['video0', 'video1', 'video2', 'video10'].map((name) => join(devRoot, name)),
    );
    expect(found.cameras[0]).toEqual({
      path: join(devRoot, 'video0'),
      name: 'UVC Camera (046d:0825)',
      index: 0,
      vendor_id: '046d',
      product_id: '0825',
      by_id: [join(devRoot, 'v4l', 'by-id', 'usb-046d_0825-video-index0')],
      camera_type: 'uvc',
    });
    expect(found.cameras[1]).toMatchObject({ index: 1, by_id: [] });
    expect(found.cameras[2]).toMatchObject({ name: undefined, index: undefined, vendor_id: undefined, camera_type: undefined });
    expect(found.cameras[3]).toMatchObject({ vendor_id: '8086', camera_type: 'realsense' });
    expect(found.serial).toEqual([
      {
        path: join(devRoot, 'ttyUSB0'),
        manufacturer: 'FTDI',
        serial_number: 'A1B2',
        vendor_id: '0403',
        product_id: '6001',
        by_id: join(devRoot, 'serial', 'by-id', 'usb-FTDI_FT232R_A1B2-if00-port0'),
      },
    ]);
    expect(found.problems).toEqual([]);
  });

  it('degrades to what it can find: no /dev, no /sys, failing HID and serial listings', async () => {
    const root = tempDir();
    const found = await discoverDevices({
      devRoot: join(root, 'no-dev'),
      sysRoot: join(root, 'no-sys'),
      listHid: async () => {
        throw new Error('node-hid was built for another Node version');
      },
      listSerial: async () => {
        throw Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' });
      },
    });
    expect(found).toMatchObject({ hid: [], serial: [], cameras: [] });
    expect(found.problems.join('\n')).toMatch(
      /HID devices: node-hid was built[\s\S]*serial ports: cannot be listed because `udevadm` is not installed[\s\S]*sudo apt install udev[\s\S]*cameras: cannot read/,
    );
    // Any other serial failure is passed on as it is.
    const other = await discoverDevices({
      devRoot: join(root, 'no-dev'),
      sysRoot: join(root, 'no-sys'),
      listHid: async () => [],
      listSerial: async () => Promise.reject(new Error('EACCES: permission denied')),
    });
    expect(other.problems.join('\n')).toMatch(/serial ports: EACCES: permission denied/);
  });

  it('keeps SpaceMice (multi-axis interface only) and game controllers, nothing else', () => {
    expect(classifyHid({ vendorId: 0x256f, productId: 0xc635, path: '/dev/hidraw3', usagePage: 1, usage: 8 })).toEqual({
      kind: 'spacemouse',
      name: 'SpaceMouse Compact',
      vendor_id: '256f',
      product_id: 'c635',
      path: '/dev/hidraw3',
      teleop_type: 'spacemouse',
    });
    expect(
      classifyHid({
        vendorId: 0x256f,
        productId: 0xc652,
        path: '/dev/hidraw4',
        usagePage: 1,
        usage: 2,
        product: 'Universal Receiver Mouse',
      }),
    ).toBeUndefined();
    expect(classifyHid({ vendorId: 0x256f, productId: 0xc651, path: '/dev/hidraw5' })).toBeUndefined(); // CadMouse
    expect(
      classifyHid({ vendorId: 0x054c, productId: 0x09cc, path: '/dev/hidraw6', usagePage: 1, usage: 5, product: 'Wireless Controller' }),
    ).toMatchObject({ kind: 'game-controller', name: 'Wireless Controller' });
    expect(classifyHid({ vendorId: 0x046d, productId: 0xc52b, path: '/dev/hidraw7', usagePage: 1, usage: 6 })).toBeUndefined(); // a keyboard
  });
});

describe('studio devices list', () => {
  it('prints valid JSON with --json', async () => {
    const io = capture();
    const code = await runCli(['devices', 'list', '--json'], io.io);
    expect(code).toBe(0);
    const parsed = JSON.parse(io.out()) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['cameras', 'hid', 'problems', 'serial']);
  });

  it('prints a readable list, and refuses other actions', async () => {
    const { devRoot, sysRoot } = fakeTree();
    const io = capture();
    const command = makeDevicesCommand({
      devRoot,
      sysRoot,
      listHid: async () => [{ vendorId: 0x256f, productId: 0xc62e, path: '/dev/hidraw0' }],
      listSerial: async () => [],
    });
    expect(await command.run({ io: io.io, global: { dataDir: tempDir(), rigPath: undefined }, values: {}, positionals: ['list'] })).toBe(0);
    expect(io.out()).toContain(`${join(devRoot, 'video0')}  UVC Camera (046d:0825) [046d:0825] index 0 (image node)  → type "uvc"`);
    expect(io.out()).toContain('spacemouse      SpaceMouse Wireless (cabled) [256f:c62e] /dev/hidraw0  → type "spacemouse"');
    expect(io.out()).toContain('Serial ports: none');
    const bad = capture();
    expect(await runCli(['devices', 'show'], bad.io)).toBe(2);
    expect(bad.err()).toContain('expected `list`');
  });
});
