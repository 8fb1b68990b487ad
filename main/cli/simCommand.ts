import { StudioError } from '../../shared/api/errors';
import { createStderrLogger } from '../core/logger';
import { closeOnSignals } from '../core/shutdown';
import { DEOXYS_DEFAULT_PORT_BASE } from '../devices/deoxys/ports';
import { startSimBridge, type SimBridge } from '../devices/deoxys/simBridge';
import { PortInUseError } from '../devices/deoxys/simServer';
import { DEFAULT_EXPERT_MOTION } from '../sim/expert';
import { ModelLoadError } from '../sim/modelLoader';
import { readSceneModel } from '../sim/sceneXml';
import type { RigConfig } from '../../shared/rig/rigConfig';
import { builtInSimRig } from '../config/loadRig';
import { createDeviceRegistry } from '../devices/catalog';
import { createRigDevices } from '../devices/rigDevices';
import { systemClock } from '../devices/types';
import { ExpertEpisodes, type ExpertEpisodeResult } from '../runtime/expertEpisodes';
import { UsageError, type Command, type CommandContext } from './command';
import { expertOptionHelp, expertOptionSpecs, numberOption, parseExpertOptions } from './expertOptions';

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

function episodeLine(report: ExpertEpisodeResult): string {
  return JSON.stringify({
    episode: report.episode,
    seed: report.seed,
    success: report.success,
    steps: report.steps,
    lifted: report.final?.lifted ?? false,
    sim_time_s: round(report.sim_time_s, 3),
    wall_ms: round(report.wall_ms, 1),
    real_time_factor: round(report.real_time_factor, 2),
    object_target_distance_m: round(report.final?.object_target_distance_m ?? Number.NaN, 4),
    explore_steps: report.explore_steps,
    clipped_steps: report.clipped_steps,
  });
}

/**
 * `studio sim expert`: the built-in simulated rig (arm and gripper, no cameras) stepped as fast as it
 * goes, with the expert as the control loop's source — the same loop, safety and e-stop as every
 * other source, and the same episodes `studio record --sim --expert` records.
 */
async function runExpert({ io, values }: CommandContext): Promise<number> {
  const { episodes, seed, control_hz, noise, chunk_length } = parseExpertOptions(values);
  const json = values.json === true;
  const model = typeof values.model === 'string' ? values.model : undefined;
  // Fail early, with MuJoCo's message, on a model that does not load (the sim worker would too, later).
  if (model !== undefined) readSceneModel(model);
  const builtIn = builtInSimRig();
  const config: RigConfig = {
    ...builtIn,
    arm: { type: 'sim-arm', control_hz, seed, pacing: 'manual', ...(model !== undefined ? { model } : {}) },
    cameras: [],
    teleop: [],
  };
  const motion = { ...DEFAULT_EXPERT_MOTION, chunk_length };
  const devices = createRigDevices(config, createDeviceRegistry(), systemClock);
  try {
    await devices.connect();
    const run = new ExpertEpisodes(devices, { seed, noise, control_hz, motion, safety: config.safety });
    let successes = 0,
      sim_time_s = 0;
    const started = performance.now();
    for (let episode = 0; episode < episodes; episode++) {
      const report = await run.run(episode);
      if (report === null) break;
      if (report.success) successes++;
      sim_time_s += report.sim_time_s;
      if (json) io.out(`${episodeLine(report)}\n`);
      else
        io.err(
          `episode ${report.episode}: ${report.success ? 'success' : 'failure'}${report.final?.lifted === true ? '' : ' (never lifted)'}, ${report.steps} steps, ${round(report.real_time_factor, 1)}× real time\n`,
        );
    }
    const wall_ms = performance.now() - started;
    const rate = successes / episodes;
    const rtf = sim_time_s / Math.max(wall_ms / 1000, 1e-9);
    if (!json) {
      io.out(
        `${successes}/${episodes} episodes succeeded (${(100 * rate).toFixed(1)} %), seed ${seed}, ` +
          `${sim_time_s.toFixed(1)} s simulated in ${(wall_ms / 1000).toFixed(1)} s (real-time factor ${rtf.toFixed(1)}).\n` +
          `Noise: ${Object.entries(noise)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof ModelLoadError) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `MuJoCo cannot load the model: ${error.message}`,
        fix: 'Fix the element named above (MJCF reference: https://mujoco.readthedocs.io/en/stable/XMLreference.html).',
      });
    }
    throw error instanceof StudioError ? error : new StudioError({ code: 'internal', message: (error as Error).message });
  } finally {
    await devices.disconnect();
  }
}

/** Options only `sim expert` understands; `sim bridge` refuses them instead of ignoring them. */
const EXPERT_ONLY = Object.keys(expertOptionSpecs).filter((name) => name !== 'seed');
const BRIDGE_ONLY = ['port-base', 'host', 'pc-ip'];

function refuseOptions(values: CommandContext['values'], names: readonly string[], sub: string): void {
  const given = names.find((name) => values[name] !== undefined);
  if (given !== undefined) throw new UsageError(`--${given} does not apply to \`sim ${sub}\``);
}

/**
 * `studio sim bridge`: a deoxys real-time PC stand-in backed by MuJoCo physics, until SIGINT/SIGTERM.
 * It binds the state PUBs on --host and connects its command SUBs to --pc-ip, like franka-interface
 * and gripper-interface do with their YAML's NUC ports and PC.IP.
 */
async function runBridge({ io, values }: CommandContext): Promise<number> {
  refuseOptions(values, EXPERT_ONLY, 'bridge');
  const port_base = numberOption(
    values,
    'port-base',
    DEOXYS_DEFAULT_PORT_BASE,
    (n) => Number.isInteger(n) && n >= 1 && n <= 65532,
    'an integer from 1 to 65532',
  );
  const seed = numberOption(values, 'seed', 0, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'an integer from 0 to 4294967295');
  const host = typeof values.host === 'string' && values.host !== '' ? values.host : '127.0.0.1';
  const pc_ip = typeof values['pc-ip'] === 'string' && values['pc-ip'] !== '' ? values['pc-ip'] : '127.0.0.1';
  const json = values.json === true;
  const model = typeof values.model === 'string' ? readSceneModel(values.model) : undefined;
  const log = createStderrLogger('sim-bridge', (line) => io.err(line));

  let bridge: SimBridge;
  try {
    bridge = await startSimBridge({ port_base, host, pc_ip, seed, ...(model === undefined ? {} : { model }) });
  } catch (error) {
    if (error instanceof PortInUseError) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `the deoxys sim bridge cannot bind port ${error.port} on ${host}: it is already in use (another bridge or a real NUC's software?)`,
        fix: `Stop whatever holds port ${error.port}, or pass another --port-base (the bridge binds base+1 and base+3; the client binds base and base+2).`,
      });
    }
    if (error instanceof ModelLoadError) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `MuJoCo cannot load the model: ${error.message}`,
        fix: 'Fix the element named above (MJCF reference: https://mujoco.readthedocs.io/en/stable/XMLreference.html).',
      });
    }
    throw error;
  }
  const { server, ports } = bridge;
  server.on('arm_stopped', (reason) =>
    log.warn(
      reason === 'watchdog'
        ? 'arm node stopped: 20 polls without a command (deoxys watchdog); restarting in 1 s'
        : 'arm node stopped: termination message; restarting in 1 s',
    ),
  );
  server.on('arm_restarted', () => log.info('arm node restarted'));
  server.on('refused', (reason) => log.warn(`refused: ${reason}`));
  // Handlers first: whoever reads the ports below may signal at once, and without a handler the
  // default disposition would kill the process before it unbinds.
  const stopped = closeOnSignals(() => bridge.close(), log);

  if (json) {
    io.out(
      `${JSON.stringify({ event: 'listening', backend: 'mujoco', host, pc_ip, port_base, ports, seed, state_rate_hz: 100, gripper_rate_hz: 40 })}\n`,
    );
  } else {
    io.out(
      `deoxys sim bridge (MuJoCo Franka + hand, scene seed ${seed}): state PUBs bound on ${host}, command SUBs connect to ${pc_ip}\n` +
        `  arm commands      NUC.SUB_PORT          ${ports.SUB_PORT}  (your client binds it)\n` +
        `  arm state         NUC.PUB_PORT          ${ports.PUB_PORT}  (bound here, 100 Hz)\n` +
        `  gripper commands  NUC.GRIPPER_SUB_PORT  ${ports.GRIPPER_SUB_PORT}  (your client binds it)\n` +
        `  gripper state     NUC.GRIPPER_PUB_PORT  ${ports.GRIPPER_PUB_PORT}  (bound here, 40 Hz)\n` +
        `Rig config: "arm": {"type": "deoxys", "nuc_ip": "${host === '*' || host === '0.0.0.0' ? '127.0.0.1' : host}", "port_base": ${port_base}}\n`,
    );
  }
  io.err('Press Ctrl+C to stop.\n');
  await stopped;
  const stats = bridge.backend.stats();
  if (json)
    io.out(
      `${JSON.stringify({ event: 'stopped', sim_time_s: round(stats.sim_time_s, 3), dropped_s: round(stats.dropped_s, 3), step_ms_p50: round(stats.step_ms_p50, 3) })}\n`,
    );
  else io.err(`stopped after ${stats.sim_time_s.toFixed(1)} s of simulated time\n`);
  return 0;
}

