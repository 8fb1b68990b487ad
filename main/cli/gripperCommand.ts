import { StudioError } from '../../shared/api/errors';
import { closeOnSignals } from '../core/shutdown';
import { createStderrLogger } from '../core/logger';
import { robotiqOptionsSchema } from '../devices/robotiq/robotiqFactory';
import { RobotiqGripper, type RobotiqReading } from '../devices/robotiq/robotiqGripper';
import { robotiqModels, widthToCount } from '../devices/robotiq/robotiqModels';
import { describeFault } from '../devices/robotiq/robotiqRegisters';
import { RobotiqSimModel } from '../devices/robotiq/robotiqSimModel';
import { RobotiqSimPeer } from '../devices/robotiq/robotiqSimPeer';
import { systemClock } from '../devices/types';
import { UsageError, type CliIo, type Command } from './command';

const actions = ['activate', 'open', 'close', 'stop', 'status'] as const;
type Action = (typeof actions)[number];

function numberOption(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, not "${String(raw)}"`);
  return value;
}

function gripperOptions(values: Record<string, string | boolean | undefined>) {
  if (typeof values.port !== 'string') throw new UsageError('--port is required (e.g. --port /dev/ttyUSB0)');
  const parsed = robotiqOptionsSchema.safeParse({
    port: values.port,
    ...(values.model !== undefined ? { model: values.model } : {}),
    ...(values['slave-id'] !== undefined ? { slave_id: numberOption(values, 'slave-id') } : {}),
    ...(values.baud !== undefined ? { baud: numberOption(values, 'baud') } : {}),
    activate_on_connect: false,
    reconnect_interval_ms: 0,
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return parsed.data;
}

function report(gripper: RobotiqGripper, reading: RobotiqReading) {
  const { status, state } = reading;
  const fault = describeFault(status.gFLT);
  return {
    device: gripper.label,
    port: gripper.options.port,
    slave_id: gripper.options.slave_id,
    width_m: state.width_m,
    max_width_m: state.max_width_m,
    is_grasped: state.is_grasped,
    activation: String(state.detail?.activation),
    motion: String(state.detail?.object),
    fault: fault === undefined ? null : { code: status.gFLT, message: fault.message, fix: fault.fix },
    registers: status,
  };
}

function print(io: CliIo, json: boolean, summary: ReturnType<typeof report>): void {
  if (json) {
    io.out(`${JSON.stringify(summary)}\n`);
    return;
  }
  const r = summary.registers;
  io.out(
    `${summary.device} (slave ${summary.slave_id}) on ${summary.port}\n` +
      `  activation  ${summary.activation} (gACT ${Number(r.gACT)}, gSTA ${r.gSTA})\n` +
      `  motion      ${summary.motion} (gGTO ${Number(r.gGTO)}, gOBJ ${r.gOBJ})\n` +
      `  width       ${summary.width_m.toFixed(4)} m of ${summary.max_width_m} m (gPO ${r.gPO}, requested gPR ${r.gPR})${summary.is_grasped ? ', holding an object' : ''}\n` +
      `  current     gCU ${r.gCU}\n` +
      `  fault       ${summary.fault === null ? 'none' : `${summary.fault.code}: ${summary.fault.message}\n              fix: ${summary.fault.fix}`}\n`,
  );
}

async function runRobotiq(io: CliIo, values: Record<string, string | boolean | undefined>, action: Action): Promise<number> {
  const options = gripperOptions(values);
  const json = values.json === true;
  const timeout_ms = (numberOption(values, 'timeout-s') ?? 10) * 1000;
  const gripper = new RobotiqGripper('gripper', { ...options, activation_timeout_s: timeout_ms / 1000 }, systemClock);
  await gripper.connect();
  try {
    if (action === 'activate') {
      if (!json) io.err('Activating: the fingers close and open fully. Keep the gripper clear.\n');
      await gripper.activate();
    } else if (action === 'stop') {
      await gripper.sendAction({ kind: 'stop' });
    } else if (action === 'open' || action === 'close') {
      const info = robotiqModels[options.model];
      const width_m = action === 'open' ? info.stroke_m : 0;
      const speed_m_s = numberOption(values, 'speed') ?? info.max_speed_m_s;
      const force_n = numberOption(values, 'force') ?? options.move_force_n;
      const sent = await gripper.sendAction({ kind: 'grasp', width_m, speed_m_s, force_n });
      for (const reason of sent.clip_reasons) io.err(`clipped: ${reason}\n`);
      const rPR = widthToCount(width_m, info.stroke_m, options);
      await gripper.waitFor(
        (r) => (r.status.gPR === rPR && r.status.gGTO && r.status.gOBJ !== 0) || r.status.gFLT >= 5,
        timeout_ms,
        `the end of the ${action}`,
      );
    }
    await gripper.readStatus();
    const reading = gripper.lastReading();
    if (reading === undefined) throw new Error('unreachable: no reading after a status read');
    print(io, json, report(gripper, reading));
    return gripper.status().error === undefined || action === 'status' ? 0 : 1;
  } finally {
    await gripper.disconnect();
  }
}

async function runSimulator(io: CliIo, values: Record<string, string | boolean | undefined>): Promise<number> {
  const options = gripperOptions(values);
  const objectAt_m = numberOption(values, 'object-at-m');
  const stroke_m = robotiqModels[options.model].stroke_m;
  const model = new RobotiqSimModel({
    clock: systemClock,
    slave_id: options.slave_id,
    model: options.model,
    object_blocks_activation: false,
    ...(objectAt_m !== undefined ? { object_at_count: widthToCount(objectAt_m, stroke_m, options) } : {}),
  });
  const peer = new RobotiqSimPeer(model, options.port, { baud: options.baud });
  await peer.open();
  const log = createStderrLogger('robotiq-sim');
  io.out(`Simulated ${robotiqModels[options.model].label} (slave ${options.slave_id}) answering on ${options.port}\n`);
  io.err('Press Ctrl+C to stop.\n');
  await closeOnSignals(() => peer.close(), log);
  return 0;
}

export const gripperCommand: Command = {
  name: 'gripper',
  summary: 'Bring up a gripper: activate, open, close, stop or read its status; or run a simulated Robotiq on a serial port.',
  usage:
    'robotiq --port DEV activate|open|close|stop|status [--model 2f-85|hand-e] [--slave-id N] [--baud N] [--speed M_S] [--force N] [--json]\n' +
    '       studio gripper robotiq-sim --port DEV [--model 2f-85|hand-e] [--slave-id N] [--object-at-m W]',
  options: {
    port: { type: 'string' },
    model: { type: 'string' },
    'slave-id': { type: 'string' },
    baud: { type: 'string' },
    speed: { type: 'string' },
    force: { type: 'string' },
    'timeout-s': { type: 'string' },
    'object-at-m': { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    port: 'serial device of the RS-485 adapter, e.g. /dev/serial/by-id/usb-FTDI_...',
    model: '2f-85 (default, 85 mm stroke) or hand-e (50 mm)',
    'slave-id': 'Modbus slave id (default 9)',
    baud: 'baud rate (default 115200)',
    speed: 'finger speed for open/close in m/s (default: the model maximum)',
    force: 'grip force for open/close in newtons (default 100)',
    'timeout-s': 'how long to wait for activation or motion (default 10)',
    'object-at-m': 'robotiq-sim: an object between the fingers at this width, in metres',
    json: 'print one JSON object instead of text',
  },
  allowPositionals: true,
  async run({ io, values, positionals }) {
    const [device, action, ...rest] = positionals;
    if (device === 'robotiq-sim') {
      if (action !== undefined) throw new UsageError(`robotiq-sim takes no action, got "${action}"`);
      return runSimulator(io, values);
    }
    if (device !== 'robotiq')
      throw new UsageError(
        device === undefined ? 'name the gripper: robotiq or robotiq-sim' : `unknown gripper "${device}" (known: robotiq, robotiq-sim)`,
      );
    if (action === undefined || !(actions as readonly string[]).includes(action))
      throw new UsageError(`name an action: ${actions.join(', ')}`);
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    try {
      return await runRobotiq(io, values, action as Action);
    } catch (error) {
      if (error instanceof StudioError || error instanceof UsageError) throw error;
      throw new StudioError({ code: 'internal', message: `robotiq ${action} failed: ${(error as Error).message}` });
    }
  },
};
