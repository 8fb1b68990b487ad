import { discoverDevices, type Discovery, type DiscoveryOptions } from '../devices/discovery';
import { UsageError, type CliIo, type Command } from './command';

function text(value: string | number | undefined): string {
  return value === undefined ? '' : String(value);
}

function printDiscovery(io: CliIo, found: Discovery): void {
  io.out(`Cameras (V4L2): ${found.cameras.length === 0 ? 'none' : ''}\n`);
  for (const camera of found.cameras) {
    const ids = camera.vendor_id !== undefined ? ` [${camera.vendor_id}:${text(camera.product_id)}]` : '';
    const index =
      camera.index !== undefined ? ` index ${camera.index}${camera.index === 0 ? ' (image node)' : ' (metadata or second stream)'}` : '';
    io.out(
      `  ${camera.path}  ${text(camera.name) || '(no name)'}${ids}${index}${camera.camera_type !== undefined ? `  → type "${camera.camera_type}"` : ''}\n`,
    );
    for (const link of camera.by_id) io.out(`      ${link}\n`);
    for (const format of camera.formats ?? [])
      io.out(
        `      ${format.compressed ? 'compressed' : 'raw'} ${format.name} (${format.description}): ${format.sizes.join(' ') || 'sizes in ranges'}\n`,
      );
    if (camera.formats_error !== undefined) io.out(`      formats: ${camera.formats_error}\n`);
  }
  io.out(`HID teleop devices: ${found.hid.length === 0 ? 'none' : ''}\n`);
  for (const device of found.hid) {
    io.out(
      `  ${device.kind.padEnd(15)} ${device.name} [${device.vendor_id}:${device.product_id}] ${text(device.path)}${device.teleop_type !== undefined ? `  → type "${device.teleop_type}"` : ''}\n`,
    );
  }
  io.out(`Serial ports: ${found.serial.length === 0 ? 'none' : ''}\n`);
  for (const port of found.serial) {
    const ids = port.vendor_id !== undefined ? ` [${port.vendor_id}:${text(port.product_id)}]` : '';
    io.out(
      `  ${port.path}  ${port.manufacturer ?? (port.vendor_id === undefined ? '(no USB details: a built-in port?)' : '')}${ids}${port.serial_number !== undefined ? ` serial ${port.serial_number}` : ''}${port.by_id !== undefined ? `\n      ${port.by_id}` : ''}\n`,
    );
  }
  for (const problem of found.problems) io.out(`note: ${problem}\n`);
}

/** `studio devices list [--json] [--formats]`: what is plugged in, for writing a rig config. */
export function makeDevicesCommand(discovery: DiscoveryOptions = {}): Command {
  return {
    name: 'devices',
    summary: 'List cameras, HID teleop devices (SpaceMouse, game controllers) and serial ports.',
    usage: 'list [--json] [--formats]',
    options: { json: { type: 'boolean' }, formats: { type: 'boolean' } },
    optionHelp: {
      json: 'machine-readable output',
      formats: "also list each camera's pixel formats and sizes (opens each camera briefly, through ffmpeg)",
    },
    allowPositionals: true,
    async run({ io, values, positionals }) {
      const [action, ...rest] = positionals;
      if (action !== 'list' || rest.length > 0)
        throw new UsageError(`expected \`list\`${action === undefined ? '' : `, not "${positionals.join(' ')}"`}`);
      const found = await discoverDevices({ ...discovery, probeFormats: values.formats === true });
      if (values.json === true) io.out(`${JSON.stringify(found, null, 2)}\n`);
      else printDiscovery(io, found);
      return 0;
    },
  };
}

export const devicesCommand: Command = makeDevicesCommand();
