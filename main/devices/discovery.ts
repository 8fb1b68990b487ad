import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, join, resolve as resolvePath } from 'node:path';
import { asDeviceError } from './camera/captureErrors';
import { listV4l2Formats, type V4l2Format } from './camera/v4l2Formats';
import type { HidDeviceInfo } from './spacemouse/hidBackend';
import { findProduct, hex4, NOT_A_SPACEMOUSE } from './spacemouse/products';

/**
 * What is plugged in that the studio could use: HID teleop devices (SpaceMice, game controllers),
 * serial ports (grippers, Dynamixel leader arms) and V4L2 cameras. Every source is optional: a
 * machine without udev, /sys, HID support or a serial binding gives what it can, and says what it
 * could not look at in `problems`; discovery itself never throws.
 */

export interface HidTeleopDevice {
  kind: 'spacemouse' | 'game-controller';
  /** A product name: the SpaceMouse table's, else what the device reports. */
  name: string;
  vendor_id: string;
  product_id: string;
  path: string | undefined;
  /** The rig-config teleop `type` that drives it, when the studio has one. */
  teleop_type: string | undefined;
}

export interface SerialPortEntry {
  path: string;
  manufacturer: string | undefined;
  serial_number: string | undefined;
  vendor_id: string | undefined;
  product_id: string | undefined;
  /** A stable `/dev/serial/by-id/...` link to the same port, for the rig config. */
  by_id: string | undefined;
}

export interface CameraNode {
  /** `/dev/videoN`. */
  path: string;
  /** The driver's name for the node (`/sys/class/video4linux/videoN/name`). */
  name: string | undefined;
  /** 0 is a UVC camera's image node; other indices carry metadata. */
  index: number | undefined;
  vendor_id: string | undefined;
  product_id: string | undefined;
  /** Stable links to the node (`/dev/v4l/by-id/...`), best for the rig config. */
  by_id: string[];
  /** The rig-config camera `type` that fits, when it can be told from the name. */
  camera_type: 'uvc' | 'realsense' | undefined;
  /** Pixel formats and sizes (only when asked for: listing opens the device). */
  formats?: V4l2Format[];
  /** Why the formats could not be listed. */
  formats_error?: string;
}

export interface Discovery {
  hid: HidTeleopDevice[];
  serial: SerialPortEntry[];
  cameras: CameraNode[];
  /** Sources that could not be looked at, and why (never fatal). */
  problems: string[];
}

