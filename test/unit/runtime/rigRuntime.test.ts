import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { EventName, EventPayload, RobotState } from '../../../shared/api/contract';
import type { Core } from '../../../main/core/core';
import { discoverDevices } from '../../../main/devices/discovery';
import simRig from '../../../rigs/sim.json';
import { startTestCore } from '../../support/core';
import { useTempDirs } from '../../support/tempDir';

/** The default sim rig with small cameras, so the test spends its time on control, not rendering. */
function smallSimRig(dir: string): string {
  const rig = structuredClone(simRig) as typeof simRig;
  for (const camera of rig.cameras) {
    const scale = 64 / camera.width_px;
    camera.width_px = 64;
    camera.height_px = Math.round(camera.height_px * scale);
    camera.intrinsics = {
      fx_px: camera.intrinsics.fx_px * scale,
      fy_px: camera.intrinsics.fy_px * scale,
      cx_px: camera.intrinsics.cx_px * scale,
      cy_px: camera.intrinsics.cy_px * scale,
    };
  }
  const path = join(dir, 'rig.json');
  writeFileSync(path, JSON.stringify(rig));
  return path;
}

describe('live rig runtime (simulated rig, real time)', () => {
  const tempDir = useTempDirs();
  let core: ReturnType<typeof startTestCore> | undefined;
  afterEach(async () => {
    await core?.close();
    core = undefined;
  });

  /** Resolves with the first event that satisfies `accept`. */
  function nextEvent<E extends EventName>(name: E, accept: (payload: EventPayload<E>) => boolean): Promise<EventPayload<E>> {
    return new Promise((resolve) => {
      const off = core!.events.subscribe((event, payload) => {
        if (event === name && accept(payload as EventPayload<E>)) {
          off();
          resolve(payload as EventPayload<E>);
        }
      });
    });
  }

  async function call<T = any>(method: string, params: unknown = {}): Promise<T> {
    const outcome = await core!.connect({ transport: 'in-process' }).call(method, params);
    if (!outcome.ok) throw new Error(`${method}: ${outcome.error.message}`);
    return outcome.result as T;
  }

  test('keyboard teleop moves the arm, the e-stop holds it, and an episode is recorded with every stream', async () => {
    const dir = tempDir();
    core = startTestCore(join(dir, 'data'), { rigPath: smallSimRig(dir) });
    const status = await call('rig.start');
    expect(status).toMatchObject({ state: 'running', simulated: true, control: { rate_hz: 100, estopped: false } });
    expect(status.devices.map((d: { type: string }) => d.type)).toEqual([
      'sim-arm',
      'sim-gripper',
      'sim-camera',
      'sim-camera',
      'sim-camera',
      'keyboard',
      'gamepad',
    ]);

    const start = await nextEvent('robot.state', () => true);
    expect(start.q_rad).toHaveLength(7);
    expect(start.objects).toHaveLength(1);
    expect(start.target).not.toBeNull();

    await call('recording.start', { task: 'push the cube forward', operator: 'test' });
    // Hold W (+x), as the UI does: the held set again every 50 ms. The end effector moves forward.
    const hold = setInterval(() => void call('teleop.keys', { keys: ['KeyW'] }).catch(() => undefined), 50);
    try {
      await call('teleop.keys', { keys: ['KeyW'] });
      const moved = await nextEvent('robot.state', (s: RobotState) => s.ee_position_m[0] > start.ee_position_m[0] + 0.02);
      expect(moved.commanded_translation_m[0]).toBeGreaterThan(0);

      // E-stop: zero motion from the next cycle on, even with the key still held.
      await call('control.estop');
      const stopped = await nextEvent('robot.state', (s: RobotState) => s.estopped && s.commanded_translation_m[0] === 0);
      expect(stopped.clip_reasons).toContain('e-stop engaged');
      await call('control.release');
    } finally {
      clearInterval(hold);
    }
    await call('teleop.keys', { keys: [] });

    const { episode_id } = await call('recording.save', { outcome: 'success' });
    const detail = await call('episodes.get', { id: episode_id });
    expect(detail.episode).toMatchObject({ status: 'saved', outcome: 'success', task: 'push the cube forward', operator: 'test' });
    const counts = Object.fromEntries(detail.streams.map((s: { name: string; sample_count: number }) => [s.name, s.sample_count]));
    for (const name of [
      'arm.q_rad',
      'arm.ee_pose',
      'action.requested',
      'action.executed',
      'camera.front.color',
      'camera.front.depth',
      'camera.wrist.world_from_camera',
      'sim.object_poses',
    ]) {
      expect(counts[name], name).toBeGreaterThan(0);
    }
    // The recorded actions show the operator's forward motion, and the e-stop's zero.
    const actions = await call('episodes.samples', { id: episode_id, stream: 'action.executed', max_points: 100_000 });
    expect(actions.values.some((v: number[]) => v[0]! > 0)).toBe(true);
    const events = await call('episodes.samples', { id: episode_id, stream: 'arm.q_rad' });
    expect(events.values[0]).toHaveLength(7);

    const rec = await call('recording.status');
    expect(rec).toMatchObject({ phase: 'resetting', saved_count: 1 });
    await call('rig.stop');
    expect((await call('rig.status')).state).toBe('stopped');
  }, 60_000);

  test('teleop buttons mapped in the rig config trigger studio actions: e-stop and recording', async () => {
    const dir = tempDir();
    const path = smallSimRig(dir);
    const rig = JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
    rig.teleop = [{ type: 'keyboard', button_actions: { KeyX: 'estop', KeyT: 'toggle_recording' } }];
    writeFileSync(path, JSON.stringify(rig));
    core = startTestCore(join(dir, 'data'), { rigPath: path });
    await call('rig.start');
    const estopped = nextEvent('rig.status', (status) => status.control.estopped);
    await call('teleop.keys', { keys: ['KeyX'] });
    await estopped;
    await call('control.release');
    const recording = nextEvent('recording.status', (status) => status.phase === 'recording');
    await call('teleop.keys', { keys: ['KeyT'] });
    expect((await recording).episode_id).not.toBeNull();
    // Held is not pressed again: only the next press stops it.
    await call('teleop.keys', { keys: ['KeyT'] });
    await call('teleop.keys', { keys: [] });
    const stopped = nextEvent('recording.status', (status) => status.phase === 'stopped');
    await call('teleop.keys', { keys: ['KeyT'] });
    await stopped;
  }, 30_000);

  test('recording is refused while the e-stop is latched, by the API and a mapped button; an e-stop mid-take stops the take and keeps it', async () => {
    const dir = tempDir();
    const path = smallSimRig(dir);
    const rig = JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
    rig.teleop = [{ type: 'keyboard', button_actions: { KeyX: 'estop', KeyT: 'toggle_recording' } }];
    writeFileSync(path, JSON.stringify(rig));
    core = startTestCore(join(dir, 'data'), { rigPath: path });
    const connection = core.connect({ transport: 'in-process' });
    await call('rig.start');

    // Latched: the core refuses, naming the cause and the fix, and creates nothing.
    await call('control.estop');
    const refused = await connection.call('recording.start', { task: 'refused' });
    expect(refused).toMatchObject({
      ok: false,
      error: {
        code: 'failed_precondition',
        message: 'E-stop is latched — release it (button / hotkey) before recording',
        fix: expect.stringMatching(/Release the e-stop/),
      },
    });
    // A device button mapped to toggle_recording is refused the same way (and says why in the log).
    await call('teleop.keys', { keys: ['KeyT'] });
    await call('teleop.keys', { keys: [] });
    await vi.waitFor(() => expect(core!.logLines.some((line) => /toggle_recording: E-stop is latched/.test(line))).toBe(true));
    expect(await call('recording.status')).toMatchObject({ phase: 'idle', episode_id: null });
    expect((await call('episodes.list', { status: ['recording', 'saved', 'discarded', 'interrupted'] })).episodes).toEqual([]);

    // Released: a take starts; the API's e-stop mid-take stops it (not discarded) before it answers.
    await call('control.release');
    const first = await call('recording.start', { task: 'stopped by the e-stop' });
    await nextEvent('recording.status', (status) => (status.streams['arm.q_rad']?.samples ?? 0) > 5);
    await call('control.estop');
    expect(await call('recording.status')).toMatchObject({ phase: 'stopped', episode_id: first.episode_id, stop_reason: 'estop' });
    // Re-record would discard the take and start another: refused before anything is discarded.
    await expect(call('recording.rerecord')).rejects.toThrow(/E-stop is latched/);
    expect(await call('recording.status')).toMatchObject({ phase: 'stopped', episode_id: first.episode_id });
    // Saving needs no motion, so it works while latched, with everything recorded up to the stop.
    expect((await call('recording.save', { outcome: 'failure' })).episode_id).toBe(first.episode_id);
    const detail = await call('episodes.get', { id: first.episode_id });
    expect(detail.episode).toMatchObject({ status: 'saved', outcome: 'failure' });
    expect(detail.streams.find((s: { name: string }) => s.name === 'arm.q_rad').sample_count).toBeGreaterThan(5);

    // Latched inside the control worker (a mapped e-stop button) mid-take: stopped and kept the same way.
    await call('control.release');
    const second = await call('recording.start', { task: 'stopped by a device e-stop' });
    await nextEvent(
      'recording.status',
      (status) => status.episode_id === second.episode_id && (status.streams['arm.q_rad']?.samples ?? 0) > 5,
    );
    const stopped = nextEvent('recording.status', (status) => status.phase === 'stopped');
    await call('teleop.keys', { keys: ['KeyX'] });
    expect(await stopped).toMatchObject({ episode_id: second.episode_id, stop_reason: 'estop' });
    expect((await call('episodes.get', { id: second.episode_id })).episode.status).toBe('recording');
  }, 60_000);

  test('stopping the rig, or applying a new config, mid-take keeps the take: saved, outcome unknown, with its stop reason', async () => {
    const dir = tempDir();
    // No cameras: the test is about the take's lifecycle, and three rig starts are enough work.
    const path = join(dir, 'rig.json');
    writeFileSync(path, JSON.stringify({ ...structuredClone(simRig), cameras: [] }));
    core = startTestCore(join(dir, 'data'), { rigPath: path });
    await call('rig.start');

    // Recording when the rig stops: the take is stopped and saved with everything recorded so far.
    const first = await call('recording.start', { task: 'kept across rig.stop' });
    await nextEvent(
      'recording.status',
      (status) => status.episode_id === first.episode_id && (status.streams['arm.q_rad']?.samples ?? 0) > 5,
    );
    expect(await call('rig.stop')).toMatchObject({ state: 'stopped' });
    const kept = await call('episodes.get', { id: first.episode_id });
    expect(kept.episode).toMatchObject({ status: 'saved', outcome: 'unknown', tags: ['stop_reason:rig_stopped'] });
    expect(kept.streams.find((s: { name: string }) => s.name === 'arm.q_rad').sample_count).toBeGreaterThan(5);

    // Stopped by the operator but not yet saved when a new config is applied: kept the same way.
    await call('rig.start');
    const second = await call('recording.start', { task: 'kept across rig.apply' });
    await nextEvent(
      'recording.status',
      (status) => status.episode_id === second.episode_id && (status.streams['arm.q_rad']?.samples ?? 0) > 5,
    );
    expect(await call('recording.stop')).toMatchObject({ phase: 'stopped', stop_reason: 'operator' });
    const rig = JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
    rig.name = 'Bench 3';
    expect((await call('rig.apply', { text: JSON.stringify(rig) })).status.state).toBe('running');
    expect((await call('episodes.get', { id: second.episode_id })).episode).toMatchObject({
      status: 'saved',
      outcome: 'unknown',
      tags: ['stop_reason:operator'],
    });

    // Recording when the core closes (the app quits): kept too.
    const third = await call('recording.start', { task: 'kept across close' });
    await nextEvent(
      'recording.status',
      (status) => status.episode_id === third.episode_id && (status.streams['arm.q_rad']?.samples ?? 0) > 5,
    );
    await core.close();
    core = startTestCore(join(dir, 'data'), { rigPath: path });
    expect((await call('episodes.get', { id: third.episode_id })).episode).toMatchObject({
      status: 'saved',
      outcome: 'unknown',
      tags: ['stop_reason:rig_stopped'],
    });
    expect(core.logLines.some((line) => /discard/.test(line))).toBe(false);
  }, 120_000);

  test('a rig that cannot start reports why, and calls that need it say so', async () => {
    const dir = tempDir();
    const rig = structuredClone(simRig) as Record<string, any>;
    rig.arm = { type: 'sim-arm', model: join(dir, 'missing.xml') };
    writeFileSync(join(dir, 'rig.json'), JSON.stringify(rig));
    core = startTestCore(join(dir, 'data'), { rigPath: join(dir, 'rig.json') });
    const status = await call('rig.start');
    expect(status.state).toBe('failed');
    expect(status.error.message).toMatch(/cannot read the MuJoCo model/);
    await expect(call('recording.start', {})).rejects.toThrow(/the rig is not running/);
  });
});

