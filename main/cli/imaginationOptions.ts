import type { RigConfig } from '../../shared/rig/rigConfig';
import { builtInWorldModelRig, resolveRig, WORLD_MODEL_RIG_SOURCE } from '../config/loadRig';
import { resolvePackDir } from '../imagination/pack/packFolders';
import { providerChoices, type ProviderChoice, type ProviderOptions } from '../imagination/providers';
import type { PackInfo } from '../imagination/imaginationService';
import { UsageError, type CliIo, type CommandContext, type GlobalOptions, type OptionSpec } from './command';
import { numberOption } from './expertOptions';

/** Options shared by `studio imagine` and `studio policy run`: which pack, on which provider, how much to imagine. */
export const imaginationOptionSpecs: OptionSpec = {
  sim: { type: 'boolean' },
  pack: { type: 'string' },
  provider: { type: 'string' },
  threads: { type: 'string' },
  candidates: { type: 'string' },
  horizon: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
};

export const imaginationOptionHelp: Record<string, string> = {
  sim: 'run on the simulated rig (default rig: the built-in rigs/sim-gwm.json, whose cameras the reference pack was trained on)',
  pack: 'world-model pack folder (default: the shipped models/packs/gwm-lite-sim-franka)',
  provider: 'execution provider: auto (CUDA, then WebGPU, then CPU), cuda, webgpu or cpu (default auto)',
  threads: 'onnxruntime intra-op threads (default: the machine’s available parallelism)',
  candidates: 'K: candidate action chunks imagined per decision',
  horizon: 'H: chunks imagined ahead (default: the pack’s success horizon, 4 for the reference pack; at most its max_recommended_horizon)',
  seed: 'seed of the scene and of the imagination noise (default 0)',
  json: 'JSON lines on stdout',
};

export interface ImaginationSettings {
  pack: string;
  provider: ProviderOptions;
  K: number;
  /** Undefined: the pack's success horizon (see `horizonFor`). */
  H: number | undefined;
  seed: number;
}

export function parseImaginationOptions(values: CommandContext['values'], defaults: { K: number }): ImaginationSettings {
  const provider = values.provider ?? 'auto';
  if (typeof provider !== 'string' || !(providerChoices as readonly string[]).includes(provider))
    throw new UsageError(`--provider must be one of ${providerChoices.join(', ')}, not "${String(provider)}"`);
  const threads =
    values.threads === undefined
      ? undefined
      : numberOption(values, 'threads', 0, (n) => Number.isInteger(n) && n >= 1 && n <= 256, 'an integer from 1 to 256');
  return {
    pack: resolvePackDir(typeof values.pack === 'string' ? values.pack : undefined),
    provider: { provider: provider as ProviderChoice, ...(threads !== undefined ? { intra_op_threads: threads } : {}) },
    K: numberOption(values, 'candidates', defaults.K, (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'an integer from 1 to 64'),
    H:
      values.horizon === undefined
        ? undefined
        : numberOption(values, 'horizon', 0, (n) => Number.isInteger(n) && n >= 1 && n <= 16, 'an integer from 1 to 16'),
    seed: numberOption(values, 'seed', 0, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'an integer from 0 to 4294967295'),
  };
}

/** The simulated rig to imagine on: `--rig` if given, else the world-model rig, paced by hand (stepped). */
export function worldModelSimRig(
  values: CommandContext['values'],
  global: GlobalOptions,
): { config: RigConfig; source: string; control_hz: number } {
  if (values.sim !== true)
    throw new UsageError(
      'this needs --sim: imagination runs on the simulated rig from the command line (the studio UI runs it on any rig)',
    );
  const rig =
    global.rigPath !== undefined
      ? resolveRig({ rigPath: global.rigPath, dataDir: global.dataDir })
      : { source: WORLD_MODEL_RIG_SOURCE, config: builtInWorldModelRig() };
  if (rig.config.arm.type !== 'sim-arm')
    throw new UsageError(`--sim needs a rig whose arm is sim-arm; ${rig.source}'s arm is ${rig.config.arm.type}`);
  const control_hz = typeof rig.config.arm.control_hz === 'number' ? rig.config.arm.control_hz : 10;
  return { config: { ...rig.config, arm: { ...rig.config.arm, pacing: 'manual' } }, source: rig.source, control_hz };
}

/**
 * The horizon to imagine: `--horizon` if given, else the pack's success horizon — the look-ahead its
 * success head was trained on. A shorter one is allowed (it is faster) but said: the head then sees the
 * scene held still after H chunks, as at the end of an episode, so a grasp still under way reads as a
 * failure (measured: estimates of 0.02–0.14 at H = 2 where H = 4 gives the trainer's 0.2–0.7).
 */
export function horizonFor(settings: Pick<ImaginationSettings, 'H'>, pack: Pick<PackInfo, 'success_horizon'>, io: CliIo): number {
  const H = settings.H ?? pack.success_horizon;
  if (H < pack.success_horizon)
    io.err(
      `note: --horizon ${H} is shorter than the pack's success horizon (${pack.success_horizon} chunks); its success estimates see the scene held still after ${H} and read low. Omit --horizon to use ${pack.success_horizon}.\n`,
    );
  return H;
}
