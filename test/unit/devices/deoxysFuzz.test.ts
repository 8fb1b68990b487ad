import { describe, expect, test } from 'vitest';
import { Publisher } from 'zeromq';
import {
  DEOXYS_DEFAULT_SETTINGS,
  encodeGripperGrasp,
  encodeGripperMove,
  encodeJointImpedance,
  encodeJointPosition,
  encodeNoControl,
  encodeOscPose,
  parseArmControl,
  parseGripperControl,
} from '../../../main/devices/deoxys/controlMessages';
import { LinkSubscriber } from '../../../main/devices/deoxys/zmqLink';
import { deoxysPorts, findFreePortBase } from '../../../main/devices/deoxys/ports';
import { DeoxysDecodeError } from '../../../main/devices/deoxys/protoRoot';
import { decodeGripperState, decodeRobotState, encodeGripperState, encodeRobotState } from '../../../main/devices/deoxys/stateMessages';
import { FRANKA_Q_HOME_RAD, frankaForwardKinematics } from '../../../shared/robot/frankaKinematics';
import { mulberry32 } from '../../../main/sim/math3d';
import { doubleOf, doublesOf, readRecords, WireError } from '../../support/protoWire';

const validState = encodeRobotState({
  O_T_EE: frankaForwardKinematics(FRANKA_Q_HOME_RAD),
  q: [...FRANKA_Q_HOME_RAD],
  dq: new Array(7).fill(0),
  robot_mode: 2,
  time_s: 1,
  frame: 7n,
});
const seeds: Uint8Array[] = [
  validState,
  encodeGripperState({ width_m: 0.05, max_width_m: 0.08, is_grasped: false, temperature_c: 30, time_s: 1 }),
  encodeNoControl(),
  encodeOscPose({ is_delta: true, translation_m: [0.01, 0, 0], rotation_axis_angle_rad: [0, 0, 0.1] }),
  encodeJointImpedance([...FRANKA_Q_HOME_RAD]),
  encodeGripperGrasp({ width_m: 0.01, speed_m_s: 0.1, force_n: 30, epsilon_inner_m: 0.08, epsilon_outer_m: 0.08 }),
];

/**
 * Random bytes, truncations, bit flips, byte overwrites and splices of valid messages. Every mutant is
 * a copy: the encoders return Node Buffers, whose `slice` is a view, so mutating a slice would corrupt
 * the seeds themselves (it did: after the first few mutants the "valid" seeds no longer decoded).
 */
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
      bytes = Uint8Array.from(base.subarray(0, int(base.length)));
    } else if (kind === 2) {
      bytes = Uint8Array.from(base);
      for (let flips = 1 + int(8); flips > 0; flips--) {
        const at = int(bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << int(8));
      }
    } else if (kind === 3) {
      bytes = Uint8Array.from(base);
      for (let writes = 1 + int(4); writes > 0; writes--) bytes[int(bytes.length)] = int(256);
    } else {
      const other = seeds[int(seeds.length)] ?? validState;
      const cut = int(base.length);
      bytes = new Uint8Array([...base.subarray(0, cut), ...other.subarray(int(other.length))]);
    }
    out.push(bytes);
  }
  return out;
}

