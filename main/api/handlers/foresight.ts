import { calibrationSummary, type Prediction } from '../../imagination/calibration';
import type { ForesightRow, ForesightStore } from '../../store/foresightStore';
import type { ForesightService, PolicyStatus, Preview } from '../../runtime/foresightService';
import type { HandlerGroup } from './group';

/** A run's prediction of its episode's outcome: the chosen candidate's success estimate (episodes with a known outcome only). */
export function predictionsOf(rows: readonly ForesightRow[]): Prediction[] {
  return rows.flatMap((row) =>
    row.chosen_success_prob !== null && row.episode_id !== null && (row.episode_outcome === 'success' || row.episode_outcome === 'failure')
      ? [
          {
            p: row.chosen_success_prob,
            y: row.episode_outcome === 'success' ? 1 : 0,
            group: row.operator !== null && row.operator !== '' ? row.operator : `${row.model.name} mode=${row.mode}`,
            episode: row.episode_id,
          },
        ]
      : [],
  );
}

export const previewPayload = (preview: Preview) => ({ ...preview, t_ns: preview.t_ns.toString() });

export const policyStatusPayload = (status: PolicyStatus) => ({
  ...status,
  last_preview: status.last_preview === null ? null : previewPayload(status.last_preview),
});

/**
 * A float array's bytes for a result. A view that is part of a larger buffer is copied: Electron's IPC
 * clones a typed array's whole buffer, so sending a view of all K candidates would send all of them.
 */
export function bytesOf(array: Float32Array): Uint8Array<ArrayBuffer> {
  const { buffer } = array;
  if (buffer instanceof ArrayBuffer && array.byteOffset === 0 && array.byteLength === buffer.byteLength) return new Uint8Array(buffer);
  return new Uint8Array(buffer, array.byteOffset, array.byteLength).slice();
}

export function foresightHandlers(store: ForesightStore, live: ForesightService): HandlerGroup<'foresight'> {
  return {
    'foresight.runs': (filter) => ({ runs: store.list(filter) }),
    'foresight.calibration': (filter) => calibrationSummary(predictionsOf(store.list(filter))),
    'foresight.packs': () => ({ packs: live.packs() }),
    'foresight.open': ({ dir, provider, threads }) =>
      live.open(dir, { provider, ...(threads !== undefined ? { intra_op_threads: threads } : {}) }),
    'foresight.status': () => ({ pack: live.pack }),
    'foresight.preview': async (request) => previewPayload(await live.preview(request)),
    'foresight.splats': async ({ preview_id, candidate }) => {
      const { H, N, gaussians, mask } = await live.splats(preview_id, candidate);
      return { H, N, fields: 14 as const, gaussians: bytesOf(gaussians), mask: bytesOf(mask) };
    },
    'foresight.approve': async ({ preview_id, candidate }) => {
      const { run_id, candidate: k, played, clipped, estopped } = await live.approve(preview_id, candidate);
      return { run_id, candidate: k, played, clipped, estopped };
    },
    'foresight.reject': ({ preview_id }) => live.reject(preview_id),
    'foresight.reimagine': async ({ run_id }) => {
      const result = await live.reimagine(run_id);
      return { ...result, t_ns: result.t_ns.toString() };
    },
    'foresight.policyStart': async (request) => policyStatusPayload(await live.startPolicy(request)),
    'foresight.policyStop': async () => policyStatusPayload(await live.stopPolicy()),
    'foresight.policyStatus': () => policyStatusPayload(live.status()),
  };
}
