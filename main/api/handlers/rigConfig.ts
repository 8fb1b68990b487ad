import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../../shared/api/errors';
import { describeIssues } from '../../../shared/validation';
import { checkRigText, RIG_FILE_IN_DATA_DIR } from '../../config/loadRig';
import { discoverDevices } from '../../devices/discovery';
import type { RigRuntime } from '../../runtime/rigRuntime';
import type { Handler } from '../router';

/** Rig config (read, validate, apply) and device discovery. */
export function rigConfigHandlers(
  { lifecycle }: Pick<RigRuntime, 'lifecycle'>,
  dataDir: string,
): {
  'rig.get': Handler<'rig.get'>;
  'rig.validate': Handler<'rig.validate'>;
  'rig.apply': Handler<'rig.apply'>;
  'devices.discover': Handler<'devices.discover'>;
} {
  return {
    'rig.get': () => lifecycle.rig,
    'rig.validate': ({ text }) => {
      const { issues } = checkRigText(text);
      return { ok: issues.length === 0, issues };
    },
    'rig.apply': async ({ text }) => {
      const checked = checkRigText(text);
      if (checked.config === undefined) {
        throw new StudioError({
          code: 'invalid_params',
          message: `the rig config is invalid; nothing was changed:\n${describeIssues(checked.issues)}`,
          issues: checked.issues,
        });
      }
      // Written beside, then renamed: a crash never leaves half a config that the next start would refuse.
      const path = join(dataDir, RIG_FILE_IN_DATA_DIR);
      const partial = `${path}.partial`;
      writeFileSync(partial, `${JSON.stringify(checked.config, null, 2)}\n`);
      renameSync(partial, path);
      const snapshot = { source: path, config: checked.config };
      return { snapshot, status: await lifecycle.apply(snapshot) };
    },
    'devices.discover': async () => {
      const found = await discoverDevices();
      return {
        hid: found.hid.map((d) => ({
          kind: d.kind,
          name: d.name,
          vendor_id: d.vendor_id,
          product_id: d.product_id,
          ...(d.path !== undefined ? { path: d.path } : {}),
          ...(d.teleop_type !== undefined ? { teleop_type: d.teleop_type } : {}),
        })),
        serial: found.serial.map((p) => ({
          path: p.path,
          ...(p.manufacturer !== undefined ? { manufacturer: p.manufacturer } : {}),
          ...(p.serial_number !== undefined ? { serial_number: p.serial_number } : {}),
          ...(p.vendor_id !== undefined ? { vendor_id: p.vendor_id } : {}),
          ...(p.product_id !== undefined ? { product_id: p.product_id } : {}),
          ...(p.by_id !== undefined ? { by_id: p.by_id } : {}),
        })),
        cameras: found.cameras.map((c) => ({
          path: c.path,
          by_id: c.by_id,
          ...(c.name !== undefined ? { name: c.name } : {}),
          ...(c.index !== undefined ? { index: c.index } : {}),
          ...(c.vendor_id !== undefined ? { vendor_id: c.vendor_id } : {}),
          ...(c.product_id !== undefined ? { product_id: c.product_id } : {}),
          ...(c.camera_type !== undefined ? { camera_type: c.camera_type } : {}),
        })),
        problems: found.problems,
      };
    },
  };
}
