import { runExport } from '../export/runExport';
import { EXPORT_FORMATS, VIDEO_CODECS, type ExportFormat, type ExportOptions, type Selection, type VideoCodec } from '../export/types';
import { validateDataset } from '../export/validate';
import type { EpisodeOutcome } from '../store/episodeStore';
import { UsageError, type Command } from './command';
import { runFileJob } from './fileJob';

const list = (value: string | boolean | undefined): string[] | undefined =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : undefined;

function number(name: string, value: string | boolean | undefined, check: (n: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} got "${String(value)}"`);
  return n;
}

function date(name: string, value: string | boolean | undefined, endOfDay: boolean): number | undefined {
  if (typeof value !== 'string') return undefined;
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = Date.parse(day ? `${value}T${endOfDay ? '23:59:59.999' : '00:00:00'}` : value);
  if (!Number.isFinite(ms)) throw new UsageError(`--${name} needs a date like 2026-05-01 or 2026-05-01T14:00, not "${value}"`);
  return ms;
}

/** Parses `studio export` flags into export options (exported for tests). */
export function exportOptionsFromFlags(values: Record<string, string | boolean | undefined>, dataDir: string): ExportOptions {
  const format = values.format;
  if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
  if (typeof values.out !== 'string') throw new UsageError('--out PATH is required (a new directory; for robomimic an .hdf5 file)');
  const vcodec = values.vcodec;
  if (vcodec !== undefined && (typeof vcodec !== 'string' || !(VIDEO_CODECS as readonly string[]).includes(vcodec)))
    throw new UsageError(`--vcodec must be one of ${VIDEO_CODECS.join(', ')}`);
  const outcomes = list(values.outcome);
  for (const o of outcomes ?? [])
    if (!['success', 'failure', 'unknown'].includes(o)) throw new UsageError(`--outcome takes success, failure, unknown; not "${o}"`);
  const selection: Selection = {};
  const ids = list(values.episodes)?.map((v) => number('episodes', v, (n) => Number.isInteger(n) && n > 0)!);
  if (ids !== undefined) selection.episode_ids = ids;
  if (outcomes !== undefined) selection.outcomes = outcomes as EpisodeOutcome[];
  const tags = list(values.tag);
  if (tags !== undefined) selection.tags = tags;
  const excluded = list(values['exclude-tag']);
  if (excluded !== undefined) selection.exclude_tags = excluded;
  if (typeof values.task === 'string') selection.tasks = [values.task];
  const operators = list(values.operator);
  if (operators !== undefined) selection.operators = operators;
  const from = date('from', values.from, false);
  if (from !== undefined) selection.from_unix_ms = from;
  const to = date('to', values.to, true);
  if (to !== undefined) selection.to_unix_ms = to;
  if (values['include-interrupted'] === true) selection.include_interrupted = true;
  const options: ExportOptions = { format: format as ExportFormat, dataDir, out: values.out, selection };
  const cameras = list(values.cameras);
  if (cameras !== undefined) options.cameras = cameras;
  const fps = number('fps', values.fps, (n) => Number.isInteger(n) && n > 0);
  if (fps !== undefined) options.fps = fps;
  const valid = number('valid-fraction', values['valid-fraction'], (n) => n >= 0 && n < 1);
  if (valid !== undefined) options.valid_fraction = valid;
  const test = number('test-fraction', values['test-fraction'], (n) => n >= 0 && n < 1);
  if (test !== undefined) options.test_fraction = test;
  const seed = number('split-seed', values['split-seed'], Number.isInteger);
  if (seed !== undefined) options.split_seed = seed;
  if (typeof vcodec === 'string') options.vcodec = vcodec as VideoCodec;
  const crf = number('crf', values.crf, (n) => Number.isInteger(n) && n >= 0 && n <= 63);
  if (crf !== undefined) options.crf = crf;
  if (values.preset !== undefined) {
    const presets = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'] as const;
    if (typeof values.preset !== 'string' || !(presets as readonly string[]).includes(values.preset))
      throw new UsageError(`--preset takes ${presets.join(', ')}`);
    options.h264_preset = values.preset as (typeof presets)[number];
  }
  if (values.depth === true) options.depth = true;
  if (values['dry-run'] === true) options.dry_run = true;
  if (values.action !== undefined) {
    if (values.action !== 'executed' && values.action !== 'requested') throw new UsageError('--action takes executed or requested');
    options.action_source = values.action;
  }
  if (typeof values['image-size'] === 'string') {
    const m = /^(\d+)x(\d+)$/.exec(values['image-size']);
    if (m === null) throw new UsageError('--image-size needs WxH, e.g. 84x84');
    options.image_size = [Number(m[1]), Number(m[2])];
  }
  if (typeof values['robot-type'] === 'string') options.robot_type = values['robot-type'];
  return options;
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export recorded episodes (LeRobot v3.0/v2.1, robomimic HDF5, GWM sequences), or validate an exported dataset.',
  usage: '--format lerobot|lerobot-v2.1|robomimic|gwm --out PATH [filters] [--dry-run] | validate DIR [--json]',
  options: {
    format: { type: 'string' },
    out: { type: 'string' },
    episodes: { type: 'string' },
    outcome: { type: 'string' },
    tag: { type: 'string' },
    'exclude-tag': { type: 'string' },
    task: { type: 'string' },
    operator: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'include-interrupted': { type: 'boolean' },
    cameras: { type: 'string' },
    fps: { type: 'string' },
    'valid-fraction': { type: 'string' },
    'test-fraction': { type: 'string' },
    'split-seed': { type: 'string' },
    vcodec: { type: 'string' },
    crf: { type: 'string' },
    preset: { type: 'string' },
    depth: { type: 'boolean' },
    action: { type: 'string' },
    'image-size': { type: 'string' },
    'robot-type': { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    format: `one of ${EXPORT_FORMATS.join(', ')}`,
    out: 'new dataset directory (robomimic: an .hdf5 file); written atomically',
    episodes: 'episode ids, comma-separated',
    outcome: 'success,failure,unknown',
    tag: 'episodes with any of these tags',
    'exclude-tag': 'leave out episodes with any of these tags',
    task: 'exact task text',
    operator: 'operators, comma-separated',
    from: 'recorded on or after (2026-05-01 or ISO time)',
    to: 'recorded on or before',
    'include-interrupted': 'also export interrupted episodes',
    cameras: 'camera names (default: all of the first episode)',
    fps: 'dataset frame rate (default: the recording target fps)',
    'valid-fraction': 'fraction of episodes for validation (e.g. 0.1)',
    'test-fraction': 'fraction of episodes held out for testing (e.g. 0.1), after validation in the same shuffle',
    'split-seed': 'seed of the train/valid shuffle',
    vcodec: 'libsvtav1 (default, LeRobot) or h264 (faster, more portable)',
    crf: 'video quality (default 30)',
    preset: 'h264 preset: ultrafast, superfast (default), veryfast, faster, fast, medium',
    depth: 'also export depth (LeRobot v3: 12-bit lossless HEVC; robomimic: [0,1] floats)',
    action: 'action source: executed (default) or requested',
    'image-size': 'robomimic image size WxH (default 84x84)',
    'robot-type': 'info.json robot_type (default franka)',
    'dry-run': 'print what would be exported; write nothing',
    json: 'machine-readable output',
  },
  allowPositionals: true,
  async run({ io, global, values, positionals }) {
    const json = values.json === true;
    if (positionals[0] === 'validate') {
      const dir = positionals[1];
      if (dir === undefined) throw new UsageError('validate needs a dataset path: `studio export validate DIR`');
      const report = await validateDataset(dir);
      if (json) io.out(`${JSON.stringify(report)}\n`);
      else if (report.ok)
        io.out(`ok: ${report.format}, ${report.episodes} episodes, ${report.frames} frames, ${report.videos_probed} video files probed\n`);
      else {
        io.out(`invalid ${report.format} dataset ${dir}: ${report.problems.length} problem(s)\n`);
        for (const p of report.problems) io.out(`  ${p}\n`);
      }
      return report.ok ? 0 : 1;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const options = exportOptionsFromFlags(values, global.dataDir);
    return runFileJob(
      io,
      { kind: 'export', cancelled: 'nothing was left at the output path' },
      (handlers) => runExport(options, handlers),
      (summary) => {
        if (json) io.out(`${JSON.stringify(summary)}\n`);
        else {
          const verb = summary.dry_run ? 'would export' : 'exported';
          io.out(
            `${verb} ${summary.episodes.length} episodes (${summary.total_frames} frames at ${summary.fps} fps, cameras ${summary.cameras.join(', ') || 'none'}) as ${summary.format}${summary.dry_run ? '' : ` to ${summary.out}: ${(summary.bytes / 1e6).toFixed(1)} MB in ${summary.elapsed_s.toFixed(1)} s (${summary.real_time_factor.toFixed(1)}× real time)`}\n`,
          );
          for (const e of summary.episodes)
            io.out(`  #${e.id} ${e.split.padEnd(5)} ${e.outcome.padEnd(8)} ${String(e.frames).padStart(6)} frames  ${e.task}\n`);
          for (const w of summary.warnings) io.err(`warning: ${w}\n`);
        }
      },
    );
  },
};
