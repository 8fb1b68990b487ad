import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StudioError } from '../../shared/api/errors';
import { DEFAULT_EXPERT_NOISE, type ExpertNoise } from '../sim/expert';
import { ModelLoadError } from '../sim/modelLoader';
import { DEFAULT_SCENE_NAME, DEFAULT_SCENE_XML } from '../sim/sceneXml';
import { SimWorkerClient } from '../sim/workerClient';
import type { EpisodeReport } from '../sim/workerProtocol';
import { UsageError, type Command, type CommandContext } from './command';

const noiseFlags: Record<string, keyof ExpertNoise> = {
  'grasp-offset-m': 'grasp_offset_m',
  'approach-height-m': 'approach_height_m',
  'timing-jitter': 'timing_jitter',
  'explore-prob': 'explore_prob',
  'grasp-yaw-rad': 'grasp_yaw_rad',
};

function numberOption(values: CommandContext['values'], name: string, fallback: number, check: (n: number) => boolean, rule: string): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${rule}, not "${String(raw)}"`);
  return n;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

function episodeLine(report: EpisodeReport): string {
  return JSON.stringify({
    episode: report.episode,
    seed: report.seed,
    success: report.success,
    steps: report.steps,
    lifted: report.lifted,
    sim_time_s: round(report.sim_time_s, 3),
    wall_ms: round(report.wall_ms, 1),
    real_time_factor: round(report.real_time_factor, 2),
    object_target_distance_m: round(report.object_target_distance_m, 4),
    explore_steps: report.explore_steps,
    clipped_steps: report.clipped_steps,
  });
}

function loadModelText(path: string | undefined): { xml: string; file: string } {
  if (path === undefined) return { xml: DEFAULT_SCENE_XML, file: DEFAULT_SCENE_NAME };
  try {
    return { xml: readFileSync(path, 'utf8'), file: resolve(path) };
  } catch (error) {
    throw new StudioError({ code: 'failed_precondition', message: `cannot read the model ${path}: ${(error as Error).message}` });
  }
}

async function runExpert({ io, values }: CommandContext): Promise<number> {
  const episodes = numberOption(values, 'episodes', 10, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000, 'an integer from 1 to 100000');
  const seed = numberOption(values, 'seed', 0, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'an integer from 0 to 4294967295');
  const control_hz = numberOption(values, 'control-hz', 10, (n) => n >= 1 && n <= 1000, 'a rate from 1 to 1000 Hz');
  const noise: ExpertNoise = { ...DEFAULT_EXPERT_NOISE };
  for (const [flag, key] of Object.entries(noiseFlags)) {
    noise[key] = numberOption(values, flag, noise[key], (n) => n >= 0 && (key !== 'explore_prob' || n <= 1), key === 'explore_prob' ? 'a probability from 0 to 1' : 'a number ≥ 0');
  }
  const json = values.json === true;
  const model = loadModelText(typeof values.model === 'string' ? values.model : undefined);

  const client = new SimWorkerClient();
  try {
    await client.request('init', { xml: model.xml, file: model.file, seed, control_hz, pacing: 'manual' });
    client.onEpisode((report) => {
      if (json) io.out(`${episodeLine(report)}\n`);
      else io.err(`episode ${report.episode}: ${report.success ? 'success' : 'failure'}${report.lifted ? '' : ' (never lifted)'}, ${report.steps} steps, ${round(report.real_time_factor, 1)}× real time\n`);
    });
    const summary = await client.request('runExpert', { episodes, seed, noise, control_hz });
    const rate = summary.successes / summary.episodes;
    const rtf = summary.sim_time_s / Math.max(summary.wall_ms / 1000, 1e-9);
    if (!json) {
      io.out(
        `${summary.successes}/${summary.episodes} episodes succeeded (${(100 * rate).toFixed(1)} %), seed ${seed}, ` +
          `${summary.sim_time_s.toFixed(1)} s simulated in ${(summary.wall_ms / 1000).toFixed(1)} s (real-time factor ${rtf.toFixed(1)}).\n` +
          `Noise: ${Object.entries(noise).map(([k, v]) => `${k}=${v}`).join(', ')}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof ModelLoadError) {
      throw new StudioError({ code: 'failed_precondition', message: `MuJoCo cannot load the model: ${error.message}`, fix: 'Fix the element named above (MJCF reference: https://mujoco.readthedocs.io/en/stable/XMLreference.html).' });
    }
    throw new StudioError({ code: 'internal', message: (error as Error).message });
  } finally {
    await client.close();
  }
}

export const simCommand: Command = {
  name: 'sim',
  summary: 'Run the simulated Franka rig headless: `sim expert` runs scripted pick-and-place episodes.',
  usage: 'expert [--episodes N] [--seed S] [--json] [--control-hz HZ] [--grasp-offset-m M] [--approach-height-m M] [--timing-jitter X] [--explore-prob P] [--grasp-yaw-rad R] [--model FILE]',
  allowPositionals: true,
  options: {
    episodes: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    'control-hz': { type: 'string' },
    'grasp-offset-m': { type: 'string' },
    'approach-height-m': { type: 'string' },
    'timing-jitter': { type: 'string' },
    'explore-prob': { type: 'string' },
    'grasp-yaw-rad': { type: 'string' },
    model: { type: 'string' },
  },
  optionHelp: {
    episodes: 'number of episodes (default 10)',
    seed: 'run seed; episode i draws its scene and noise from (seed, i) (default 0)',
    json: 'print one JSON object per episode per line on stdout',
    'control-hz': 'expert command rate (default 10)',
    'grasp-offset-m': `std dev of the grasp point error, m (default ${DEFAULT_EXPERT_NOISE.grasp_offset_m})`,
    'approach-height-m': `approach height above the cube, m (default ${DEFAULT_EXPERT_NOISE.approach_height_m})`,
    'timing-jitter': `relative std dev of phase durations (default ${DEFAULT_EXPERT_NOISE.timing_jitter})`,
    'explore-prob': `probability of a random exploration chunk (default ${DEFAULT_EXPERT_NOISE.explore_prob})`,
    'grasp-yaw-rad': `std dev of the grasp yaw error, rad (default ${DEFAULT_EXPERT_NOISE.grasp_yaw_rad})`,
    model: 'load this MJCF instead of the built-in scene (same body/joint names)',
  },
  async run(context) {
    const [sub, ...rest] = context.positionals;
    if (sub !== 'expert') throw new UsageError(sub === undefined ? 'missing subcommand (expert)' : `unknown subcommand "${sub}" (expected expert)`);
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    return runExpert(context);
  },
};
