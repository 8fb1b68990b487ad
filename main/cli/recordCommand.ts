import { StudioError } from '../../shared/api/errors';
import type { RigConfig } from '../../shared/rig/rigConfig';
import { resolveRig } from '../config/loadRig';
import { createStderrLogger } from '../core/logger';
import { ExpertEpisodes } from '../runtime/expertEpisodes';
import { EXPERT_PHASES, type ExpertMotion } from '../sim/expert';
import { actionMeaning, expertVariantName } from '../sim/expertLabels';
import { UsageError, type Command, type CommandContext } from './command';
import { HeadlessRecording } from './headlessRecording';
import { expertOptionHelp, expertOptionSpecs, numberOption, parseExpertOptions } from './expertOptions';

const DEFAULT_TASK = 'Pick up the cube and place it in the target region.';

/** The rig to record: the configured sim rig, paced as asked, cameras optionally resized (intrinsics scaled). */
function simRig(rig: RigConfig, options: { control_hz: number; realTime: boolean; imageSize: [number, number] | undefined }): RigConfig {
  if (rig.arm.type !== 'sim-arm') {
    throw new StudioError({
      code: 'failed_precondition',
      message: `--sim needs a rig whose arm is sim-arm; this rig's arm is ${rig.arm.type}`,
      fix: 'Omit --rig to use the built-in simulated rig.',
    });
  }
  const size = options.imageSize;
  const cameras =
    size === undefined
      ? rig.cameras
      : rig.cameras.map((camera) => {
          const sx = size[0] / camera.width_px;
          const sy = size[1] / camera.height_px;
          const k = camera.intrinsics;
          return {
            ...camera,
            width_px: size[0],
            height_px: size[1],
            ...(k !== undefined
              ? { intrinsics: { fx_px: k.fx_px * sx, fy_px: k.fy_px * sy, cx_px: k.cx_px * sx, cy_px: k.cy_px * sy } }
              : {}),
          };
        });
  return { ...rig, cameras, arm: { ...rig.arm, control_hz: options.control_hz, pacing: options.realTime ? 'realtime' : 'manual' } };
}

function parseImageSize(value: unknown): [number, number] | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? /^(\d+)x(\d+)$/.exec(value) : null;
  const w = Number(match?.[1]);
  const h = Number(match?.[2]);
  if (match === null || w < 8 || h < 8 || w > 4096 || h > 4096)
    throw new UsageError(`--image-size must be WIDTHxHEIGHT, e.g. 128x128, not "${String(value)}"`);
  return [w, h];
}

/** `--tag a,b` (comma-separated; tags are stored with every recorded episode). */
function parseTags(value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'string') throw new UsageError('--tag needs a value, e.g. --tag expert-noise-0.02');
  const tags = value.split(',').map((tag) => tag.trim());
  if (tags.some((tag) => tag === '')) throw new UsageError(`--tag takes comma-separated non-empty tags, not "${value}"`);
  return tags;
}