export interface SerialPortInfo {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

export interface DiscoveryOptions {
  /** HID enumeration; default node-hid. */
  listHid?: () => Promise<HidDeviceInfo[]>;
  /** Serial enumeration; default `SerialPort.list()`. */
  listSerial?: () => Promise<SerialPortInfo[]>;
  /** Roots of the device and sysfs trees (tests point them at a fake tree). */
  devRoot?: string;
  sysRoot?: string;
  /** Also list each camera's pixel formats and sizes through ffmpeg (opens every camera briefly). */
  probeFormats?: boolean;
}

const INTEL_VENDOR = 0x8086;

async function defaultListHid(): Promise<HidDeviceInfo[]> {
  const hid = await import('node-hid');
  return hid.devicesAsync();
}

async function defaultListSerial(): Promise<SerialPortInfo[]> {
  const { SerialPort } = await import('serialport');
  return SerialPort.list();
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** HID generic desktop usages: 4 joystick, 5 game pad, 8 multi-axis controller (a SpaceMouse). */
export function classifyHid(info: HidDeviceInfo): HidTeleopDevice | undefined {
  const ids = { vendor_id: hex4(info.vendorId), product_id: hex4(info.productId), path: info.path };
  const product = findProduct(info.vendorId, info.productId);
  if (product !== undefined && !NOT_A_SPACEMOUSE.has(info.productId)) {
    // Receivers expose a plain mouse interface too; only the multi-axis one moves the arm.
    if (info.usagePage !== undefined && info.usagePage !== 0 && (info.usagePage !== 1 || info.usage !== 8)) return undefined;
    return { kind: 'spacemouse', name: product.name, ...ids, teleop_type: 'spacemouse' };
  }
  if (info.usagePage === 1 && (info.usage === 4 || info.usage === 5)) {
    return { kind: 'game-controller', name: info.product ?? 'game controller', ...ids, teleop_type: undefined };
  }
  return undefined;
}

async function discoverHid(list: () => Promise<HidDeviceInfo[]>, problems: string[]): Promise<HidTeleopDevice[]> {
  try {
    const found = (await list()).map(classifyHid).filter((device): device is HidTeleopDevice => device !== undefined);
    // One physical device can show several interfaces; list it once per path.
    const seen = new Set<string>();
    return found.filter((device) => {
      const key = device.path ?? `${device.vendor_id}:${device.product_id}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  } catch (error) {
    problems.push(
      `HID devices: ${reason(error)} (SpaceMouse and game controllers cannot be listed; reinstall with \`npm rebuild node-hid\`)`,
    );
    return [];
  }
}

/** `name -> target` for every symlink in a directory (e.g. `/dev/serial/by-id`), resolved to absolute paths. */
async function links(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    try {
      out.set(join(dir, name), resolvePath(dir, await readlink(join(dir, name))));
    } catch {
      // not a link: skip
    }
  }
  return out;
}

async function discoverSerial(list: () => Promise<SerialPortInfo[]>, devRoot: string, problems: string[]): Promise<SerialPortEntry[]> {
  let ports: SerialPortInfo[];
  try {
    ports = await list();
  } catch (error) {
    // On Linux, serialport lists ports through `udevadm`; a container or minimal install may lack it.
    const missingUdevadm =
      (error as NodeJS.ErrnoException).code === 'ENOENT' || /spawn udevadm ENOENT|udevadm: not found/.test(reason(error));
    problems.push(
      missingUdevadm
        ? 'serial ports: cannot be listed because `udevadm` is not installed (serialport asks udev for the ports); install it with `sudo apt install udev` (Debian/Ubuntu), or give a device path such as /dev/ttyUSB0 in the rig config directly'
        : `serial ports: ${reason(error)}`,
    );
    return [];
  }
  const byId = await links(join(devRoot, 'serial', 'by-id'));
  return ports
    .map((port) => ({
      path: port.path,
      manufacturer: port.manufacturer,
      serial_number: port.serialNumber,
      vendor_id: port.vendorId?.toLowerCase(),
      product_id: port.productId?.toLowerCase(),
      by_id: [...byId].find(([, target]) => target === port.path)?.[0],
    }))
    .sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** The USB vendor and product of a video node: its sysfs `device` is the interface, whose parent is the USB device. */
async function usbIds(sysNode: string): Promise<{ vendor_id: string | undefined; product_id: string | undefined }> {
  try {
    const usbInterface = await realpath(join(sysNode, 'device'));
    const device = resolvePath(usbInterface, '..');
    return { vendor_id: await readText(join(device, 'idVendor')), product_id: await readText(join(device, 'idProduct')) };
  } catch {
    return { vendor_id: undefined, product_id: undefined };
  }
}

async function discoverCameras(devRoot: string, sysRoot: string, probeFormats: boolean, problems: string[]): Promise<CameraNode[]> {
  const videoName = /^video\d+$/;
  const names = new Set<string>();
  const sysClass = join(sysRoot, 'class', 'video4linux');
  let sysReadable = true;
  try {
    for (const name of await readdir(sysClass)) if (videoName.test(name)) names.add(name);
  } catch {
    sysReadable = false;
  }
  try {
    for (const name of await readdir(devRoot)) if (videoName.test(name)) names.add(name);
  } catch (error) {
    problems.push(`cameras: cannot read ${devRoot}: ${reason(error)}`);
  }
  if (!sysReadable && names.size > 0) problems.push(`cameras: ${sysClass} is not readable, so names and USB ids are unknown`);
  const byId = await links(join(devRoot, 'v4l', 'by-id'));
  const nodes: CameraNode[] = [];
  for (const name of [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    const sysNode = join(sysClass, name);
    const path = join(devRoot, name);
    const label = await readText(join(sysNode, 'name'));
    const indexText = await readText(join(sysNode, 'index'));
    const ids = await usbIds(sysNode);
    const realsense = /realsense/i.test(label ?? '') || ids.vendor_id === hex4(INTEL_VENDOR);
    const node: CameraNode = {
      path,
      name: label,
      index: indexText === undefined || Number.isNaN(Number(indexText)) ? undefined : Number(indexText),
      ...ids,
      by_id: [...byId].filter(([, target]) => basename(target) === name).map(([link]) => link),
      camera_type: realsense ? 'realsense' : label !== undefined || ids.vendor_id !== undefined ? 'uvc' : undefined,
    };
    if (probeFormats) {
      try {
        node.formats = await listV4l2Formats(path, path);
      } catch (error) {
        const explained = asDeviceError(error);
        node.formats_error = explained.fix === undefined ? explained.message : `${explained.message}. ${explained.fix}`;
      }
    }
    nodes.push(node);
  }
  return nodes;
}

/** Lists what is plugged in. Never throws; what could not be looked at is in `problems`. */
export async function discoverDevices(options: DiscoveryOptions = {}): Promise<Discovery> {
  const problems: string[] = [];
  const devRoot = options.devRoot ?? '/dev';
  const sysRoot = options.sysRoot ?? '/sys';
  const [hid, serial, cameras] = await Promise.all([
    discoverHid(options.listHid ?? defaultListHid, problems),
    discoverSerial(options.listSerial ?? defaultListSerial, devRoot, problems),
    process.platform === 'linux' || options.devRoot !== undefined
      ? discoverCameras(devRoot, sysRoot, options.probeFormats === true, problems)
      : Promise.resolve([]),
  ]);
  if (process.platform !== 'linux' && options.devRoot === undefined) problems.push('cameras: only V4L2 (Linux) cameras are listed');
  return { hid, serial, cameras, problems };
}
