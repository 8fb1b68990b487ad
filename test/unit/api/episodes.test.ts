import { afterEach, describe, expect, test } from 'vitest';
import type { Core, CoreConnection } from '../../../main/core/core';
import { Recorder } from '../../../main/recording/recorder';
import { float64Bytes } from '../../../main/recording/streamDef';
import { InlineWriterClient } from '../../../main/recording/writerClient';
import type { RpcOutcome } from '../../../shared/api/transport';
import { startTestCore } from '../../support/core';
import { ManualClock } from '../../support/manualClock';
import { useTempDirs } from '../../support/tempDir';

describe('episodes through StudioApi', () => {
  const tempDir = useTempDirs();
  let core: Core | undefined;
  afterEach(async () => {
    await core?.close();
    core = undefined;
  });

  async function setup() {
    const dataDir = tempDir();
    const writer = new InlineWriterClient({ dataDir, appVersion: 'test' });
    const clock = new ManualClock(0n);
    const recorder = new Recorder({ writer, clock });
    await recorder.startSession({ operator: 'lin', rig_name: 'sim', rig_config_json: '{}', app_version: 'test' });
    const streams = [
      { name: 'arm.q_rad', kind: 'lowdim' as const, dtype: 'float64' as const, shape: [2], names: ['a', 'b'], nominal_rate_hz: 100 },
      {
        name: 'camera.front.color',
        kind: 'image' as const,
        dtype: 'uint8' as const,
        shape: [1, 1, 3],
        encoding: 'png' as const,
        nominal_rate_hz: 10,
      },
    ];
    const ids: number[] = [];
    for (const [task, outcome, n] of [
      ['pick red', 'success', 300],
      ['pick blue', 'failure', 100],
      ['wipe', 'success', 50],
    ] as const) {
      ids.push(await recorder.startEpisode({ task, target_fps_hz: 10, streams }));
      for (let i = 0; i < n; i++) {
        const t = clock.advance_ms(10);
        recorder.record('arm.q_rad', t, float64Bytes([i, -i]));
        if (i % 10 === 0) recorder.record('camera.front.color', t, Uint8Array.of(i % 256, 1, 2));
      }
      await recorder.saveEpisode(outcome);
    }
    await writer.close();
    core = startTestCore(dataDir);
    const connection = core.connect({ transport: 'in-process' });
    const call = async (method: string, params: unknown) => {
      const outcome: RpcOutcome = await connection.call(method, params);
      if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
      return outcome.result as any;
    };
    return { ids, call, connection: connection as CoreConnection };
  }

  test('list filters by outcome, task text, tag and duration', async () => {
    const { ids, call } = await setup();
    expect((await call('episodes.list', {})).episodes.map((e: { id: number }) => e.id)).toEqual(ids);
    expect((await call('episodes.list', { outcome: ['success'] })).episodes.map((e: { task: string }) => e.task)).toEqual([
      'pick red',
      'wipe',
    ]);
    expect((await call('episodes.list', { task_contains: 'PICK' })).episodes).toHaveLength(2);
    expect((await call('episodes.list', { min_duration_s: 1.5 })).episodes.map((e: { id: number }) => e.id)).toEqual([ids[0]]);
    await call('episodes.label', { id: ids[1], add_tags: ['needs-review', 'blue'] });
    expect((await call('episodes.list', { tag: 'blue' })).episodes).toMatchObject([{ id: ids[1], tags: ['blue', 'needs-review'] }]);
  });

  test('detail, decimated samples and latest-at frames', async () => {
    const { ids, call } = await setup();
    const detail = await call('episodes.get', { id: ids[0] });
    expect(detail.streams.map((s: { name: string; sample_count: number }) => [s.name, s.sample_count])).toEqual([
      ['arm.q_rad', 300],
      ['camera.front.color', 30],
    ]);
    const plot = await call('episodes.samples', { id: ids[0], stream: 'arm.q_rad', max_points: 11 });
    expect(plot.values).toHaveLength(11);
    expect(plot.values[0]).toEqual([0, -0]);
    expect(plot.values[10]).toEqual([299, -299]);
    const start = BigInt(detail.streams[1].first_t_ns);
    const frame = await call('episodes.frame', { id: ids[0], stream: 'camera.front.color', t_ns: (start + 150_000_000n).toString() });
    expect(frame).toMatchObject({ t_ns: (start + 100_000_000n).toString(), encoding: 'png' });
    expect([...Buffer.from(frame.data_base64, 'base64')]).toEqual([10, 1, 2]);
    expect(await call('episodes.frame', { id: ids[0], stream: 'camera.front.color', t_ns: '0' })).toBeNull();
    await expect(call('episodes.samples', { id: ids[0], stream: 'camera.front.color' })).rejects.toThrow(/is image, not lowdim/);
  });

  test('labels and segments persist; destructive edits need confirmation', async () => {
    const { ids, call } = await setup();
    const id = ids[0];
    await call('episodes.label', { id, outcome: 'failure', task: 'pick the red cube', notes: 'slipped at lift' });
    const { segment_id } = await call('episodes.putSegment', {
      id,
      segment: { label: 'reach', start_ns: '10000000', end_ns: '900000000' },
    });
    await call('episodes.putSegment', { id, segment: { id: segment_id, label: 'approach', start_ns: '10000000', end_ns: '1000000000' } });
    const detail = await call('episodes.get', { id });
    expect(detail).toMatchObject({
      notes: 'slipped at lift',
      episode: { outcome: 'failure', task: 'pick the red cube' },
      segments: [{ id: segment_id, label: 'approach', end_ns: '1000000000' }],
    });

    await call('episodes.edit', { id: ids[2], action: 'requestDelete' });
    expect((await call('episodes.list', {})).episodes).toHaveLength(3);
    await call('episodes.edit', { id: ids[2], action: 'confirmDelete' });
    expect((await call('episodes.list', {})).episodes).toHaveLength(2);
    await expect(call('episodes.edit', { id: ids[1], action: 'confirmTrim' })).rejects.toThrow(/no trim was requested/);
    await expect(call('episodes.putSegment', { id, segment: { label: 'x', start_ns: 'soon', end_ns: '1' } })).rejects.toThrow(
      /invalid_params/,
    );
  });
});
