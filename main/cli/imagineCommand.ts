import { ChunkSource } from '../control/chunkSource';
import { createDeviceRegistry } from '../devices/catalog';
import { createRigDevices, type RigDevices } from '../devices/rigDevices';
import { systemClock } from '../devices/types';
import { evaluateVariant, summarise, type EvalEpisode } from '../imagination/imaginationEval';
import { observeSim } from '../imagination/policyEpisodes';
import { liftAgreement } from '../imagination/objectRise';
import { rankingState, type RankingState } from '../imagination/rankingTest';
import { stepLimits } from '../imagination/candidates';
import { DEFAULT_EXPERT_NOISE } from '../sim/expert';
import { ImaginationClient } from '../imagination/worker/imaginationClient';
import { SteppedSim } from '../runtime/steppedSim';
import { UsageError, type CliIo, type Command, type CommandContext } from './command';
import { numberOption } from './expertOptions';
import {
  imaginationOptionHelp,
  imaginationOptionSpecs,
  horizonFor,
  parseImaginationOptions,
  worldModelSimRig,
  type ImaginationSettings,
} from './imaginationOptions';
import type { RigConfig } from '../../shared/rig/rigConfig';
import type { PackInfo } from '../imagination/imaginationService';

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(0)} %`);

/**
 * The pack opened in its worker and the simulated rig connected, for `body` (with the horizon to imagine,
 * `horizonFor`); both closed after, whatever happens.
 */
async function withSimImagination<T>(
  settings: ImaginationSettings,
  config: RigConfig,
  io: CliIo,
  body: (open: { imagination: ImaginationClient; pack: PackInfo; devices: RigDevices; H: number }) => Promise<T>,
): Promise<T> {
  const imagination = new ImaginationClient();
  let devices: RigDevices | undefined;
  try {
    const pack = await imagination.open(settings.pack, settings.provider);
    const H = horizonFor(settings, pack, io);
    devices = createRigDevices(config, createDeviceRegistry(), systemClock);
    await devices.connect();
    return await body({ imagination, pack, devices, H });
  } finally {
    await devices?.disconnect();
    await imagination.close();
  }
}

/**
 * `studio imagine --sim`: one preview, as the studio makes it before an action reaches the robot — the
 * simulated scene (from --seed) observed, the pack's policy proposing K chunks, each imagined H chunks
 * ahead, decoded to Gaussians and scored — printed as one JSON line (provider, latency, per-graph
 * timings, memory, and each candidate's success estimate).
 */
async function imagineOnce({ io, global, values }: CommandContext): Promise<number> {
  const settings = parseImaginationOptions(values, { K: 8 });
  const settle_s = numberOption(values, 'at-s', 0, (n) => n >= 0 && n <= 60, 'seconds from 0 to 60');
  const decode = values['no-decode'] !== true;
  const { config, control_hz } = worldModelSimRig(values, global);
  return withSimImagination(settings, config, io, async ({ imagination, pack, devices, H }) => {
    const sim = new SteppedSim(devices, { control_hz, safety: config.safety });
    await sim.reset(settings.seed, new ChunkSource([]));
    await sim.settle();
    // Optionally let the scene run (the arm holding still) before observing.
    for (let t = 0; t < Math.round(settle_s * control_hz); t++) {
      await sim.cycle();
      await sim.advance();
    }
    const observation = await observeSim(sim, pack.cameras);
    const observed = await imagination.observe(observation);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const result = await imagination.imagine({
      K: settings.K,
      H,
      seed: settings.seed,
      decode,
      candidates: { policy: { seed: settings.seed } },
    });
    const latency_ms = performance.now() - started;
    const line = {
      provider: pack.provider.provider,
      provider_skipped: pack.provider.skipped,
      pack: pack.model_name,
      K: result.K,
      H: result.H,
      decoded: result.gaussians !== null,
      latency_ms: round(latency_ms),
      lift_ms: round(observed.lift_ms),
      encode_ms: round(observed.encode_ms),
      timings_ms: Object.fromEntries(Object.entries(result.timings_ms).map(([graph, ms]) => [graph, round(ms ?? 0)])),
      rss_mb: round(Math.max(rssBefore, process.memoryUsage().rss) / 2 ** 20, 0),
      open_ms: round(pack.open_ms),
      test_auroc: pack.test_auroc,
      candidates: Array.from({ length: result.K }, (_, k) => ({
        source: k === 0 ? 'policy:mode' : `policy:sample-${k}`,
        success_prob: round(result.success_prob[k] ?? NaN, 4),
        progress: Array.from(result.progress.subarray(k * result.progress_steps, (k + 1) * result.progress_steps), (p) => round(p, 3)),
        first_action: Array.from(
          result.actions.subarray(
            k * result.H * pack.chunk_length * pack.action_names.length,
            (k * result.H * pack.chunk_length + 1) * pack.action_names.length,
          ),
          (a) => round(a, 5),
        ),
      })),
    };
    if (values.json === true) io.out(`${JSON.stringify(line)}\n`);
    else {
      io.out(
        `${pack.model_name} on ${line.provider}: ${result.K} candidates × ${result.H} chunks in ${line.latency_ms} ms (${Object.entries(
          line.timings_ms,
        )
          .map(([g, ms]) => `${g} ${ms}`)
          .join(', ')})\n`,
      );
      for (const c of line.candidates) io.out(`  ${c.source.padEnd(18)} success ${(100 * c.success_prob).toFixed(0).padStart(3)} %\n`);
      io.out(`(the pack's test AUROC: ${pack.test_auroc === null ? 'not measured' : pack.test_auroc.toFixed(2)})\n`);
    }
    return 0;
  });
}

