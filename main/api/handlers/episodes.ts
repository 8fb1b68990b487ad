import type { EpisodeFilter, EpisodeSummary } from '../../../shared/api/contract';
import { StudioError } from '../../../shared/api/errors';
import type { EpisodeStore, Sample, StreamRow } from '../../store/episodeStore';
import type { HandlerGroup } from './group';

const ns = (value: bigint | null) => (value === null ? null : value.toString());

export function filterEpisodes(episodes: readonly EpisodeSummary[], filter: EpisodeFilter): EpisodeSummary[] {
  const task = filter.task_contains?.toLowerCase();
  return episodes.filter(
    (e) =>
      (filter.outcome === undefined || filter.outcome.includes(e.outcome)) &&
      (task === undefined || e.task.toLowerCase().includes(task)) &&
      (filter.tag === undefined || e.tags.includes(filter.tag)) &&
      (filter.operator === undefined || e.operator === filter.operator) &&
      (filter.since_unix_ms === undefined || e.started_at_unix_ms >= filter.since_unix_ms) &&
      (filter.until_unix_ms === undefined || e.started_at_unix_ms <= filter.until_unix_ms) &&
      (filter.min_duration_s === undefined || e.duration_s >= filter.min_duration_s) &&
      (filter.max_duration_s === undefined || e.duration_s <= filter.max_duration_s),
  );
}

/** Even decimation by index: keeps the first and last sample, enough for a plot line. */
function decimate(samples: Sample[], maxPoints: number): Sample[] {
  if (samples.length <= maxPoints) return samples;
  const step = (samples.length - 1) / (maxPoints - 1);
  return Array.from({ length: maxPoints }, (_, i) => samples[Math.round(i * step)]!);
}

function decode(stream: StreamRow, value: Uint8Array): number[] {
  const copy = value.slice().buffer;
  switch (stream.dtype) {
    case 'float64':
      return [...new Float64Array(copy)];
    case 'float32':
      return [...new Float32Array(copy)];
    case 'int32':
      return [...new Int32Array(copy)];
    case 'uint8':
    case 'bool':
      return [...value];
    case 'uint16':
      return [...new Uint16Array(copy)];
    default:
      throw new StudioError({ code: 'invalid_params', message: `stream "${stream.name}" holds ${stream.dtype}, which is not plottable` });
  }
}

export function episodeHandlers(store: EpisodeStore): HandlerGroup<'episodes'> {
  const streamOf = (id: number, name: string, kind?: StreamRow['kind']) => {
    const stream = store.stream(id, name);
    if (kind !== undefined && stream.kind !== kind)
      throw new StudioError({ code: 'invalid_params', message: `stream "${name}" is ${stream.kind}, not ${kind}` });
    return stream;
  };
  return {
    'episodes.list': (filter) => {
      const all = store.summaries(filter.status !== undefined ? { status: filter.status } : {});
      return { episodes: filterEpisodes(all, filter) };
    },
    'episodes.get': ({ id }) => ({
      episode: store.episode(id),
      notes: store.notes(id),
      streams: store.streams(id).map((s) => ({
        name: s.name,
        kind: s.kind,
        dtype: s.dtype,
        shape: s.shape,
        names: s.names,
        unit: s.unit,
        encoding: s.encoding,
        nominal_rate_hz: s.nominal_rate_hz,
        sample_count: s.sample_count,
        dropped: s.dropped_count,
        late: s.late_count,
        first_t_ns: ns(s.first_t_ns),
        last_t_ns: ns(s.last_t_ns),
        meta: s.meta,
      })),
      segments: store.segments(id).map((s) => ({ id: s.id, label: s.label, start_ns: s.start_ns.toString(), end_ns: s.end_ns.toString() })),
    }),
    'episodes.samples': ({ id, stream: name, t0_ns, t1_ns, max_points }) => {
      const stream = streamOf(id, name, 'lowdim');
      const samples = decimate(
        store.range(stream, BigInt(t0_ns ?? stream.first_t_ns ?? 0n), BigInt(t1_ns ?? stream.last_t_ns ?? 0n)),
        max_points,
      );
      return { t_ns: samples.map((s) => s.t_ns.toString()), values: samples.map((s) => decode(stream, s.value)) };
    },
    'episodes.frame': ({ id, stream: name, t_ns }) => {
      const stream = streamOf(id, name, 'image');
      const frame = store.latestAt(stream, BigInt(t_ns));
      if (frame === undefined) return null;
      return {
        t_ns: frame.t_ns.toString(),
        encoding: stream.encoding ?? 'unknown',
        data_base64: Buffer.from(frame.value).toString('base64'),
      };
    },
    'episodes.label': ({ id, ...change }) => {
      store.label(id, change);
      return { episode: store.episode(id) };
    },
    'episodes.putSegment': ({ id, segment }) => ({
      segment_id: store.putSegment(id, {
        ...(segment.id !== undefined ? { id: segment.id } : {}),
        label: segment.label,
        start_ns: BigInt(segment.start_ns),
        end_ns: BigInt(segment.end_ns),
      }),
    }),
    'episodes.deleteSegment': ({ id, segment_id }) => {
      store.deleteSegment(id, segment_id);
      return {};
    },
    'episodes.edit': (edit) => {
      switch (edit.action) {
        case 'requestDelete':
          store.requestDelete(edit.id);
          return { episode_id: edit.id };
        case 'cancelDelete':
          store.cancelDelete(edit.id);
          return { episode_id: edit.id };
        case 'confirmDelete':
          store.confirmDelete(edit.id);
          return { episode_id: null };
        case 'requestTrim':
          store.requestTrim(edit.id, BigInt(edit.start_ns), BigInt(edit.end_ns));
          return { episode_id: edit.id };
        case 'cancelTrim':
          store.cancelTrim(edit.id);
          return { episode_id: edit.id };
        case 'confirmTrim':
          store.confirmTrim(edit.id);
          return { episode_id: edit.id };
        case 'split':
          return { episode_id: store.split(edit.id, BigInt(edit.t_ns)) };
        case 'save':
        case 'discard':
          store.resolveInterrupted(edit.id, edit.action === 'save' ? 'saved' : 'discarded');
          return { episode_id: edit.id };
      }
    },
  };
}
