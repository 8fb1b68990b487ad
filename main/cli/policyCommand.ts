import { readFileSync } from 'node:fs';
import { APP_VERSION } from '../appInfo';
import type { PackInfo } from '../imagination/imaginationService';
import {
  DEFAULT_RANK_MARGIN,
  FORESIGHT_MODES,
  PolicyEpisodes,
  type ForesightMode,
  type PolicyRunOptions,
} from '../imagination/policyEpisodes';
import { RemotePolicy } from '../imagination/remote/remotePolicy';
import { parseRemotePolicyConfig } from '../imagination/remote/remotePolicyConfig';
import { ImaginationClient } from '../imagination/worker/imaginationClient';
import { SteppedSim } from '../runtime/steppedSim';
import { actionMeaning } from '../sim/expertLabels';
import { openStore } from '../store/database';
import { ForesightStore } from '../store/foresightStore';
import { UsageError, type Command, type CommandContext } from './command';
import { numberOption } from './expertOptions';
import { HeadlessRecording } from './headlessRecording';
import { horizonFor, imaginationOptionHelp, imaginationOptionSpecs, parseImaginationOptions, worldModelSimRig } from './imaginationOptions';

const DEFAULT_TASK = 'Pick up the cube and place it in the target region.';

/** `--remote CONFIG.json` (the mapping, docs/remote-policy.md) with `--remote-url` overriding its url, or `--remote-url` alone with the default mapping. */
function remotePolicyFrom(values: CommandContext['values']): RemotePolicy | undefined {
  const file = values.remote;
  const url = values['remote-url'];
  if (file === undefined && url === undefined) return undefined;
  let json: Record<string, unknown> = {};
  if (typeof file === 'string') {
    try {
      json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`--remote ${file}: ${(error as Error).message}`);
    }
  }
  if (typeof url === 'string') json = { ...json, url };
  // URL alone: the front camera as openpi's main image, chunks of 8 (the reference pack's), the defaults for the rest (docs/remote-policy.md).
  if (json.images === undefined) json = { ...json, images: { 'observation/image': 'front' } };
  if (json.chunk_length === undefined) json = { ...json, chunk_length: 8 };
  return new RemotePolicy(parseRemotePolicyConfig(json, typeof file === 'string' ? file : '--remote-url'));
}

/** A pack's policy names itself in the session's operator and the episodes' tags. */
function policyName(pack: PackInfo, options: PolicyRunOptions): string {
  if (options.remote !== undefined)
    return `remote policy ${options.remote.config.url} mode=${options.mode}${options.mode === 'rank' ? ` K=${options.K}` : ''} H=${options.H} (imagined by ${pack.model_name}@${pack.model_version})`;
  const knobs =
    options.mode === 'rank'
      ? ` K=${options.K} H=${options.H} margin=${options.rank_margin ?? DEFAULT_RANK_MARGIN}`
      : options.mode === 'gate'
        ? ` threshold=${options.threshold} H=${options.H}`
        : '';
  return `policy ${pack.model_name}@${pack.model_version} mode=${options.mode}${knobs} temperature=${options.temperature}`;
}

/**
 * `studio policy run --sim`: the pack's policy drives the simulated rig for N episodes with foresight
 * (off | rank | gate), each recorded like a teleop episode (tagged with policy and mode) and every
 * decision stored with its imagined candidates and the real outcome; one JSON line per episode and a
 * summary with the success rate.
 */