async function recordExpert({ io, global, values }: CommandContext): Promise<number> {
  const { episodes, seed, control_hz, noise, chunk_length } = parseExpertOptions(values);
  const realTime = values['real-time'] === true;
  const json = values.json === true;
  const task = typeof values.task === 'string' ? values.task : DEFAULT_TASK;
  const resume =
    values.resume === undefined ? undefined : numberOption(values, 'resume', 0, (n) => Number.isInteger(n) && n > 0, 'a session id');
  const log = createStderrLogger('record');
  const rig = resolveRig({ rigPath: global.rigPath, dataDir: global.dataDir });
  const config = simRig(rig.config, { control_hz, realTime, imageSize: parseImageSize(values['image-size']) });
  const progress = values.progress === true;
  // The expert moves within the rig's own speed limits, so every recorded action is a step the rig allows.
  const motion: ExpertMotion = {
    max_linear_speed_m_s: config.safety.max_linear_speed_m_s,
    max_angular_speed_rad_s: config.safety.max_angular_speed_rad_s,
    chunk_length,
  };
  const operator = typeof values.operator === 'string' ? values.operator : expertVariantName(noise, motion);
  const tags = parseTags(values.tag);
  let policy: Record<string, unknown> = {};
  let lastProgressMs = 0;

  let stopRequested = false;
  const onSignal = () => {
    stopRequested = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let recording: HeadlessRecording | undefined;
  try {
    recording = await HeadlessRecording.open({
      dataDir: global.dataDir,
      config,
      control_hz,
      operator,
      ...(resume !== undefined ? { resume } : {}),
      tap: { expert: () => ({ phases: EXPERT_PHASES, policy }), action_meta: actionMeaning(motion, control_hz) },
    });
    const session = recording;
    // The control loop with the expert as its source: the rig's safety limits apply to its commands,
    // and every cycle it reports is recorded by the tap, as in the studio.
    const run = new ExpertEpisodes(session.devices, { seed, noise, control_hz, motion, safety: config.safety, realTime });
    let successes = 0;
    for (let episode = 0; episode < episodes && !stopRequested; episode++) {
      let episodeId = 0;
      let steps = 0;
      const result = await run.run(episode, {
        starting: async (start) => {
          policy = start.policy;
          // The episode starts at sim time 0, before the first state is published: the observation before the
          // first action is recorded, so the export's chunk grid starts where the actions do.
          episodeId = await session.startEpisode({ task, tags, ...(realTime ? {} : { origin_ns: start.origin_ns }) });
        },
        cycled: async (record) => {
          await session.cycle(record);
          steps++;
          if (progress && performance.now() - lastProgressMs >= 100) {
            lastProgressMs = performance.now();
            io.out(`${JSON.stringify({ progress: { episode, id: episodeId, steps, last_t_ns: record.t_ns.toString() } })}\n`);
          }
        },
        stopRequested: () => stopRequested,
      });
      if (result === null || stopRequested) {
        await session.finishEpisode(null);
        break;
      }
      if (result.success) successes++;
      await session.finishEpisode(result.success ? 'success' : 'failure');
      const line = { episode, id: episodeId, session: session.sessionId, success: result.success, steps: result.steps, seed: result.seed };
      if (json) io.out(`${JSON.stringify(line)}\n`);
      else
        io.err(
          `episode ${episode} → #${episodeId}: ${result.success ? 'success' : 'failure'}, ${result.steps} steps, ${session.droppedSamples()} dropped samples\n`,
        );
      const failures = session.tap.encodeFailures();
      if (failures.length > 0) log.warn(`frames that could not be encoded: ${failures.slice(0, 3).join('; ')}`);
    }
    recording = undefined;
    await session.close();
    if (!json) io.out(`recorded ${successes} successes out of ${episodes} episodes into ${global.dataDir}\n`);
    return stopRequested ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await recording?.abandon();
  }
}

export const recordCommand: Command = {
  name: 'record',
  summary:
    'Record episodes headless: `--sim --expert` records the scripted expert on the simulated rig (cameras, state, actions, ground truth).',
  usage:
    '--sim --expert [--episodes N] [--seed S] [--task TEXT] [--operator NAME] [--tag T[,T…]] [--real-time] [--image-size WxH] [--resume SESSION] [--json] [--progress] [expert noise options]',
  options: {
    ...expertOptionSpecs,
    sim: { type: 'boolean' },
    expert: { type: 'boolean' },
    task: { type: 'string' },
    operator: { type: 'string' },
    tag: { type: 'string' },
    'real-time': { type: 'boolean' },
    resume: { type: 'string' },
    json: { type: 'boolean' },
    'image-size': { type: 'string' },
    progress: { type: 'boolean' },
  },
  optionHelp: {
    sim: 'record the simulated rig (required for headless recording)',
    expert: 'drive it with the scripted pick-and-place expert (required for headless recording)',
    task: 'task instruction stored with every episode',
    operator: 'operator name stored with the session (default: the expert variant, e.g. "expert grasp_offset_m=0.012 … chunk_length=8")',
    tag: 'tags stored with every recorded episode, comma-separated (e.g. the policy variant: --tag noise-0.02)',
    'real-time': 'pace the simulation to the wall clock (default: as fast as possible)',
    resume: 'append to an existing session id',
    json: 'one JSON line per saved episode: {"episode", "id", "session", "success", "steps", "seed"}',
    'image-size': 'render every camera at WIDTHxHEIGHT (intrinsics scaled), e.g. 128x128 for world-model data',
    progress: 'print {"progress": {"id", "steps", "last_t_ns"}} lines at most every 100 ms while recording',
    ...expertOptionHelp,
  },
  async run(context) {
    if (context.values.sim !== true || context.values.expert !== true) {
      throw new UsageError('headless recording needs --sim --expert; to record by teleoperation, use the studio UI (`npm run web`)');
    }
    return recordExpert(context);
  },
};
