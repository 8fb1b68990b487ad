import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { nodeHidBackend, type HidDeviceInfo } from '../../../main/devices/spacemouse/hidBackend';
import { SpaceMouse, spacemouseOptionsSchema } from '../../../main/devices/spacemouse/spacemouse';
import type { TeleopState } from '../../../main/devices/types';

/**
 * The real node-hid path (hidBackend.ts → node-hid's native hidapi → the kernel's hidraw).
 *
 * Where the kernel has uhid (`/dev/uhid`, CONFIG_UHID), a virtual SpaceMouse Wireless with the
 * device's own captured report descriptor (test/fixtures/spacemouse/layouts.json) is created by
 * test/support/uhid_device.py; the kernel makes it a hidraw node and the studio's driver reads it
 * through node-hid exactly as it reads a plugged-in one. Where it has not, that test is skipped and
 * says why: e.g. the CI VM this was written on runs a kernel built with `# CONFIG_UHID is not set`,
 * `# CONFIG_MODULES is not set` and no USB gadget/dummy_hcd, so no virtual HID device can exist there.
 * The rest runs everywhere node-hid loads.
 */
const layouts = JSON.parse(readFileSync(join(__dirname, '../../fixtures/spacemouse/layouts.json'), 'utf8')) as {
  descriptors: { vid_pid: string; hex: string }[];
};
const wirelessDescriptor = layouts.descriptors.find((d) => d.vid_pid === '256f:c62e')?.hex.replace(/\s+/g, '') ?? '';

const uhid = process.platform === 'linux' && existsSync('/dev/uhid');
const noUhidReason =
  process.platform !== 'linux'
    ? 'uhid is Linux only'
    : (() => {
        try {
          // Best effort: say what the kernel config says (readable as /proc/config.gz on most kernels).
          return /# CONFIG_UHID is not set/.test(gunzipSync(readFileSync('/proc/config.gz')).toString())
            ? 'this kernel is built without CONFIG_UHID'
            : 'no /dev/uhid';
        } catch {
          return 'no /dev/uhid';
        }
      })();

let peer: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  peer?.stdin.end('quit\n');
  peer = undefined;
});

describe('node-hid backend', () => {
  test('loads the native binding and lists exactly the hidraw devices the kernel has', async () => {
    const devices = await nodeHidBackend.devices();
    if (process.platform === 'linux' && existsSync('/sys/class/hidraw')) {
      // hidapi's Linux backend enumerates /sys/class/hidraw: the same nodes, no more, no fewer.
      const nodes = readdirSync('/sys/class/hidraw')
        .map((name) => `/dev/${name}`)
        .sort();
      expect(devices.map((d) => d.path).sort()).toEqual(nodes);
    }
    for (const device of devices) {
      expect(Number.isInteger(device.vendorId) && Number.isInteger(device.productId)).toBe(true);
    }
  });

  test('opening a path with no device rejects with an error that names it', async () => {
    await expect(nodeHidBackend.open('/dev/hidraw-foresight-none')).rejects.toThrow(/hidraw-foresight-none/);
  });

  test.skipIf(!uhid)(
    `a virtual SpaceMouse Wireless (uhid) read through node-hid by the driver${uhid ? '' : ` — skipped: ${noUhidReason}`}`,
    async () => {
      const child = spawn('python3', [
        join(__dirname, '../../support/uhid_device.py'),
        '256f',
        'c62e',
        '3Dconnexion SpaceMouse Wireless',
        wirelessDescriptor,
      ]);
      peer = child;
      const lines = createInterface({ input: child.stdout });
      const events: string[] = [];
      const waiters: { name: string; resolve: () => void }[] = [];
      lines.on('line', (line) => {
        events.push(line);
        for (const waiter of waiters.filter((w) => w.name === line)) waiter.resolve();
      });
      const event = (name: string) =>
        events.includes(name) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ name, resolve }));
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await Promise.race([
        event('start'),
        new Promise((_, reject) => child.on('exit', (code) => reject(new Error(`uhid peer exited ${code}: ${stderr}`)))),
      ]);

      // The hidraw node appears once hid-generic has bound: wait for it on /dev's own events.
      let found: HidDeviceInfo | undefined;
      const watcher = watch('/dev');
      try {
        while ((found = (await nodeHidBackend.devices()).find((d) => d.vendorId === 0x256f && d.productId === 0xc62e)) === undefined) {
          await new Promise((resolve) => watcher.once('change', resolve));
        }
      } finally {
        watcher.close();
      }
      // hidapi reads the usage from the descriptor: the multi-axis collection the driver looks for.
      expect(found).toMatchObject({ usagePage: 1, usage: 8 });

      const mouse = new SpaceMouse('spacemouse', spacemouseOptionsSchema.parse({ deadzone: 0, path: found.path }), { now_ns: () => 1n });
      const states: TeleopState[] = [];
      const wanted = new Promise<void>((resolve) =>
        mouse.onState((state) => {
          states.push(state);
          if (states.length === 3) resolve();
        }),
      );
      await mouse.connect();
      expect(mouse.info()).toMatchObject({ product: 'SpaceMouse Wireless (cabled)', path: found.path });
      await event('open');
      const report = (...bytes: number[]) => child.stdin.write(`${Buffer.from(bytes).toString('hex')}\n`);
      report(1, 0xaf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaf, 0); // x = +175, Rz = +175 (HID frame)
      report(3, 1, 0); // left button
      report(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0); // rest
      await wanted;
      expect(states[0]?.translation).toEqual([0.5, 0, 0]);
      expect(states[0]?.rotation).toEqual([0, 0, -0.5]);
      expect(states[1]?.buttons).toEqual({ left: true, right: false });
      expect(states[2]?.translation).toEqual([0, 0, 0]);
      await mouse.disconnect();
    },
  );
});
