import { describe, expect, test } from 'vitest';
import { Publisher } from 'zeromq';
import { encodeGripperGrasp, encodeJointImpedance, encodeNoControl, encodeOscPose, parseArmControl, parseGripperControl } from '../../../main/devices/deoxys/controlMessages';
import { LinkSubscriber } from '../../../main/devices/deoxys/zmqLink';
import { deoxysPorts, findFreePortBase } from '../../../main/devices/deoxys/ports';
import { DeoxysDecodeError } from '../../../main/devices/deoxys/protoRoot';
import { decodeGripperState, decodeRobotState, encodeGripperState, encodeRobotState } from '../../../main/devices/deoxys/stateMessages';
import { FRANKA_Q_HOME_RAD, frankaForwardKinematics } from '../../../shared/robot/frankaKinematics';
import { mulberry32 } from '../../../main/sim/math3d';

const validState = encodeRobotState({ O_T_EE: frankaForwardKinematics(FRANKA_Q_HOME_RAD), q: [...FRANKA_Q_HOME_RAD], dq: new Array(7).fill(0), robot_mode: 2, time_s: 1, frame: 7n });
const seeds: Uint8Array[] = [
  validState,
  encodeGripperState({ width_m: 0.05, max_width_m: 0.08, is_grasped: false, temperature_c: 30, time_s: 1 }),
  encodeNoControl(),
  encodeOscPose({ is_delta: true, translation_m: [0.01, 0, 0], rotation_axis_angle_rad: [0, 0, 0.1] }),
  encodeJointImpedance([...FRANKA_Q_HOME_RAD]),
  encodeGripperGrasp({ width_m: 0.01, speed_m_s: 0.1, force_n: 30, epsilon_inner_m: 0.08, epsilon_outer_m: 0.08 }),
];

/** Random bytes, truncations, bit flips, byte overwrites and splices of valid messages. */
function mutants(count: number, random: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const int = (n: number) => Math.floor(random() * n);
  for (let i = 0; i < count; i++) {
    const base = seeds[int(seeds.length)] ?? validState;
    const kind = i % 5;
    let bytes: Uint8Array;
    if (kind === 0) {
      bytes = Uint8Array.from({ length: int(200) }, () => int(256));
    } else if (kind === 1) {
      bytes = base.slice(0, int(base.length));
    } else if (kind === 2) {
      bytes = base.slice();
      for (let flips = 1 + int(8); flips > 0; flips--) {
        const at = int(bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << int(8));
      }
    } else if (kind === 3) {
      bytes = base.slice();
      for (let writes = 1 + int(4); writes > 0; writes--) bytes[int(bytes.length)] = int(256);
    } else {
      const other = seeds[int(seeds.length)] ?? validState;
      const cut = int(base.length);
      bytes = new Uint8Array([...base.slice(0, cut), ...other.slice(int(other.length))]);
    }
    out.push(bytes);
  }
  return out;
}

describe('deoxys protobuf decoding under fuzzing (seeded)', () => {
  test('12,000 random/truncated/corrupted messages: every decoder returns a value or a DeoxysDecodeError', () => {
    const random = mulberry32(0xdeadbeef);
    const decoders = [decodeRobotState, decodeGripperState, parseArmControl, parseGripperControl];
    const outcomes = { ok: 0, refused: 0 };
    for (const bytes of mutants(12_000, random)) {
      for (const decode of decoders) {
        try {
          decode(bytes);
          outcomes.ok++;
        } catch (error) {
          expect(error).toBeInstanceOf(DeoxysDecodeError);
          expect((error as Error).message).toMatch(/^cannot decode \w+ \(\d+ bytes\): .+/);
          outcomes.refused++;
        }
      }
    }
    expect(outcomes.ok + outcomes.refused).toBe(48_000);
    expect(outcomes.refused).toBeGreaterThan(10_000);
    expect(outcomes.ok).toBeGreaterThan(100);
  });

  test('the state link survives 2,000 garbage messages, reports each, and keeps delivering states', async () => {
    const port_base = await findFreePortBase();
    const endpoint = `tcp://127.0.0.1:${deoxysPorts(port_base).PUB_PORT}`;
    const nuc = new Publisher({ linger: 0, sendHighWaterMark: 10_000 });
    await nuc.bind(endpoint);
    const frames: bigint[] = [];
    const refusals: string[] = [];
    let onFrame: (frame: bigint) => void = () => undefined;
    // No conflation, so every garbage message reaches the decoder (the driver conflates).
    const link = new LinkSubscriber(
      endpoint,
      (bytes) => {
        const state = decodeRobotState(bytes);
        frames.push(state.frame);
        onFrame(state.frame);
      },
      (error) => refusals.push(error.message),
      { conflate: false },
    );
    link.connect();
    const stateWithFrame = (frame: bigint) => new Promise<void>((resolve) => (onFrame = (seen) => seen === frame && resolve()));
    const stateOf = (frame: bigint) => encodeRobotState({ O_T_EE: frankaForwardKinematics(FRANKA_Q_HOME_RAD), q: [...FRANKA_Q_HOME_RAD], dq: new Array(7).fill(0), robot_mode: 2, time_s: 1, frame });
    try {
      // Slow joiner: repeat a hello until the subscription is live.
      const hello = stateWithFrame(1n);
      const helloTimer = setInterval(() => void nuc.send(stateOf(1n)), 5);
      await hello;
      clearInterval(helloTimer);
      const garbage = mutants(2000, mulberry32(42));
      const expectedRefusals = garbage.filter((bytes) => {
        try {
          decodeRobotState(bytes);
          return false;
        } catch {
          return true;
        }
      }).length;
      const last = stateWithFrame(999n);
      for (const bytes of garbage) await nuc.send(bytes);
      await nuc.send(stateOf(999n));
      await last;
      expect(refusals).toHaveLength(expectedRefusals);
      expect(link.stats.decode_errors).toBe(expectedRefusals);
      expect(refusals[0]).toMatch(/^cannot decode FrankaRobotStateMessage \(\d+ bytes\): .+/);
      expect(link.stats.last_decode_error).toMatch(/\(from tcp:\/\/127\.0\.0\.1:\d+\)$/);
    } finally {
      await link.close();
      nuc.close();
    }
  });
});