describe('rig config: apply and discovery', () => {
  const tempDir = useTempDirs();
  let core: Core | undefined;
  afterEach(async () => {
    await core?.close();
    core = undefined;
  });

  test('an invalid config changes nothing; a valid one is saved as DATA_DIR/rig.json and the rig restarts with it', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    core = startTestCore(dataDir, { rigPath: smallSimRig(dir) });
    const connection = core.connect({ transport: 'in-process' });
    const call = async (method: string, params: unknown = {}) => connection.call(method, params);
    expect(await call('rig.start')).toMatchObject({ ok: true, result: { state: 'running' } });

    const bad = await call('rig.apply', { text: '{"schema_version": 1}' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_params', message: expect.stringMatching(/nothing was changed/) } });
    expect(existsSync(join(dataDir, 'rig.json'))).toBe(false);

    const rig = JSON.parse(readFileSync(smallSimRig(dir), 'utf8')) as Record<string, any>;
    rig.name = 'Bench 2';
    rig.teleop = [{ type: 'keyboard', button_actions: { KeyX: 'estop' } }];
    const applied = await call('rig.apply', { text: JSON.stringify(rig) });
    expect(applied).toMatchObject({
      ok: true,
      result: { snapshot: { source: join(dataDir, 'rig.json'), config: { name: 'Bench 2' } }, status: { state: 'running' } },
    });
    expect((applied as { result: { status: { devices: { type: string }[] } } }).result.status.devices.map((d) => d.type)).toContain(
      'keyboard',
    );
    expect(await call('rig.get')).toMatchObject({ ok: true, result: { config: { name: 'Bench 2' } } });
    expect(JSON.parse(readFileSync(join(dataDir, 'rig.json'), 'utf8'))).toMatchObject({ name: 'Bench 2' });
  }, 30_000);

  test('device discovery answers on a machine with no devices, listing what it could not look at', async () => {
    core = startTestCore(join(tempDir(), 'data'));
    const outcome = await core.connect({ transport: 'in-process' }).call('devices.discover', {});
    expect(outcome.ok).toBe(true);
    const result = (outcome as { result: { hid: unknown[]; serial: unknown[]; cameras: unknown[]; problems: string[] } }).result;
    // What the API answers is what discovery finds on this machine, field for field (undefined fields dropped).
    const direct = JSON.parse(JSON.stringify(await discoverDevices())) as typeof result;
    expect(result).toEqual(direct);
  });
});

describe('a teleop device that is not plugged in', () => {
  const tempDir = useTempDirs();
  let core: Core | undefined;
  afterEach(async () => {
    await core?.close();
    core = undefined;
  });

  test('is reported with its fix while the rig runs without it', async () => {
    const dir = tempDir();
    const rig = structuredClone(simRig) as Record<string, any>;
    rig.cameras = [];
    rig.teleop = [{ type: 'keyboard' }, { type: 'spacemouse', button_actions: { right: 'estop' } }];
    writeFileSync(join(dir, 'rig.json'), JSON.stringify(rig));
    core = startTestCore(join(dir, 'data'), { rigPath: join(dir, 'rig.json') });
    const outcome = await core.connect({ transport: 'in-process' }).call('rig.start', {});
    const status = (
      outcome as {
        ok: true;
        result: { state: string; devices: { type: string; connected: boolean; error?: { message: string; fix?: string } }[] };
      }
    ).result;
    expect(status.state).toBe('running');
    const spacemouse = status.devices.find((d) => d.type === 'spacemouse');
    expect(spacemouse).toMatchObject({ connected: false, error: { message: expect.stringMatching(/no SpaceMouse found/) } });
    expect(spacemouse?.error?.fix).toMatch(/Plug it in/);
    expect(status.devices.find((d) => d.type === 'keyboard')?.connected).toBe(true);
  });
});
