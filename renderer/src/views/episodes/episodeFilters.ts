import type { EpisodeFilter, EpisodeSummary } from '../../../../shared/api/contract';

/** What the filter bar holds, as typed by the user (strings until they parse). */
export interface FilterState {
  task: string;
  outcome: '' | EpisodeSummary['outcome'];
  tag: string;
  operator: string;
  /** yyyy-mm-dd, local time. */
  since: string;
  until: string;
  minDuration: string;
  maxDuration: string;
  includeDiscarded: boolean;
}

export const EMPTY_FILTER: FilterState = {
  task: '',
  outcome: '',
  tag: '',
  operator: '',
  since: '',
  until: '',
  minDuration: '',
  maxDuration: '',
  includeDiscarded: false,
};

function number(text: string): number | undefined {
  const value = Number(text);
  return text.trim() === '' || !Number.isFinite(value) ? undefined : value;
}

function day(text: string, endOfDay: boolean): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const date = new Date(`${text}T${endOfDay ? '23:59:59.999' : '00:00:00'}`);
  return Number.isNaN(date.getTime()) ? undefined : date.getTime();
}

/** The StudioApi filter; empty fields are left out so the core applies no condition for them. */
export function toApiFilter(state: FilterState): EpisodeFilter {
  const filter: EpisodeFilter = {};
  if (state.task.trim() !== '') filter.task_contains = state.task.trim();
  if (state.outcome !== '') filter.outcome = [state.outcome];
  if (state.tag.trim() !== '') filter.tag = state.tag.trim();
  if (state.operator.trim() !== '') filter.operator = state.operator.trim();
  const since = day(state.since, false);
  const until = day(state.until, true);
  if (since !== undefined) filter.since_unix_ms = since;
  if (until !== undefined) filter.until_unix_ms = until;
  const min = number(state.minDuration);
  const max = number(state.maxDuration);
  if (min !== undefined) filter.min_duration_s = min;
  if (max !== undefined) filter.max_duration_s = max;
  if (state.includeDiscarded) filter.status = ['saved', 'interrupted', 'recording', 'discarded'];
  return filter;
}

export function isFiltered(state: FilterState): boolean {
  return JSON.stringify(state) !== JSON.stringify(EMPTY_FILTER);
}
