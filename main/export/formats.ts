import type { EpisodeReader } from './episodeSource';
import { GWM_DEFAULT_CONTROL_HZ, GwmWriter } from './gwm';
import { LeRobotWriter } from './lerobot';
import { RobomimicWriter } from './robomimic';
import type { DatasetSplit, ExportFormat, ExportOptions, FormatWriter, PlannedEpisode, StreamPlan } from './types';
import type { FormatValidator } from './validation';
import { gwmValidator } from './validateGwm';
import { lerobotV21Validator, lerobotV3Validator } from './validateLerobot';
import { robomimicValidator } from './validateRobomimic';

/** Everything a format writer is made from, decided by the export's plan. */
export interface FormatContext {
  /** Where it writes: a directory for most formats, the file itself for a single-file format. */
  root: string;
  reader: EpisodeReader;
  plan: StreamPlan;
  options: ExportOptions & { fps: number };
  tasks: string[];
  planned: PlannedEpisode[];
  /** Episodes per split, in dataset order (train, then valid, then test). */
  splits: Record<DatasetSplit, number>;
}

/** What planning tells a format about the first episode, and what it may add. */
export interface PlanningContext {
  reader: EpisodeReader;
  firstEpisode: number;
  plan: StreamPlan;
  options: ExportOptions;
  /** Streams every episode's window must cover; a format may add to them. */
  needed: string[];
  warnings: string[];
}

/** One export format: how its dataset is written and how it is checked. */
export interface ExportFormatSpec {
  /** `directory`, or one `file` (robomimic's .hdf5). */
  output: 'directory' | 'file';
  /** True when the format can go without camera images (robomimic with no camera selected). */
  imagesOptional: boolean;
  /** Extra planning for the format: streams its window needs, warnings. */
  planning?(context: PlanningContext): void;
  writer(context: FormatContext): FormatWriter;
  validator: FormatValidator;
}

/**
 * The export formats by id: the writer and the validator of each. `runExport` and `validateDataset`
 * pick from here; a new format is one entry (and its id in `EXPORT_FORMATS`).
 */
export const EXPORT_FORMAT_SPECS: { readonly [F in ExportFormat]: ExportFormatSpec } = {
  lerobot: {
    output: 'directory',
    imagesOptional: false,
    writer: (c) => new LeRobotWriter('v3', c.root, c.reader, c.plan, c.options, c.tasks, c.splits),
    validator: lerobotV3Validator,
  },
  'lerobot-v2.1': {
    output: 'directory',
    imagesOptional: false,
    writer: (c) => new LeRobotWriter('v21', c.root, c.reader, c.plan, c.options, c.tasks, c.splits),
    validator: lerobotV21Validator,
  },
  robomimic: {
    output: 'file',
    imagesOptional: true,
    writer: (c) => new RobomimicWriter(c.root, c.reader, c.plan, c.options, c.planned),
    validator: robomimicValidator,
  },
  gwm: {
    output: 'directory',
    imagesOptional: false,
    planning({ reader, firstEpisode, plan, options, needed, warnings }) {
      const first = reader.streamsOf(firstEpisode);
      const actionHz = first.get(plan.action)?.nominal_rate_hz ?? null;
      const controlHz = options.gwm?.control_hz ?? GWM_DEFAULT_CONTROL_HZ;
      if (actionHz !== null && actionHz + 1e-6 < controlHz) {
        warnings.push(
          `${plan.action} was recorded at ${actionHz} Hz and is exported at ${controlHz} Hz: steps between two recorded commands move nothing (record at ${controlHz} Hz, e.g. \`studio record --sim --expert --control-hz ${controlHz}\`, for a command every step)`,
        );
      }
      // The world-model export reads depth wherever it was recorded: its window must cover it too.
      for (const camera of plan.cameras) {
        const depth = first.get(`camera.${camera}.depth`);
        if (depth !== undefined && depth.sample_count > 0 && !needed.includes(depth.name)) needed.push(depth.name);
      }
    },
    writer: (c) => new GwmWriter(c.root, c.reader, c.plan, c.options, c.planned),
    validator: gwmValidator,
  },
};
