import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXPORT_FORMAT_SPECS } from './formats';
import { Problems, type ValidationReport } from './validation';

export type { ValidationReport } from './validation';

/**
 * Checks an exported dataset the way its real loader would, and more strictly, with the validator of
 * the format it is (the format registry, `formats.ts`: LeRobot v3.0/v2.1 in `validateLerobot.ts`,
 * robomimic HDF5 in `validateRobomimic.ts`, GWM sequences in `validateGwm.ts`). Every problem names the
 * file and what is wrong.
 */
export async function validateDataset(path: string): Promise<ValidationReport> {
  const report: ValidationReport = { path, format: 'unknown', ok: false, problems: [], episodes: 0, frames: 0, videos_probed: 0 };
  const problems = new Problems();
  try {
    const validator = existsSync(path)
      ? Object.values(EXPORT_FORMAT_SPECS).find((spec) => spec.validator.detect(path))?.validator
      : undefined;
    if (!existsSync(path)) problems.add(`${path} does not exist`);
    else if (validator !== undefined) {
      report.format = validator.kind;
      await validator.validate(path, report, problems);
    } else if (existsSync(join(path, 'meta/info.json'))) {
      const info = JSON.parse(readFileSync(join(path, 'meta/info.json'), 'utf8')) as { codebase_version?: string };
      problems.add(`meta/info.json: codebase_version ${info.codebase_version} is not v3.0 or v2.1`);
    } else {
      problems.add(`${path} is not a dataset this studio writes (no meta/info.json, index.json, or .hdf5 file)`);
    }
  } catch (error) {
    problems.add(`cannot read the dataset: ${(error as Error).message}`);
  }
  report.problems = problems.list;
  report.ok = problems.list.length === 0;
  return report;
}