describe('deoxys protobuf decoding under fuzzing (seeded)', () => {
  test('2,000 random/truncated/corrupted messages: every decoder returns a value or a DeoxysDecodeError', () => {
    const random = mulberry32(0xdeadbeef);
    const decoders = [decodeRobotState, decodeGripperState, parseArmControl, parseGripperControl];
    const outcomes = { ok: 0, refused: 0 };
    for (const bytes of mutants(2_000, random)) {
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
    expect(outcomes.ok + outcomes.refused).toBe(8_000);
    expect(outcomes.refused).toBeGreaterThan(1_500);
    expect(outcomes.ok).toBeGreaterThan(100);
  }, 120_000); // CPU-bound and deterministic: a valid state takes ~3 ms to decode on the loaded 2-core CI box

  test('every accepted message satisfies the documented invariants, round-trips, and agrees with an independent wire reader', () => {
    const random = mulberry32(0x5eed);
    const finite = (values: readonly number[]) => values.every(Number.isFinite);
    const accepted = { state: 0, gripper: 0, arm: 0, hand: 0 };
    const attempt = <T>(decode: () => T): T | undefined => {
      try {
        return decode();
      } catch (error) {
        expect(error).toBeInstanceOf(DeoxysDecodeError);
        return undefined;
      }
    };
    /** The independent reader's view of a record list, or undefined if the bytes are not well-formed protobuf. */
    const wellFormed = (bytes: Uint8Array) => {
      try {
        return readRecords(bytes);
      } catch (error) {
        if (error instanceof WireError) return undefined;
        throw error;
      }
    };
    const pristine = seeds.map((seed) => Buffer.from(seed).toString('hex'));
    for (const bytes of [...seeds, ...mutants(1_500, random)]) {
      const state = attempt(() => decodeRobotState(bytes));
      if (state !== undefined) {
        accepted.state++;
        // §1.5/§1.10: q and dq are 7 finite joint values, O_T_EE a 16-value pose not all zero; everything finite.
        expect(state.q).toHaveLength(7);
        expect(state.dq).toHaveLength(7);
        expect(state.O_T_EE).toHaveLength(16);
        expect(Math.max(...state.O_T_EE.map(Math.abs))).toBeGreaterThan(1e-3);
        for (const values of [state.q, state.dq, state.O_T_EE, state.O_T_EE_d, state.F_T_EE, state.q_d, state.tau_J, state.O_F_ext_hat_K])
          expect(finite(values)).toBe(true);
        expect(Number.isFinite(state.time_s)).toBe(true);
        expect(state.frame).toBeGreaterThanOrEqual(0n);
        expect(Object.values({ Other: 0, Idle: 1, Move: 2, Guiding: 3, Reflex: 4, UserStopped: 5, AutomaticErrorRecovery: 6 })).toContain(
          state.robot_mode,
        );
        // An independent reader sees the same joint values and pose.
        expect(wellFormed(bytes), 'accepted bytes are well-formed protobuf').toBeDefined();
        expect(doublesOf(bytes, 24)).toEqual(state.q);
        expect(doublesOf(bytes, 26)).toEqual(state.dq);
        expect(doublesOf(bytes, 1)).toEqual(state.O_T_EE);
        // Round trip through the NUC-side encoder.
        const { current_errors: _errors, ...carried } = state;
        expect(decodeRobotState(encodeRobotState(carried))).toEqual({ ...carried, current_errors: [] });
      }
      const gripper = attempt(() => decodeGripperState(bytes));
      if (gripper !== undefined) {
        accepted.gripper++;
        expect(Number.isFinite(gripper.width_m) && Number.isFinite(gripper.time_s)).toBe(true);
        expect(gripper.max_width_m).toBeGreaterThan(0);
        expect(Number.isInteger(gripper.temperature_c) && gripper.temperature_c >= 0 && gripper.temperature_c < 2 ** 32).toBe(true);
        expect(wellFormed(bytes), 'accepted bytes are well-formed protobuf').toBeDefined();
        expect(doubleOf(bytes, 1) ?? 0).toBe(gripper.width_m);
        expect(doubleOf(bytes, 2) ?? 0).toBe(gripper.max_width_m);
        expect(decodeGripperState(encodeGripperState(gripper))).toEqual(gripper);
      }
      const arm = attempt(() => parseArmControl(bytes));
      if (arm !== undefined) {
        accepted.arm++;
        expect(wellFormed(bytes), 'accepted bytes are well-formed protobuf').toBeDefined();
        if (arm.kind === 'osc') {
          const values = [...arm.goal.translation_m, ...arm.goal.rotation_axis_angle_rad, arm.time_fraction];
          expect(finite(values), `finite OSC goal ${values.join(', ')}`).toBe(true);
          if (arm.controller === 'OSC_POSE') {
            const again = parseArmControl(
              encodeOscPose(arm.goal, { ...DEOXYS_DEFAULT_SETTINGS, traj_interpolator_time_fraction: arm.time_fraction }),
            );
            expect(again).toEqual(arm);
          }
        } else if (arm.kind === 'joint') {
          expect(arm.q_rad).toHaveLength(7);
          expect(finite([...arm.q_rad, arm.time_fraction]), `finite joint goal ${arm.q_rad.join(', ')}`).toBe(true);
          if (!arm.is_delta) {
            const settings = { ...DEOXYS_DEFAULT_SETTINGS, traj_interpolator_time_fraction: arm.time_fraction };
            const encode = arm.controller === 'JOINT_IMPEDANCE' ? encodeJointImpedance : encodeJointPosition;
            expect(parseArmControl(encode(arm.q_rad, settings))).toEqual(arm);
          }
        } else if (arm.kind === 'unsupported') {
          expect(Number.isInteger(arm.controller_type)).toBe(true);
        }
      }
      const hand = attempt(() => parseGripperControl(bytes));
      if (hand !== undefined) {
        accepted.hand++;
        expect(wellFormed(bytes), 'accepted bytes are well-formed protobuf').toBeDefined();
        if (hand.kind === 'move') {
          expect(finite([hand.width_m, hand.speed_m_s])).toBe(true);
          expect(parseGripperControl(encodeGripperMove(hand.width_m, hand.speed_m_s))).toEqual(hand);
        } else if (hand.kind === 'grasp') {
          const { kind: _kind, ...grasp } = hand;
          expect(finite(Object.values(grasp))).toBe(true);
          expect(parseGripperControl(encodeGripperGrasp(grasp))).toEqual(hand);
        }
      }
    }
    // The mutator left the seeds intact, and the checks above ran on many accepted messages of each kind.
    expect(seeds.map((seed) => Buffer.from(seed).toString('hex'))).toEqual(pristine);
    expect(accepted.state).toBeGreaterThan(50);
    expect(accepted.gripper).toBeGreaterThan(50);
    expect(accepted.arm).toBeGreaterThan(50);
    expect(accepted.hand).toBeGreaterThan(50);
  }, 120_000);

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
    const stateOf = (frame: bigint) =>
      encodeRobotState({
        O_T_EE: frankaForwardKinematics(FRANKA_Q_HOME_RAD),
        q: [...FRANKA_Q_HOME_RAD],
        dq: new Array(7).fill(0),
        robot_mode: 2,
        time_s: 1,
        frame,
      });
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
