import type { RefObject } from 'react';
import { EMPTY_FILTER, isFiltered, type FilterState } from './episodeFilters';

export function FilterBar({
  value,
  onChange,
  taskInputRef,
  shown,
  onImport,
}: {
  value: FilterState;
  onChange: (next: FilterState) => void;
  taskInputRef: RefObject<HTMLInputElement | null>;
  shown: number | null;
  onImport: () => void;
}) {
  const set = <K extends keyof FilterState>(key: K, v: FilterState[K]) => onChange({ ...value, [key]: v });
  return (
    <div className="filter-bar" role="search" aria-label="Filter episodes">
      <input
        ref={taskInputRef}
        className="filter-task"
        type="search"
        placeholder="Task contains…  ( / )"
        aria-label="Filter by task"
        value={value.task}
        onChange={(e) => set('task', e.currentTarget.value)}
      />
      <select
        aria-label="Filter by outcome"
        value={value.outcome}
        onChange={(e) => set('outcome', e.currentTarget.value as FilterState['outcome'])}
      >
        <option value="">any outcome</option>
        <option value="success">success</option>
        <option value="failure">failure</option>
        <option value="unknown">unknown</option>
      </select>
      <input
        type="text"
        placeholder="tag"
        aria-label="Filter by tag"
        value={value.tag}
        onChange={(e) => set('tag', e.currentTarget.value)}
        className="filter-short"
      />
      <input
        type="text"
        placeholder="operator"
        aria-label="Filter by operator"
        value={value.operator}
        onChange={(e) => set('operator', e.currentTarget.value)}
        className="filter-short"
      />
      <input type="date" aria-label="Recorded on or after" value={value.since} onChange={(e) => set('since', e.currentTarget.value)} />
      <input type="date" aria-label="Recorded on or before" value={value.until} onChange={(e) => set('until', e.currentTarget.value)} />
      <input
        type="number"
        min={0}
        step={1}
        placeholder="min s"
        aria-label="Minimum length in seconds"
        value={value.minDuration}
        onChange={(e) => set('minDuration', e.currentTarget.value)}
        className="filter-num"
      />
      <input
        type="number"
        min={0}
        step={1}
        placeholder="max s"
        aria-label="Maximum length in seconds"
        value={value.maxDuration}
        onChange={(e) => set('maxDuration', e.currentTarget.value)}
        className="filter-num"
      />
      <label className="check">
        <input type="checkbox" checked={value.includeDiscarded} onChange={(e) => set('includeDiscarded', e.currentTarget.checked)} />{' '}
        discarded
      </label>
      <span className="filter-count muted" data-testid="episode-count">
        {shown === null ? '' : `${shown} episode${shown === 1 ? '' : 's'}`}
      </span>
      {isFiltered(value) && (
        <button type="button" className="link" onClick={() => onChange(EMPTY_FILTER)}>
          clear filters
        </button>
      )}
      <button type="button" onClick={onImport} title="Import a LeRobot dataset folder (I)" data-testid="import-open">
        Import…
      </button>
    </div>
  );
}
