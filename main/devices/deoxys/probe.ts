import { StudioError } from '../../../shared/api/errors';
import { mat4Translation } from '../../../shared/robot/rotation';
import type { Clock } from '../types';
import { deoxysPorts } from './ports';
import { decodeRobotState, type DeoxysRobotState } from './stateMessages';
import { LinkSubscriber } from './zmqLink';

export interface DeoxysProbeOptions {
  nuc_ip: string;
  port_base: number;
  /** How long to wait for the first state. */
  timeout_ms: number;
  /** How long to count states after the first one, for the rate. */
  duration_ms: number;
  clock: Clock;
}

export interface DeoxysProbeResult {
  driver: 'deoxys';
  state_endpoint: string;
  q: number[];
  dq: number[];
  O_T_EE: number[];
  ee_position_m: number[];
  robot_mode: number;
  frame: string;
  state_hz: number;
  samples: number;
  decode_errors: number;
}

/**
 * Listens to the NUC's robot-state PUB and reports the newest state and the measured rate. Read-only:
 * it binds nothing and sends nothing, so it is safe while another client drives the arm.
 */
export async function probeDeoxysArm(options: DeoxysProbeOptions): Promise<DeoxysProbeResult> {
  const endpoint = `tcp://${options.nuc_ip}:${deoxysPorts(options.port_base).PUB_PORT}`;
  const arrivals_ns: bigint[] = [];
  let latest: DeoxysRobotState | undefined;
  let firstArrived: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (firstArrived = resolve));
  const subscriber = new LinkSubscriber(
    endpoint,
    (frame) => {
      latest = decodeRobotState(frame);
      arrivals_ns.push(options.clock.now_ns());
      firstArrived();
    },
    () => undefined,
    // Every message counts for the rate, so no conflation here.
    { conflate: false },
  );
  subscriber.connect();
  try {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeout_ms)));
    const outcome = await Promise.race([first, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const refused = subscriber.stats.last_decode_error;
      throw new StudioError({
        code: 'unavailable',
        message: `no robot state from ${endpoint} within ${options.timeout_ms} ms${refused === undefined ? '' : ` (messages arrived but were refused: ${refused})`}`,
        fix: 'Check that franka-interface runs on the NUC (auto_arm.sh), the NUC address (--nuc) and port base (--port-base, NUC.SUB_PORT in its YAML), and the network link.',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, options.duration_ms));
  } finally {
    await subscriber.close();
  }
  const state = latest as DeoxysRobotState;
  const firstArrival = arrivals_ns[0] ?? 0n;
  const lastArrival = arrivals_ns[arrivals_ns.length - 1] ?? 0n;
  const span_s = Number(lastArrival - firstArrival) / 1e9;
  return {
    driver: 'deoxys',
    state_endpoint: endpoint,
    q: state.q,
    dq: state.dq,
    O_T_EE: state.O_T_EE,
    ee_position_m: mat4Translation(state.O_T_EE),
    robot_mode: state.robot_mode,
    frame: state.frame.toString(),
    state_hz: span_s > 0 ? Math.round(((arrivals_ns.length - 1) / span_s) * 10) / 10 : 0,
    samples: arrivals_ns.length,
    decode_errors: subscriber.stats.decode_errors,
  };
}
