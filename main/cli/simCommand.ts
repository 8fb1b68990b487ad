import { StudioError } from '../../shared/api/errors';
import { ModelLoadError } from '../sim/modelLoader';
import { readSceneModel } from '../sim/sceneXml';
import { SimWorkerClient } from '../sim/workerClient';
import type { EpisodeReport } from '../sim/workerProtocol';
import { UsageError, type Command, type CommandContext } from './command';
import { expertOptionHelp, expertOptionSpecs, parseExpertOptions } from './expertOptions';

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

async function runExpert({ io, values }: CommandContext): Promise<number> {
  const { episodes, seed, control_hz, noise } = parseExpertOptions(values);
  const json = values.json === true;
  const model = readSceneModel(typeof values.model === 'string' ? values.model : undefined);

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
  options: { ...expertOptionSpecs, json: { type: 'boolean' }, model: { type: 'string' } },
  optionHelp: {
    ...expertOptionHelp,
    json: 'print one JSON object per episode per line on stdout',
    model: 'load this MJCF instead of the built-in scene (same body/joint names)',
  },
  async run(context) {
    const [sub, ...rest] = context.positionals;
    if (sub !== 'expert') throw new UsageError(sub === undefined ? 'missing subcommand (expert)' : `unknown subcommand "${sub}" (expected expert)`);
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    return runExpert(context);
  },
};