/**
 * `studio imagine eval`: the pack's foresight against reality on the simulated rig — expert variants
 * (grasp-point error levels, as the reference data's variants) each run N episodes for real, with the
 * world model's estimate made just before each grasp from what the cameras saw and what the policy
 * then did; per variant predicted vs real success, and their Pearson/Spearman.
 */
async function imagineEval({ io, global, values }: CommandContext): Promise<number> {
  const settings = parseImaginationOptions(values, { K: 1 });
  const episodes = numberOption(values, 'episodes', 25, (n) => Number.isInteger(n) && n >= 1 && n <= 10_000, 'an integer from 1 to 10000');
  const offsets = (typeof values['grasp-offsets'] === 'string' ? values['grasp-offsets'] : '0.004,0.012,0.022,0.035')
    .split(',')
    .map(Number);
  if (offsets.some((o) => !Number.isFinite(o) || o < 0 || o > 0.2))
    throw new UsageError(`--grasp-offsets must be metres from 0 to 0.2, comma-separated, not "${String(values['grasp-offsets'])}"`);
  const seed = numberOption(
    values,
    'seed',
    7000,
    (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff,
    'an integer from 0 to 4294967295',
  );
  const { config, control_hz } = worldModelSimRig({ ...values, sim: true }, global);
  return withSimImagination(settings, config, io, async ({ imagination, pack, devices, H }) => {
    const rows: EvalEpisode[] = [];
    for (const [i, offset] of offsets.entries()) {
      const variant = { name: `expert grasp_offset_m=${offset}`, noise: { ...DEFAULT_EXPERT_NOISE, grasp_offset_m: offset } };
      const motion = {
        max_linear_speed_m_s: config.safety.max_linear_speed_m_s,
        max_angular_speed_rad_s: config.safety.max_angular_speed_rad_s,
        chunk_length: pack.chunk_length,
      };
      rows.push(
        ...(await evaluateVariant(devices, imagination, pack, variant, {
          seed: seed + 1000 * i,
          control_hz,
          motion,
          safety: config.safety,
          episodes,
          H,
          onEpisode: (row) => {
            if (values.json === true) io.out(`${JSON.stringify(row)}\n`);
          },
        })),
      );
    }
    const summary = summarise(rows);
    if (values.json === true)
      io.out(`${JSON.stringify({ summary: { ...summary, pack: pack.model_name, provider: pack.provider.provider, H } })}\n`);
    else {
      for (const v of summary.variants)
        io.out(
          `${v.name.padEnd(32)} real ${(100 * v.real).toFixed(0).padStart(3)} %   predicted ${(100 * v.predicted).toFixed(0).padStart(3)} %   (${v.episodes} episodes)\n`,
        );
      io.out(
        `Pearson ${summary.pearson?.toFixed(2) ?? '—'}, Spearman ${summary.spearman?.toFixed(2) ?? '—'}, episode AUROC ${summary.auroc?.toFixed(2) ?? '—'}\n`,
      );
    }
    return 0;
  });
}

/**
 * `studio imagine ranking`: does the world model pick the chunk that really works? At N states (the
 * expert just before its grasp), K perturbed versions of its next H chunks are imagined and each also
 * executed for real from the same restored simulator state; top-1 hit rate and Kendall τ.
 */
async function imagineRanking({ io, global, values }: CommandContext): Promise<number> {
  const settings = parseImaginationOptions(values, { K: 8 });
  const states = numberOption(values, 'states', 20, (n) => Number.isInteger(n) && n >= 1 && n <= 10_000, 'an integer from 1 to 10000');
  const seed = numberOption(
    values,
    'seed',
    9000,
    (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff,
    'an integer from 0 to 4294967295',
  );
  const { config, control_hz } = worldModelSimRig({ ...values, sim: true }, global);
  return withSimImagination(settings, config, io, async ({ imagination, pack, devices, H }) => {
    const sim = new SteppedSim(devices, { control_hz, safety: config.safety });
    const limits = stepLimits(config.safety, control_hz);
    const options = {
      K: settings.K,
      H,
      seed,
      noise: { ...DEFAULT_EXPERT_NOISE, explore_fraction: 0 },
      motion: {
        max_linear_speed_m_s: config.safety.max_linear_speed_m_s,
        max_angular_speed_rad_s: config.safety.max_angular_speed_rad_s,
        chunk_length: pack.chunk_length,
      },
      control_hz,
      limits,
      scale: { translation_m: 0.4 * limits.max_translation_m, rotation_rad: 0.2 * limits.max_rotation_rad },
    };
    const rows: RankingState[] = [];
    for (let i = 0; rows.length < states && i < states * 3; i++) {
      const row = await rankingState(sim, imagination, pack, i, options);
      if (row === null) continue;
      rows.push(row);
      if (values.json === true) io.out(`${JSON.stringify(row)}\n`);
    }
    const taus = rows.flatMap((r) => (r.kendall_tau === null ? [] : [r.kendall_tau]));
    const summary = {
      states: rows.length,
      K: settings.K,
      H,
      top1_hit_rate: rows.length > 0 ? rows.filter((r) => r.top1_hit).length / rows.length : null,
      chance: 1 / settings.K,
      outcome_top1_hit_rate: rows.length > 0 ? rows.filter((r) => r.outcome_top1_hit).length / rows.length : null,
      outcome_chance: rows.length > 0 ? rows.reduce((a, r) => a + r.outcome_chance, 0) / rows.length : null,
      kendall_tau_mean: taus.length > 0 ? taus.reduce((a, t) => a + t, 0) / taus.length : null,
      // Does the dynamics imagine the lifts that really happen, and only those?
      lifts: liftAgreement(rows.flatMap((r) => r.real.map((real, k) => ({ imagined: r.imagined_rise_m[k] ?? null, real: real.rise_m })))),
      pack: pack.model_name,
      provider: pack.provider.provider,
    };
    if (values.json === true) io.out(`${JSON.stringify({ summary })}\n`);
    else
      io.out(
        `top-1 ${summary.top1_hit_rate === null ? '—' : (100 * summary.top1_hit_rate).toFixed(0)} % (chance ${(100 * summary.chance).toFixed(0)} %), Kendall τ ${summary.kendall_tau_mean?.toFixed(2) ?? '—'} over ${rows.length} states\n` +
          `by outcome class (lifted > grasped > neither): ${pct(summary.outcome_top1_hit_rate)} (chance ${pct(summary.outcome_chance)})\n` +
          `imagined a lift in ${pct(summary.lifts.imagined_given_real_lift)} of ${summary.lifts.real_lifts} candidates that really lifted the object, ` +
          `and in ${pct(summary.lifts.imagined_given_no_real_lift)} of ${summary.lifts.real_non_lifts} that did not\n`,
      );
    return 0;
  });
}

export const imagineCommand: Command = {
  name: 'imagine',
  summary:
    'Preview in imagination: the world-model pack imagines K candidate action chunks from the simulated rig’s current observation and estimates each one’s success.',
  usage:
    '--sim [--candidates K] [--horizon H] [--provider auto|cpu|cuda|webgpu] [--pack DIR] [--seed S] [--at-s SECONDS] [--no-decode] [--json]\n' +
    '       studio imagine eval [--pack DIR] [--episodes N] [--grasp-offsets M,M,…] [--horizon H] [--seed S] [--json]\n' +
    '       studio imagine ranking [--pack DIR] [--states N] [--candidates K] [--horizon H] [--seed S] [--json]',
  allowPositionals: true,
  options: {
    ...imaginationOptionSpecs,
    'at-s': { type: 'string' },
    'no-decode': { type: 'boolean' },
    episodes: { type: 'string' },
    'grasp-offsets': { type: 'string' },
    states: { type: 'string' },
  },
  optionHelp: {
    ...imaginationOptionHelp,
    candidates: 'K: candidates from the pack’s policy (the first is its mode) (default 8)',
    'at-s': 'observe after this many simulated seconds of the arm holding still (default 0)',
    'no-decode': 'skip decoding the imagined scenes to Gaussians (scores only)',
    episodes: 'eval: episodes per variant (default 25)',
    states: 'ranking: test states, each the expert just before its grasp (default 20)',
    'grasp-offsets': 'eval: the expert variants, their grasp-point error in m (default 0.004,0.012,0.022,0.035)',
    json: 'one JSON line: provider, latency_ms, timings_ms, rss_mb, candidates [{success_prob, progress, first_action}]',
  },
  async run(context) {
    const [sub, ...rest] = context.positionals;
    if (rest.length > 0 || (sub !== undefined && sub !== 'eval' && sub !== 'ranking'))
      throw new UsageError(`unexpected argument "${sub === 'eval' || sub === 'ranking' ? rest[0] : sub}" (subcommands: eval, ranking)`);
    return sub === 'eval' ? imagineEval(context) : sub === 'ranking' ? imagineRanking(context) : imagineOnce(context);
  },
};