async function runPolicy({ io, global, values }: CommandContext): Promise<number> {
  const mode = values.mode ?? 'off';
  if (typeof mode !== 'string' || !(FORESIGHT_MODES as readonly string[]).includes(mode))
    throw new UsageError(`--mode must be one of ${FORESIGHT_MODES.join(', ')}, not "${String(mode)}"`);
  const settings = parseImaginationOptions(values, { K: 8 });
  const episodes = numberOption(
    values,
    'episodes',
    10,
    (n) => Number.isInteger(n) && n >= 1 && n <= 100_000,
    'an integer from 1 to 100000',
  );
  const options: PolicyRunOptions = {
    mode: mode as ForesightMode,
    K: settings.K,
    H: settings.H ?? 0, // the pack's success horizon unless given: set once the pack is open
    seed: settings.seed,
    threshold: numberOption(values, 'threshold', 0.5, (n) => n >= 0 && n <= 1, 'a probability from 0 to 1'),
    temperature: numberOption(values, 'temperature', 1, (n) => n >= 0 && n <= 10, 'a number from 0 to 10'),
    rank_margin: numberOption(values, 'rank-margin', DEFAULT_RANK_MARGIN, (n) => n >= 0 && n <= 1, 'a probability from 0 to 1'),
    max_duration_s: numberOption(values, 'max-duration-s', 45, (n) => n > 0 && n <= 600, 'seconds from 0 to 600'),
  };
  if (values['execute-steps'] !== undefined)
    options.execute_steps = numberOption(
      values,
      'execute-steps',
      8,
      (n) => Number.isInteger(n) && n >= 1 && n <= 64,
      'an integer from 1 to 64',
    );
  const json = values.json === true;
  const task = typeof values.task === 'string' ? values.task : DEFAULT_TASK;
  const remote = remotePolicyFrom(values);
  if (remote !== undefined) {
    options.remote = remote;
    options.task = task;
  }
  const { config, control_hz } = worldModelSimRig(values, global);

  const imagination = new ImaginationClient();
  let recording: HeadlessRecording | undefined;
  const store = openStore({ dataDir: global.dataDir, appVersion: APP_VERSION });
  store.db.pragma('busy_timeout = 5000');
  const foresight = new ForesightStore(store.db);
  let stopRequested = false;
  const onSignal = () => {
    stopRequested = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const pack = await imagination.open(settings.pack, settings.provider);
    options.H = horizonFor(settings, pack, io);
    if (pack.control_hz !== control_hz)
      throw new UsageError(
        `the pack ${pack.model_name} acts at ${pack.control_hz} Hz, the rig's control rate is ${control_hz} Hz; use the rig the pack was trained on`,
      );
    if (remote !== undefined) await remote.connect();
    const name = policyName(pack, options);
    recording = await HeadlessRecording.open({
      dataDir: global.dataDir,
      config,
      control_hz,
      operator: name,
      tap: {
        action_meta: actionMeaning(
          {
            max_linear_speed_m_s: config.safety.max_linear_speed_m_s,
            max_angular_speed_rad_s: config.safety.max_angular_speed_rad_s,
            chunk_length: pack.chunk_length,
          },
          control_hz,
        ),
      },
    });
    const sim = new SteppedSim(recording.devices, { control_hz, safety: config.safety });
    const runner = new PolicyEpisodes(sim, imagination, pack, options);
    const tags = [remote !== undefined ? `policy:remote:${remote.config.url}` : `policy:${pack.model_name}`, `mode:${options.mode}`];
    let successes = 0;
    let done = 0;
    const decisionMs: number[] = [];
    for (let episode = 0; episode < episodes && !stopRequested; episode++) {
      let episodeId = 0;
      const runIds: number[] = [];
      const result = await runner.run(episode, {
        starting: async (start) => {
          episodeId = await recording!.startEpisode({ task, tags, origin_ns: start.origin_ns });
        },
        cycled: (record) => recording!.cycle(record),
        decided: ({ run }) => {
          const id = foresight.record({ ...run, episode_id: episodeId });
          runIds.push(id);
          return id;
        },
        realised: (id, real) => foresight.recordReal(id, real),
        stopRequested: () => stopRequested,
      });
      if (result === null) {
        await recording.finishEpisode(null);
        break;
      }
      await recording.finishEpisode(result.success ? 'success' : 'failure');
      done++;
      if (result.success) successes++;
      decisionMs.push(result.decision_ms_median);
      const line = {
        episode,
        id: episodeId,
        session: recording.sessionId,
        mode: options.mode,
        success: result.success,
        ended_by: result.ended_by,
        chunks: result.chunks,
        steps: result.steps,
        clipped_steps: result.clipped_steps,
        seed: result.seed,
        decision_ms_median: Math.round(result.decision_ms_median),
        foresight_runs: runIds.length,
      };
      if (json) io.out(`${JSON.stringify(line)}\n`);
      else
        io.err(
          `episode ${episode} → #${episodeId}: ${result.success ? 'success' : `failure (${result.ended_by})`}, ${result.chunks} chunks, decisions ${Math.round(result.decision_ms_median)} ms\n`,
        );
    }
    decisionMs.sort((a, b) => a - b);
    const summary = {
      mode: options.mode,
      pack: pack.model_name,
      provider: pack.provider.provider,
      episodes: done,
      successes,
      success_rate: done > 0 ? successes / done : null,
      K: options.mode === 'rank' ? options.K : 1,
      H: options.H,
      /** Steps of each chosen chunk run before the next decision (the chunk length unless --execute-steps). */
      execute_steps: options.execute_steps ?? pack.chunk_length,
      seed: options.seed,
      decision_ms_median: decisionMs.length > 0 ? Math.round(decisionMs[decisionMs.length >> 1] ?? 0) : null,
      session: recording.sessionId,
    };
    if (json) io.out(`${JSON.stringify({ summary })}\n`);
    else
      io.out(
        `${options.mode}: ${successes}/${done} successes (${summary.success_rate === null ? '—' : `${(100 * summary.success_rate).toFixed(0)} %`}) on ${summary.provider}, into ${global.dataDir}\n`,
      );
    await recording.close();
    recording = undefined;
    return stopRequested ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await recording?.abandon();
    await remote?.close();
    await imagination.close();
    store.close();
  }
}

