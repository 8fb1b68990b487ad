import type Database from 'better-sqlite3';
import { datasetStats } from '../../store/datasetStats';
import type { HandlerGroup } from './group';

/** The Statistics view's one call: every number is computed in the store module, the UI only draws. */
export function statsHandlers(db: Database.Database): HandlerGroup<'stats'> {
  return {
    'stats.dataset': ({ by, groups, utc_offset_min }) => datasetStats(db, { by, groups, utc_offset_min }),
  };
}
