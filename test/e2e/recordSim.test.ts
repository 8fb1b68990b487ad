import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { CUBE_HALF_M } from '../../main/sim/pickPlaceTask';
import { useTempDirs } from '../support/tempDir';

const STUDIO = resolve('bin/studio.js');

function studio(...args: string[]): string {
  const result = spawnSync(process.execPath, [STUDIO, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`studio ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  return result.stdout;
}

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('studio record --sim --expert', () => {
  const tempDir = useTempDirs();

  test('records the expert on the sim rig: same outcomes as the reference run, every stream stored and readable', () => {
    const dataDir = tempDir();
    const recorded = jsonLines(
      studio('record', '--sim', '--expert', '--episodes', '2', '--seed', '1', '--json', '--image-size', '64x48', '--data-dir', dataDir),
    );
    const reference = jsonLines(studio('sim', 'expert', '--episodes', '2', '--seed', '1', '--json'));
    expect(recorded.map((e) => e.success)).toEqual(reference.map((e) => e.success));
    expect(recorded.map((e) => e.steps)).toEqual(reference.map((e) => e.steps));

    const info = JSON.parse(studio('db', 'info', '--json', '--data-dir', dataDir)) as {
      episodes: { id: number; status: string; outcome: string; frames: number; duration_s: number }[];
    };
    expect(info.episodes.map((e) => [e.status, e.outcome])).toEqual(
      recorded.map((e) => ['saved', e.success === true ? 'success' : 'failure']),
    );
    info.episodes.forEach((episode, i) => {
      // 15 fps cameras over episodes of ≥ 9 s.
      expect(episode.frames).toBeGreaterThan(120);
      // Each episode's own length in sim time (the steps at 10 Hz), not the run's cumulative time.
      expect(episode.duration_s).toBeCloseTo((recorded[i]!.steps as number) / 10, 1);
    });

    const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
    const id = info.episodes[0]!.id;
    const streams = db
      .prepare('SELECT name, kind, sample_count, dropped_count, late_count FROM streams WHERE episode_id = ? ORDER BY name')
      .all(id) as { name: string; kind: string; sample_count: number; dropped_count: number }[];
    const byName = Object.fromEntries(streams.map((s) => [s.name, s]));
    // One sample per step plus the observation after the last action (which closes the last chunk).
    for (const name of [
      'arm.q_rad',
      'arm.dq_rad_s',
      'arm.ee_pose',
      'gripper.width_m',
      'action.requested',
      'action.executed',
      'sim.object_poses',
      'sim.gripper_object_contact',
      'sim.success',
      'expert.phase',
    ]) {
      expect(byName[name]?.sample_count, name).toBe((recorded[0]!.steps as number) + 1);
    }
    for (const camera of ['front', 'side', 'wrist']) {
      for (const suffix of ['color', 'depth', 'segmentation'])
        expect(byName[`camera.${camera}.${suffix}`]?.sample_count, `${camera}.${suffix}`).toBeGreaterThan(120);
    }
    // Replay draws the objects as they were: their size and colour are declared with their poses.
    const poseMeta = db.prepare("SELECT meta_json FROM streams WHERE episode_id = ? AND name = 'sim.object_poses'").get(id) as {
      meta_json: string;
    };
    const objects = (JSON.parse(poseMeta.meta_json) as { objects: { name: string; size_m: number; rgb: number[] }[] }).objects;
    expect(objects).toEqual([{ name: 'cube', size_m: 2 * CUBE_HALF_M, rgb: [expect.any(Number), expect.any(Number), expect.any(Number)] }]);
    expect(objects[0]!.rgb.every((c) => c >= 0 && c <= 1)).toBe(true);
    // Only the camera on the hand moves, so only it has a pose per frame.
    expect(byName['camera.wrist.world_from_camera']?.sample_count).toBeGreaterThan(120);
    expect(byName['camera.front.world_from_camera']).toBeUndefined();
    expect(streams.every((s) => s.dropped_count === 0)).toBe(true);
    // The last success flag is the episode's outcome.
    const success = db
      .prepare(
        "SELECT value FROM samples WHERE stream_id = (SELECT id FROM streams WHERE episode_id = ? AND name = 'sim.success') ORDER BY t_ns DESC LIMIT 1",
      )
      .get(id) as { value: Buffer };
    expect(new Float64Array(success.value.buffer.slice(success.value.byteOffset, success.value.byteOffset + 8))[0]).toBe(
      recorded[0]!.success === true ? 1 : 0,
    );

    // Frames are real PNGs of the configured size: an independent decoder (ffmpeg) reads them.
    const dir = tempDir();
    for (const [suffix, pixFmt, bytesPerPixel] of [
      ['color', 'rgb24', 3],
      ['depth', 'gray16le', 2],
    ] as const) {
      const frame = db
        .prepare(
          `SELECT data FROM frames WHERE stream_id = (SELECT id FROM streams WHERE episode_id = ? AND name = 'camera.front.${suffix}') ORDER BY t_ns LIMIT 1 OFFSET 60`,
        )
        .get(id) as { data: Buffer };
      const file = join(dir, `${suffix}.png`);
      writeFileSync(file, frame.data);
      const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', pixFmt, '-']);
      expect(raw.length).toBe(64 * 48 * bytesPerPixel);
      if (suffix === 'depth') {
        const depth = new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
        // The scene is 0.3–3 m from the front camera (depth in millimetres); rays past the floor read 0.
        const valid = [...depth].filter((d) => d > 300 && d < 3000).length;
        expect(valid / depth.length).toBeGreaterThan(0.75);
      }
    }
    db.close();
  }, 120_000);
});