export const policyCommand: Command = {
  name: 'policy',
  summary:
    'Run a world-model pack’s policy with foresight: `policy run --sim` drives the simulated rig for N episodes (modes off | rank | gate), recorded with every imagined decision.',
  usage:
    'run --sim [--pack DIR] [--remote CONFIG.json] [--remote-url ws://HOST:PORT] [--episodes N] [--mode off|rank|gate] [--candidates K] [--horizon H] [--threshold P] [--rank-margin P] [--temperature T] [--seed S] [--provider auto|cpu|cuda|webgpu] [--json]',
  allowPositionals: true,
  options: {
    ...imaginationOptionSpecs,
    episodes: { type: 'string' },
    mode: { type: 'string' },
    threshold: { type: 'string' },
    temperature: { type: 'string' },
    'rank-margin': { type: 'string' },
    'max-duration-s': { type: 'string' },
    task: { type: 'string' },
    remote: { type: 'string' },
    'remote-url': { type: 'string' },
    'execute-steps': { type: 'string' },
  },
  optionHelp: {
    ...imaginationOptionHelp,
    candidates: 'K: policy samples imagined per decision in rank mode (default 8)',
    horizon: 'H: chunks imagined ahead for each decision (default: the pack’s success horizon, 4 for the reference pack)',
    episodes: 'number of episodes (default 10)',
    mode: 'off: execute the policy’s chunk; rank: imagine K samples, execute the best (GPC-RANK); gate: execute only if its predicted success ≥ --threshold, else stop the episode as gated (default off)',
    threshold: 'gate: least predicted success that executes (default 0.5)',
    'rank-margin': `rank: how much higher a sample’s predicted success must be to replace the policy’s own chunk (default ${DEFAULT_RANK_MARGIN}; 0 = always the best)`,
    temperature: 'policy noise scale of the samples after the first, which is the policy’s mode (default 1)',
    'execute-steps': 'steps of each chosen chunk run before deciding again (receding horizon; default the whole chunk)',
    'max-duration-s': 'episode time limit in simulated seconds (default 45)',
    task: 'task instruction stored with every episode (and sent to a remote policy)',
    remote:
      'candidates from a remote policy server (openpi websocket protocol): its mapping config, JSON (docs/remote-policy.md); K requests per decision in rank mode',
    'remote-url': 'the remote policy server, ws://HOST:PORT (overrides the config’s url; alone, the default mapping)',
    json: 'one JSON line per episode, then {"summary": {…, "success_rate"}}',
  },
  async run(context) {
    const [sub, ...rest] = context.positionals;
    if (sub !== 'run') throw new UsageError(sub === undefined ? 'missing subcommand (run)' : `unknown subcommand "${sub}" (expected run)`);
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    return runPolicy(context);
  },
};
