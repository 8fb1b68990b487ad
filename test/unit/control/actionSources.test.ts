import { afterEach, describe, expect, test } from 'vitest';
import { rigConfigSchema } from '../../../shared/rig/rigConfig';
import type { ActionSource } from '../../../main/control/actionSource';
import { ChunkSource } from '../../../main/control/chunkSource';
import { ControlLoop, type CycleRecord } from '../../../main/control/controlLoop';
import { ExpertSource } from '../../../main/control/expertSource';
import { TeleopSource } from '../../../main/control/teleopSource';
import { createDeviceRegistry } from '../../../main/devices/catalog';
import type { KeyboardTeleop } from '../../../main/devices/keyboard/keyboardTeleop';
import { createRigDevices, type RigDevices } from '../../../main/devices/rigDevices';
import type { SimArm } from '../../../main/devices/sim/simArm';
import { DEFAULT_EXPERT_MOTION, NOISELESS_EXPERT } from '../../../main/sim/expert';
import simRig from '../../../rigs/sim.json';
import { ManualClock } from '../../support/manualClock';

/**
 * Every action source drives the arm through the same control loop: the same workspace clip (recorded
 * with its reason) and the same e-stop, whether the keyboard, the scripted expert or a policy's chunk
 * proposed the motion. The workspace box ends 5 mm in front of the arm's home pose, and every source
 * below pushes towards +x.
 */
const RATE_HZ = 10;

describe('action sources through one control loop', () => {
  let devices: RigDevices | undefined;
  afterEach(async () => {
    await devices?.disconnect();
    devices = undefined;
  });

  async function setup() {
    const clock = new ManualClock();
    const base = rigConfigSchema.parse({
      ...simRig,
      arm: { type: 'sim-arm', pacing: 'manual', run_in: 'in-process', control_hz: RATE_HZ },
      cameras: [],
    });
    devices = createRigDevices(base, createDeviceRegistry(), clock);
    await devices.connect();
    const arm = devices.arm as SimArm;
    const layout = await arm.session.reset(3);
    await arm.session.request('advance', 0);
    const home = arm.latest()!.ee_position_m;
    const safety = {
      ...base.safety,
      workspace_max_m: [home[0] + 0.005, base.safety.workspace_max_m[1], base.safety.workspace_max_m[2]] as [number, number, number],
    };
    const keyboard = devices.teleop[0] as KeyboardTeleop;
    const loop = new ControlLoop({
      arm,
      ...(devices.gripper !== undefined ? { gripper: devices.gripper } : {}),
      teleop: keyboard,
      safety,
      rate_hz: RATE_HZ,
      clock,
    });
    const step = async (): Promise<CycleRecord> => {
      const record = await loop.cycle();
      if (record === null) throw new Error('superseded');
      clock.advance_ms(1000 / RATE_HZ);
      await arm.session.request('advance', 1 / RATE_HZ);
      return record;
    };
    return { clock, arm, keyboard, loop, step, layout, limit_x: safety.workspace_max_m[0] };
  }

  async function behaviour(
    make: (context: Awaited<ReturnType<typeof setup>>) => ActionSource,
    feed?: (context: Awaited<ReturnType<typeof setup>>) => void,
  ) {
    const context = await setup();
    const { loop, step, arm } = context;
    const source = make(context);
    loop.setSource(source, { gripper_intent: 0 });
    const records: CycleRecord[] = [];
    for (let i = 0; i < 25; i++) {
      feed?.(context);
      records.push(await step());
    }
    const clipped = records.filter((record) => record.executed.clip_reasons.some((reason) => reason.startsWith('workspace x max')));
    const x = arm.latest()!.ee_position_m[0];
    await loop.estop();
    feed?.(context);
    const stopped = await step();
    loop.releaseEstop();
    return { source: source.kind, records, clipped: clipped.length, x, limit_x: context.limit_x, stopped };
  }

  const keyboard = () =>
    behaviour(
      ({ keyboard }) => new TeleopSource(keyboard),
      ({ keyboard, clock }) => keyboard.setHeldKeys(['KeyW'], clock.now_ns()),
    );
  const expert = () =>
    behaviour(
      ({ layout }) =>
        new ExpertSource({ layout, seed: 3, noise: NOISELESS_EXPERT, control_hz: RATE_HZ, motion: DEFAULT_EXPERT_MOTION, policy: {} }),
    );
  const chunk = () =>
    behaviour(
      () =>
        new ChunkSource(
          Array.from({ length: 40 }, () => ({
            translation_m: [0.02, 0, 0] as [number, number, number],
            rotation_axis_angle_rad: [0, 0, 0] as [number, number, number],
            gripper: 0,
          })),
          { kind: 'policy' },
        ),
    );

  test.each([
    ['keyboard', keyboard],
    ['expert', expert],
    ['stand-in policy (chunk)', chunk],
  ])(
    '%s: the workspace clip is applied and recorded, and the e-stop stops it',
    async (_name, run) => {
      const result = await run();
      // Every cycle names its source and carries the state it used.
      for (const record of result.records) {
        expect(record.source).toBe(result.source);
        expect(record.arm_state).not.toBeNull();
      }
      // The same safety clip, recorded with its reason, and the arm kept (within tracking) inside the box.
      expect(result.clipped).toBeGreaterThan(0);
      expect(result.x).toBeLessThan(result.limit_x + 0.003);
      // The same e-stop: zero motion sent, the reason recorded, the gripper told to stop.
      expect(result.stopped.estopped).toBe(true);
      expect(result.stopped.executed.sent).toEqual({ kind: 'ee_delta', translation_m: [0, 0, 0], rotation_axis_angle_rad: [0, 0, 0] });
      expect(result.stopped.executed.clip_reasons).toContain('e-stop engaged');
      expect(result.stopped.gripper?.sent).toEqual({ kind: 'stop' });
    },
    30_000,
  );

  test('a chunk source plays its actions one per cycle and then is done', async () => {
    const { loop, step } = await setup();
    const chunkSource = new ChunkSource([
      { translation_m: [0, 0, 0.01], rotation_axis_angle_rad: [0, 0, 0], gripper: 0 },
      { translation_m: [0, 0, -0.01], rotation_axis_angle_rad: [0, 0, 0], gripper: 1 },
    ]);
    loop.setSource(chunkSource, { gripper_intent: 0 });
    const first = await step();
    expect(first.safe.requested).toEqual({ kind: 'ee_delta', translation_m: [0, 0, 0.01], rotation_axis_angle_rad: [0, 0, 0] });
    expect(chunkSource.done()).toBe(false);
    const second = await step();
    expect(second.gripper_intent).toBe(1);
    expect(second.gripper?.sent.kind).toBe('grasp');
    expect(chunkSource.done()).toBe(true);
  });
});