export const simCommand: Command = {
  name: 'sim',
  summary:
    'Run the simulated Franka rig headless: `sim expert` runs scripted pick-and-place episodes; `sim bridge` serves it as a deoxys real-time PC (ZeroMQ + protobuf) until Ctrl+C.',
  usage:
    'expert [--episodes N] [--seed S] [--json] [--control-hz HZ] [--grasp-offset-m M] [--approach-height-m M] [--timing-jitter X] [--explore-fraction F] [--chunk-length L] [--grasp-yaw-rad R] [--model FILE]\n' +
    '       studio sim bridge [--port-base P] [--host ADDR] [--pc-ip ADDR] [--seed S] [--model FILE] [--json]',
  allowPositionals: true,
  options: {
    ...expertOptionSpecs,
    json: { type: 'boolean' },
    model: { type: 'string' },
    'port-base': { type: 'string' },
    host: { type: 'string' },
    'pc-ip': { type: 'string' },
  },
  optionHelp: {
    ...expertOptionHelp,
    json: 'expert: one JSON object per episode per line on stdout; bridge: JSON lines (listening, stopped)',
    model: 'load this MJCF instead of the built-in scene (same body/joint names)',
    'port-base': `bridge: deoxys NUC.SUB_PORT; state on base+1, gripper state on base+3 (default ${DEOXYS_DEFAULT_PORT_BASE})`,
    host: 'bridge: address the state PUBs bind to (default 127.0.0.1; the real NUC binds *)',
    'pc-ip': "bridge: deoxys PC.IP, the client's address whose command PUBs the bridge connects to (default 127.0.0.1)",
  },
  async run(context) {
    const [sub, ...rest] = context.positionals;
    if (sub !== 'expert' && sub !== 'bridge')
      throw new UsageError(
        sub === undefined ? 'missing subcommand (expert or bridge)' : `unknown subcommand "${sub}" (expected expert or bridge)`,
      );
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (sub === 'bridge') return runBridge(context);
    refuseOptions(context.values, BRIDGE_ONLY, 'expert');
    return runExpert(context);
  },
};
