import { IMPORT_FORMATS, runImport, type ImportFormat, type ImportOptions } from '../import/runImport';
import { UsageError, type Command } from './command';
import { runFileJob } from './fileJob';

export const importCommand: Command = {
  name: 'import',
  summary: 'Import a local LeRobot dataset (v2.1 or v3.0) as saved episodes of a new session, atomically.',
  usage: '--format lerobot DIR [--operator NAME] [--tag a,b] [--json]',
  options: {
    format: { type: 'string' },
    operator: { type: 'string' },
    tag: { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    format: `one of ${IMPORT_FORMATS.join(', ')}`,
    operator: 'operator name stored with the session (default: none)',
    tag: 'tags for every imported episode, comma-separated (they also get "imported" and "lerobot")',
    json: 'machine-readable output',
  },
  allowPositionals: true,
  async run({ io, global, values, positionals }) {
    const format = values.format;
    if (typeof format !== 'string' || !(IMPORT_FORMATS as readonly string[]).includes(format))
      throw new UsageError(`--format must be one of ${IMPORT_FORMATS.join(', ')}`);
    const source = positionals[0];
    if (source === undefined) throw new UsageError('import needs the dataset folder: `studio import --format lerobot DIR`');
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const options: ImportOptions = { format: format as ImportFormat, dataDir: global.dataDir, source };
    if (typeof values.operator === 'string') options.operator = values.operator;
    if (typeof values.tag === 'string')
      options.tags = values.tag
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
    return runFileJob(
      io,
      { kind: 'import', cancelled: 'nothing was added to the store' },
      (handlers) => runImport(options, handlers),
      (summary) => {
        if (values.json === true) io.out(`${JSON.stringify(summary)}\n`);
        else {
          io.out(
            `imported LeRobot ${summary.codebase_version} dataset ${summary.source}: session ${summary.session_id}, episodes ${summary.episode_ids[0]}–${summary.episode_ids.at(-1)} (${summary.episode_ids.length}), ${summary.frames} frames at ${summary.fps} fps in ${summary.elapsed_s.toFixed(1)} s (${summary.real_time_factor.toFixed(1)}× real time)\n`,
          );
          for (const c of summary.cameras) io.out(`  ${c.feature} (${c.storage}) → ${c.stream}\n`);
          for (const s of summary.streams) io.out(`  ${s.feature} → ${s.stream}\n`);
          for (const w of summary.warnings) io.err(`warning: ${w}\n`);
        }
      },
    );
  },
};
