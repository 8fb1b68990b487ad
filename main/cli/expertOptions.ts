import { DEFAULT_EXPERT_NOISE, type ExpertNoise } from '../sim/expert';
import { UsageError, type CommandContext, type OptionSpec } from './command';

/** The scripted expert's options, shared by `studio sim expert` and `studio record --expert`. */
const noiseFlags: Record<string, keyof ExpertNoise> = {
  'grasp-offset-m': 'grasp_offset_m',
  'approach-height-m': 'approach_height_m',
  'timing-jitter': 'timing_jitter',
  'explore-prob': 'explore_prob',
  'grasp-yaw-rad': 'grasp_yaw_rad',
};

export const expertOptionSpecs: OptionSpec = {
  episodes: { type: 'string' },
  seed: { type: 'string' },
  'control-hz': { type: 'string' },
  'grasp-offset-m': { type: 'string' },
  'approach-height-m': { type: 'string' },
  'timing-jitter': { type: 'string' },
  'explore-prob': { type: 'string' },
  'grasp-yaw-rad': { type: 'string' },
};

export const expertOptionHelp: Record<string, string> = {
  episodes: 'number of episodes (default 10)',
  seed: 'run seed; episode i draws its scene and noise from (seed, i) (default 0)',
  'control-hz': 'expert command rate (default 10)',
  'grasp-offset-m': `std dev of the grasp point error, m (default ${DEFAULT_EXPERT_NOISE.grasp_offset_m})`,
  'approach-height-m': `approach height above the cube, m (default ${DEFAULT_EXPERT_NOISE.approach_height_m})`,
  'timing-jitter': `relative std dev of phase durations (default ${DEFAULT_EXPERT_NOISE.timing_jitter})`,
  'explore-prob': `probability of a random exploration chunk (default ${DEFAULT_EXPERT_NOISE.explore_prob})`,
  'grasp-yaw-rad': `std dev of the grasp yaw error, rad (default ${DEFAULT_EXPERT_NOISE.grasp_yaw_rad})`,
};

export function numberOption(values: CommandContext['values'], name: string, fallback: number, check: (n: number) => boolean, rule: string): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${rule}, not "${String(raw)}"`);
  return n;
}

export interface ExpertRunOptions {
  episodes: number;
  seed: number;
  control_hz: number;
  noise: ExpertNoise;
}

export function parseExpertOptions(values: CommandContext['values']): ExpertRunOptions {
  const episodes = numberOption(values, 'episodes', 10, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000, 'an integer from 1 to 100000');
  const seed = numberOption(values, 'seed', 0, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'an integer from 0 to 4294967295');
  const control_hz = numberOption(values, 'control-hz', 10, (n) => n >= 1 && n <= 1000, 'a rate from 1 to 1000 Hz');
  const noise: ExpertNoise = { ...DEFAULT_EXPERT_NOISE };
  for (const [flag, key] of Object.entries(noiseFlags)) {
    noise[key] = numberOption(values, flag, noise[key], (n) => n >= 0 && (key !== 'explore_prob' || n <= 1), key === 'explore_prob' ? 'a probability from 0 to 1' : 'a number ≥ 0');
  }
  return { episodes, seed, control_hz, noise };
}
