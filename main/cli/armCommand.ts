import { probeDeoxysArm } from '../devices/deoxys/probe';
import { DEOXYS_DEFAULT_PORT_BASE } from '../devices/deoxys/ports';
import { systemClock } from '../devices/types';
import { UsageError, type Command } from './command';

function integerOption(value: string | boolean | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(number) || number < min || number > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${String(value)}"`);
  }
  return number;
}

export const armCommand: Command = {
  name: 'arm',
  summary: 'Talk to a real arm without the app: `arm probe` checks the link and prints the robot state.',
  usage: 'probe --driver deoxys --nuc HOST [--port-base P] [--timeout-ms N] [--duration-ms N] [--json]',
  allowPositionals: true,
  options: {
    driver: { type: 'string' },
    nuc: { type: 'string' },
    'port-base': { type: 'string' },
    'timeout-ms': { type: 'string' },
    'duration-ms': { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    driver: 'the bridge: deoxys',
    nuc: "the real-time PC's address (deoxys NUC.IP)",
    'port-base': `deoxys NUC.SUB_PORT; state is read from port-base+1 (default ${DEOXYS_DEFAULT_PORT_BASE})`,
    'timeout-ms': 'how long to wait for the first state (default 3000)',
    'duration-ms': 'how long to measure the state rate (default 1000)',
    json: 'print one JSON line',
  },
  async run({ io, values, positionals }) {
    const [action, ...rest] = positionals;
    if (action !== 'probe' || rest.length > 0)
      throw new UsageError(`unknown arm action "${positionals.join(' ')}"; the only action is \`probe\``);
    const driver = values.driver;
    if (driver !== 'deoxys') throw new UsageError(`--driver must be deoxys${driver === undefined ? '' : `, not "${String(driver)}"`}`);
    const nuc = values.nuc;
    if (typeof nuc !== 'string' || nuc === '') throw new UsageError('--nuc HOST is required (the NUC.IP of your deoxys config)');
    const result = await probeDeoxysArm({
      nuc_ip: nuc,
      port_base: integerOption(values['port-base'], 'port-base', DEOXYS_DEFAULT_PORT_BASE, 1, 65532),
      timeout_ms: integerOption(values['timeout-ms'], 'timeout-ms', 3000, 1, 600_000),
      duration_ms: integerOption(values['duration-ms'], 'duration-ms', 1000, 0, 600_000),
      clock: systemClock,
    });
    if (values.json === true) {
      io.out(`${JSON.stringify(result)}\n`);
    } else {
      const fixed = (values: number[], digits: number) => values.map((v) => v.toFixed(digits)).join(', ');
      io.out(
        `deoxys arm at ${result.state_endpoint}: ${result.state_hz} Hz over ${result.samples} states\n` +
          `  q (rad):        [${fixed(result.q, 4)}]\n` +
          `  TCP (m):        [${fixed(result.ee_position_m, 4)}]\n` +
          `  robot mode:     ${result.robot_mode}, frame ${result.frame}\n` +
          (result.decode_errors > 0 ? `  refused messages: ${result.decode_errors}\n` : ''),
      );
    }
    return 0;
  },
};
