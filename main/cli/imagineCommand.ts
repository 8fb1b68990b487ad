import { ChunkSource } from '../control/chunkSource';
import { createDeviceRegistry } from '../devices/catalog';
import { createRigDevices, type RigDevices } from '../devices/rigDevices';
import { systemClock } from '../devices/types';
import { observeSim } from '../imagination/policyEpisodes';
import { ImaginationClient } from '../imagination/worker/imaginationClient';
import { SteppedSim } from '../runtime/steppedSim';
import { UsageError, type Command, type CommandContext } from './command';
import { numberOption } from './expertOptions';
import { imaginationOptionHelp, imaginationOptionSpecs, parseImaginationOptions, worldModelSimRig } from './imaginationOptions';

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * `studio imagine --sim`: one preview, as the studio makes it before an action reaches the robot — the
 * simulated scene (from --seed) observed, the pack's policy proposing K chunks, each imagined H chunks
 * ahead, decoded to Gaussians and scored — printed as one JSON line (provider, latency, per-graph
 * timings, memory, and each candidate's success estimate).
 */
async function imagineOnce({ io, global, values }: CommandContext): Promise<number> {
  const settings = parseImaginationOptions(values, { K: 8, H: 4 });
  const settle_s = numberOption(values, 'at-s', 0, (n) => n >= 0 && n <= 60, 'seconds from 0 to 60');
  const decode = values['no-decode'] !== true;
  const { config, control_hz } = worldModelSimRig(values, global);
  const imagination = new ImaginationClient();
  let devices: RigDevices | undefined;
  try {
    const pack = await imagination.open(settings.pack, settings.provider);
    devices = createRigDevices(config, createDeviceRegistry(), systemClock);
    await devices.connect();
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
    const result = await imagination.imagine({ K: settings.K, H: settings.H, seed: settings.seed, decode, candidates: { policy: { seed: settings.seed } } });
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
        first_action: Array.from(result.actions.subarray(k * result.H * pack.chunk_length * pack.action_names.length, (k * result.H * pack.chunk_length + 1) * pack.action_names.length), (a) => round(a, 5)),
      })),
    };
    if (values.json === true) io.out(`${JSON.stringify(line)}\n`);
    else {
      io.out(`${pack.model_name} on ${line.provider}: ${result.K} candidates × ${result.H} chunks in ${line.latency_ms} ms (${Object.entries(line.timings_ms).map(([g, ms]) => `${g} ${ms}`).join(', ')})\n`);
      for (const c of line.candidates) io.out(`  ${c.source.padEnd(18)} success ${(100 * c.success_prob).toFixed(0).padStart(3)} %\n`);
      io.out(`(the pack's test AUROC: ${pack.test_auroc === null ? 'not measured' : pack.test_auroc.toFixed(2)})\n`);
    }
    return 0;
  } finally {
    await devices?.disconnect();
    await imagination.close();
  }
}

export const imagineCommand: Command = {
  name: 'imagine',
  summary: 'Preview in imagination: the world-model pack imagines K candidate action chunks from the simulated rig’s current observation and estimates each one’s success.',
  usage: '--sim [--candidates K] [--horizon H] [--provider auto|cpu|cuda|webgpu] [--pack DIR] [--seed S] [--at-s SECONDS] [--no-decode] [--json]',
  allowPositionals: true,
  options: { ...imaginationOptionSpecs, 'at-s': { type: 'string' }, 'no-decode': { type: 'boolean' } },
  optionHelp: {
    ...imaginationOptionHelp,
    candidates: 'K: candidates from the pack’s policy (the first is its mode) (default 8)',
    horizon: 'H: chunks imagined ahead (default 4)',
    'at-s': 'observe after this many simulated seconds of the arm holding still (default 0)',
    'no-decode': 'skip decoding the imagined scenes to Gaussians (scores only)',
    json: 'one JSON line: provider, latency_ms, timings_ms, rss_mb, candidates [{success_prob, progress, first_action}]',
  },
  async run(context) {
    if (context.positionals.length > 0) throw new UsageError(`unexpected argument "${context.positionals[0]}"`);
    return imagineOnce(context);
  },
};
