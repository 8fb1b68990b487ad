import { calibrationSummary, type Prediction } from '../../imagination/calibration';
import type { ForesightRow, ForesightStore } from '../../store/foresightStore';
import type { HandlerGroup } from './group';

/** A run's prediction of its episode's outcome: the chosen candidate's success estimate (episodes with a known outcome only). */
export function predictionsOf(rows: readonly ForesightRow[]): Prediction[] {
  return rows.flatMap((row) =>
    row.chosen_success_prob !== null && row.episode_id !== null && (row.episode_outcome === 'success' || row.episode_outcome === 'failure')
      ? [{ p: row.chosen_success_prob, y: row.episode_outcome === 'success' ? 1 : 0, group: row.operator ?? `${row.model.name} mode=${row.mode}`, episode: row.episode_id }]
      : [],
  );
}

export function foresightHandlers(store: ForesightStore): HandlerGroup<'foresight'> {
  return {
    'foresight.runs': (filter) => ({ runs: store.list(filter) }),
    'foresight.calibration': (filter) => calibrationSummary(predictionsOf(store.list(filter))),
  };
}
