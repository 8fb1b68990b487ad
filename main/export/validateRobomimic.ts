import { statSync } from 'node:fs';
import type { FormatValidator, Problems, ValidationReport } from './validation';

/** robomimic HDF5 (one file): demos, obs/next_obs, actions in [-1, 1], rewards, dones and masks. */

async function validateRobomimic(path: string, report: ValidationReport, problems: Problems): Promise<void> {
  const h5 = await import('h5wasm/node');
  await h5.ready;
  const file = new h5.File(path, 'r');
  try {
    const data = file.get('data') as InstanceType<typeof h5.Group> | null;
    if (data === null) {
      problems.add('no "data" group');
      return;
    }
    const attrs = data.attrs;
    const envArgs = attrs.env_args?.value;
    try {
      const env = JSON.parse(String(envArgs)) as { env_name?: unknown; type?: unknown; env_kwargs?: unknown };
      if (typeof env.env_name !== 'string' || typeof env.type !== 'number' || typeof env.env_kwargs !== 'object')
        problems.add('data.attrs["env_args"] needs env_name, type (int) and env_kwargs (dict)');
    } catch {
      problems.add('data.attrs["env_args"] is missing or not JSON');
    }
    const demos = data.keys().filter((k) => k.startsWith('demo_'));
    const numbers = demos.map((d) => Number(d.slice(5))).sort((a, b) => a - b);
    numbers.forEach((n, i) => {
      if (n !== i) problems.add(`demos must be demo_0..demo_${demos.length - 1}; found demo_${n} at position ${i}`);
    });
    let total = 0;
    for (const name of demos) {
      const demo = data.get(name) as InstanceType<typeof h5.Group>;
      const n = Number(demo.attrs.num_samples?.value);
      if (!(n > 0)) problems.add(`${name}: attribute num_samples is missing`);
      total += n;
      const actions = demo.get('actions') as InstanceType<typeof h5.Dataset> | null;
      if (actions === null || actions.shape?.length !== 2 || actions.shape[0] !== n)
        problems.add(`${name}/actions must be (num_samples, A), is ${JSON.stringify(actions?.shape)}`);
      else {
        const values = actions.value as Float32Array;
        const outside = values.findIndex((v) => v < -1 || v > 1);
        if (outside >= 0) problems.add(`${name}/actions has ${values[outside]} outside [-1, 1] (robomimic's get_dataset_info rejects it)`);
      }
      for (const key of ['rewards', 'dones']) {
        const ds = demo.get(key) as InstanceType<typeof h5.Dataset> | null;
        if (ds === null || ds.shape?.[0] !== n) problems.add(`${name}/${key} must have num_samples rows`);
      }
      for (const group of ['obs', 'next_obs']) {
        const g = demo.get(group) as InstanceType<typeof h5.Group> | null;
        if (g === null) {
          problems.add(`${name}/${group} is missing`);
          continue;
        }
        for (const key of g.keys()) {
          const ds = g.get(key) as InstanceType<typeof h5.Dataset>;
          if (ds.shape?.[0] !== n) problems.add(`${name}/${group}/${key} has ${ds.shape?.[0]} rows, num_samples is ${n}`);
        }
      }
    }
    report.episodes = demos.length;
    report.frames = total;
    if (Number(attrs.total?.value) !== total) problems.add(`data.attrs["total"] is ${attrs.total?.value}, the demos hold ${total} samples`);
    const mask = file.get('mask') as InstanceType<typeof h5.Group> | null;
    for (const key of mask?.keys() ?? []) {
      const names = ((mask!.get(key) as InstanceType<typeof h5.Dataset>).value as string[]).map(String);
      for (const n of names) if (!demos.includes(n)) problems.add(`mask/${key} names ${n}, which is not a demo`);
    }
  } finally {
    file.close();
  }
}

export const robomimicValidator: FormatValidator = {
  kind: 'robomimic',
  detect: (path) => /\.(hdf5|h5)$/i.test(path) && statSync(path, { throwIfNoEntry: false })?.isFile() === true,
  validate: validateRobomimic,
};
