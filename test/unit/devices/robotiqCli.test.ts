import { afterEach, describe, expect, test } from 'vitest';
import { runCli } from '../../../main/cli/program';
import { RobotiqSimModel } from '../../../main/devices/robotiq/robotiqSimModel';
import { RobotiqSimPeer } from '../../../main/devices/robotiq/robotiqSimPeer';
import { usePtyPairs } from '../../support/pty';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

describe('studio gripper robotiq against the simulated slave', () => {
  const ptyPair = usePtyPairs();
  const peers: RobotiqSimPeer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) await peer.close();
  });

  async function simulated(object_at_count?: number) {
    const pair = await ptyPair();
    let now_ns = 0n;
    const model = new RobotiqSimModel({
      clock: { now_ns: () => now_ns },
      activation_duration_s: 1,
      ...(object_at_count !== undefined ? { object_at_count } : {}),
    });
    const peer = new RobotiqSimPeer(model, pair.b);
    // Simulated time moves 50 ms per request: deterministic motion without sleeping.
    peer.on('request', () => (now_ns += 50_000_000n));
    await peer.open();
    peers.push(peer);
    return { port: pair.a, model };
  }

  test('status, activate, close on an object, open, stop: --json prints one object each', async () => {
    const { port, model } = await simulated();
    const status = await run('gripper', 'robotiq', '--port', port, 'status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({
      device: 'Robotiq 2F-85',
      slave_id: 9,
      activation: 'reset (or automatic release)',
      fault: null,
      registers: { gSTA: 0 },
    });

    const activate = await run('gripper', 'robotiq', '--port', port, 'activate', '--json');
    expect(activate).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(activate.out)).toMatchObject({ activation: 'activated', width_m: 0.085, registers: { gSTA: 3, gACT: true } });

    model.object_at_count = 200;
    const close = await run('gripper', 'robotiq', '--port', port, 'close', '--json');
    expect(close.code).toBe(0);
    const closed = JSON.parse(close.out);
    expect(closed).toMatchObject({ is_grasped: true, registers: { gOBJ: 2, gPO: 200, gPR: 255 } });
    expect(closed.motion).toMatch(/closing/);
    expect(close.out.trim().split('\n')).toHaveLength(1);

    const open = await run('gripper', 'robotiq', '--port', port, 'open', '--speed', '0.5', '--json');
    expect(open.code).toBe(0);
    expect(open.err).toMatch(/clipped: speed 0.5 m\/s above the Robotiq 2F-85 maximum 0.15 m\/s/);
    expect(JSON.parse(open.out)).toMatchObject({ is_grasped: false, width_m: 0.085, registers: { gOBJ: 3, gPO: 0 } });

    const stop = await run('gripper', 'robotiq', '--port', port, 'stop', '--json');
    expect(JSON.parse(stop.out).registers.gGTO).toBe(false);
  });

  test('text output names the gripper, the state and any fault with its fix', async () => {
    const { port, model } = await simulated();
    await run('gripper', 'robotiq', '--port', port, 'activate');
    model.injectFault(10);
    const { code, out } = await run('gripper', 'robotiq', '--port', port, 'status');
    expect(code).toBe(0);
    expect(out).toContain(`Robotiq 2F-85 (slave 9) on ${port}`);
    expect(out).toMatch(/activation +activated/);
    expect(out).toMatch(/fault +10: under-voltage\n +fix: Check the 24 V supply/);
    const close = await run('gripper', 'robotiq', '--port', port, 'close', '--timeout-s', '1');
    expect(close.code).toBe(1);
  });

  test('usage mistakes and a silent slave', async () => {
    expect((await run('gripper', 'robotiq', 'status')).err).toMatch(/--port is required/);
    expect((await run('gripper', 'robotiq', '--port', '/dev/x', 'wiggle')).code).toBe(2);
    expect((await run('gripper', 'robotiq', '--port', '/dev/x', 'status', '--model', 'x')).code).toBe(2);
    const { port } = await simulated();
    const silent = await run('gripper', 'robotiq', '--port', port, '--slave-id', '3', 'status');
    expect(silent.code).toBe(1);
    expect(silent.err).toMatch(/no answer from Robotiq 2F-85 \(Modbus slave 3\)/);
    expect(silent.err).toMatch(/Fix: .*24 V/);
  });
});
