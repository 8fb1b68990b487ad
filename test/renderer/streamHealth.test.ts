import { describe, expect, test } from 'vitest';
import { isSimulatedTake, sourceHealth, sourceTotals } from '../../renderer/src/live/streamHealth';

const counts = (samples: number, dropped: number, late: number, nominal_hz: number | null) => ({ samples, dropped, late, nominal_hz });

describe('drops per source with their likely cause', () => {
  test('a simulated take: a camera counts once, the renderer is named, state and late samples get their own cause', () => {
    const sources = sourceHealth(
      {
        'camera.front.color': counts(30, 30, 0, 15),
        'camera.front.depth': counts(30, 30, 0, 15),
        'camera.front.segmentation': counts(30, 30, 0, 15),
        'arm.q_rad': counts(400, 0, 0, 100),
        'gripper.width_m': counts(400, 0, 3, 100),
        'action.executed': counts(200, 200, 0, 100),
        events: counts(4, 0, 0, null),
      },
      4,
      true,
    );
    expect(sources.map((s) => s.key)).toEqual(['camera.front', 'state', 'actions']);
    const [camera, state, actions] = sources;
    expect(camera).toMatchObject({ label: 'camera front', samples: 30, dropped: 30, late: 0, nominal_hz: 15, rate_hz: 7.5 });
    expect(camera!.cause).toBe("7.5 of 15 fps: the simulator's renderer is behind real time (a busy CPU; fewer or smaller cameras help)");
    expect(state).toMatchObject({ label: 'robot state', dropped: 0, late: 3, rate_hz: 100 });
    expect(state!.cause).toBe('3 arrived over 250 ms after capture (stored): the simulation ran behind real time');
    expect(actions!.cause).toBe('50 of 100 Hz: the simulation ran behind real time (a busy CPU)');
    expect(sourceTotals(sources)).toEqual({ dropped: 230, late: 3 });
    // Drops and late samples from one source: the cause is said once.
    const [both] = sourceHealth({ 'action.executed': counts(200, 200, 7, 100) }, 4, true);
    expect(both!.cause).toBe(
      '50 of 100 Hz: the simulation ran behind real time (a busy CPU); 7 arrived over 250 ms after capture (stored)',
    );
  });

  test('real devices get real causes; a clean source has none; a take too short to measure gives no rate', () => {
    const [camera, state] = sourceHealth({ 'camera.wrist.color': counts(10, 2, 0, 30), 'arm.q_rad': counts(50, 0, 0, 1000) }, 0.2, false);
    expect(camera).toMatchObject({
      rate_hz: null,
      cause: 'the camera skipped frames (USB bandwidth, a long exposure in low light, or a busy CPU)',
    });
    expect(state).toMatchObject({ dropped: 0, late: 0, cause: null });
  });

  test('a take is simulated when it recorded simulator ground truth', () => {
    expect(isSimulatedTake(['arm.q_rad', 'sim.object_poses'])).toBe(true);
    expect(isSimulatedTake(['arm.q_rad', 'camera.front.color'])).toBe(false);
  });
});
