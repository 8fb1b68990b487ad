import { DEFAULT_EXPERT_MOTION, DEFAULT_EXPERT_NOISE, type ExpertNoise } from '../sim/expert';
import { UsageError, type CommandContext, type OptionSpec } from './command';

/** The scripted expert's options, shared by `studio sim expert` and `studio record --expert`. */
const noiseFlags: Record<string, keyof ExpertNoise> = {
  'grasp-offset-m': 'grasp_offset_m',
  'approach-height-m': 'approach_height_m',
  'timing-jitter': 'timing_jitter',
  'explore-fraction': 'explore_fraction',
  'grasp-yaw-rad': 'grasp_yaw_rad',
};

export const expertOptionSpecs: OptionSpec = {
  episodes: { type: 'string' },
  seed: { type: 'string' },
  'control-hz': { type: 'string' },
  'grasp-offset-m': { type: 'string' },
  'approach-height-m': { type: 'string' },
  'timing-jitter': { type: 'string' },
  'explore-fraction': { type: 'string' },
  /** The old name of --explore-fraction, still accepted. */
  'explore-prob': { type: 'string' },
  'grasp-yaw-rad': { type: 'string' },
  'chunk-length': { type: 'string' },
};

export const expertOptionHelp: Record<string, string> = {
  episodes: 'number of episodes (default 10)',
  seed: 'run seed; episode i draws its scene and noise from (seed, i) (default 0)',
  'control-hz': 'expert command rate (default 10)',
  'grasp-offset-m': `std dev of the grasp point error, m (default ${DEFAULT_EXPERT_NOISE.grasp_offset_m})`,
  'approach-height-m': `approach height above the cube, m (default ${DEFAULT_EXPERT_NOISE.approach_height_m})`,
  'timing-jitter': `relative std dev of phase durations (default ${DEFAULT_EXPERT_NOISE.timing_jitter})`,
  'explore-fraction': `share of whole L-step chunks (on the episode's chunk grid) replaced by random exploration (default ${DEFAULT_EXPERT_NOISE.explore_fraction})`,
  'explore-prob': 'old name of --explore-fraction',
  'chunk-length': `L: exploration comes in whole chunks of L steps and episodes end on a chunk boundary (default ${DEFAULT_EXPERT_MOTION.chunk_length}; match the export's chunk length)`,
  'grasp-yaw-rad': `std dev of the grasp yaw error, rad (default ${DEFAULT_EXPERT_NOISE.grasp_yaw_rad})`,
};

export function numberOption(
  values: CommandContext['values'],
  name: string,
  fallback: number,
  check: (n: number) => boolean,
  rule: string,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new UsageError(`--${name} must be ${rule}, not "${String(raw)}"`);
  return n;
}

export interface ExpertRunOptions {
  episodes: number;
  seed: number;
  control_hz: number;
  noise: ExpertNoise;
  chunk_length: number;
}

export function parseExpertOptions(values: CommandContext['values']): ExpertRunOptions {
  const episodes = numberOption(
    values,
    'episodes',
    10,
    (n) => Number.isInteger(n) && n >= 1 && n <= 100_000,
    'an integer from 1 to 100000',
  );
  const seed = numberOption(values, 'seed', 0, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'an integer from 0 to 4294967295');
  const control_hz = numberOption(values, 'control-hz', 10, (n) => n >= 1 && n <= 1000, 'a rate from 1 to 1000 Hz');
  if (values['explore-prob'] !== undefined && values['explore-fraction'] !== undefined)
    throw new UsageError('give --explore-fraction or its old name --explore-prob, not both');
  const flags = values['explore-prob'] !== undefined ? { ...noiseFlags, 'explore-prob': 'explore_fraction' as const } : noiseFlags;
  const noise: ExpertNoise = { ...DEFAULT_EXPERT_NOISE };
  for (const [flag, key] of Object.entries(flags)) {
    const fraction = key === 'explore_fraction';
    noise[key] = numberOption(
      values,
      flag,
      noise[key],
      (n) => n >= 0 && (!fraction || n <= 1),
      fraction ? 'a fraction from 0 to 1' : 'a number ≥ 0',
    );
  }
  const chunk_length = numberOption(
    values,
    'chunk-length',
    DEFAULT_EXPERT_MOTION.chunk_length,
    (n) => Number.isInteger(n) && n >= 1 && n <= 1000,
    'an integer from 1 to 1000',
  );
  return { episodes, seed, control_hz, noise, chunk_length };
}
