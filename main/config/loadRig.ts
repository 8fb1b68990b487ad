import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../shared/api/errors';
import type { RigSnapshot } from '../../shared/api/contract';
import { rigConfigSchema, type RigConfig } from '../../shared/rig/rigConfig';
import { describeIssues, issuesOf, type Issue } from '../../shared/validation';
import simRig from '../../rigs/sim.json';
import simGwmRig from '../../rigs/sim-gwm.json';

export const DEFAULT_RIG_SOURCE = 'built-in:rigs/sim.json';
export const RIG_FILE_IN_DATA_DIR = 'rig.json';

/** 1-based line and column of a character offset, for JSON syntax errors. */
function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Parses and validates rig config text; returns every problem rather than the first. */
export function checkRigText(text: string): { config: RigConfig; issues: [] } | { config: undefined; issues: Issue[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position?.[1] !== undefined ? lineColumnOf(text, Number(position[1])) : undefined;
    const at = where !== undefined ? ` (line ${where.line}, column ${where.column})` : '';
    return { config: undefined, issues: [{ path: '(root)', message: `not valid JSON${at}: ${message}` }] };
  }
  const parsed = rigConfigSchema.safeParse(json);
  if (!parsed.success) return { config: undefined, issues: issuesOf(parsed.error) };
  return { config: parsed.data, issues: [] };
}

export function loadRigFile(path: string): RigSnapshot {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `cannot read the rig config ${path}: ${(error as Error).message}`,
      fix: 'Pass an existing file with --rig, or omit --rig to use the simulated rig.',
    });
  }
  const checked = checkRigText(text);
  if (checked.config === undefined) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `the rig config ${path} is invalid:\n${describeIssues(checked.issues)}`,
      fix: `Fix the listed fields in ${path} (see docs/rig-config.md), or omit --rig to use the simulated rig.`,
      issues: checked.issues,
    });
  }
  return { source: path, config: checked.config };
}

/**
 * Which rig to run: an explicit `--rig` file, else `rig.json` in the data directory, else the shipped
 * simulated rig, so the studio does its whole job with no hardware attached.
 */
export function resolveRig(options: { rigPath?: string | undefined; dataDir: string }): RigSnapshot {
  if (options.rigPath !== undefined) return loadRigFile(options.rigPath);
  const inDataDir = join(options.dataDir, RIG_FILE_IN_DATA_DIR);
  if (existsSync(inDataDir)) return loadRigFile(inDataDir);
  return { source: DEFAULT_RIG_SOURCE, config: builtInSimRig() };
}

/** The shipped simulated rig (`rigs/sim.json`), whatever the data directory holds. */
export function builtInSimRig(): RigConfig {
  return rigConfigSchema.parse(simRig);
}

/** The shipped world-model rig (`rigs/sim-gwm.json`): the reference pack's cameras and control rate. */
export const WORLD_MODEL_RIG_SOURCE = 'built-in:rigs/sim-gwm.json';
export function builtInWorldModelRig(): RigConfig {
  return rigConfigSchema.parse(simGwmRig);
}
