import { describe, expect, test } from 'vitest';
import type { EpisodeDetail } from '../../shared/api/contract';
import { objectLooks } from '../../renderer/src/views/episodes/episodeData';

function detailWith(meta: Record<string, unknown> | null): EpisodeDetail {
  const stream = {
    name: 'sim.object_poses',
    kind: 'lowdim' as const,
    dtype: 'float64',
    shape: [1, 7],
    names: null,
    unit: null,
    encoding: null,
    nominal_rate_hz: 100,
    sample_count: 10,
    dropped: 0,
    late: 0,
    first_t_ns: '0',
    last_t_ns: '100',
    meta,
  };
  return { streams: [stream] } as unknown as EpisodeDetail;
}

describe('replayed objects look as recorded', () => {
  test('size and colour come from the pose stream declaration', () => {
    expect(objectLooks(detailWith({ objects: [{ name: 'cube', size_m: 0.05, rgb: [0.1, 0.6, 0.2] }] }))).toEqual([
      { name: 'cube', size_m: 0.05, rgb: [0.1, 0.6, 0.2] },
    ]);
  });

  test('older recordings (no description) and malformed entries give nothing, so the player draws its nominal cube', () => {
    expect(objectLooks(detailWith(null))).toEqual([]);
    expect(
      objectLooks(
        detailWith({
          objects: [
            { name: 'cube', size_m: '5 cm', rgb: [1, 0, 0] },
            { name: 'ball', size_m: 0.04, rgb: [1, 0] },
          ],
        }),
      ),
    ).toEqual([]);
  });
});
