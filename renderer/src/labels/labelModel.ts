import type { EpisodeSummary } from '../../../shared/api/contract';

/**
 * Labels as data, with every edit expressed as reversible changes (each holds its before and after),
 * so undo is "apply the inverse" and the history is a plain reducer with no I/O.
 */
export type Outcome = EpisodeSummary['outcome'];

export interface SegmentValue {
  label: string;
  start_ns: string;
  end_ns: string;
}

export interface EpisodeLabels {
  outcome: Outcome;
  task: string;
  tags: readonly string[];
  delete_requested: boolean;
  /** Known once the episode's detail is loaded. */
  notes: string | null;
  /** Keyed by a client-side key (see LabelStore): server ids change when an undo re-creates a segment. */
  segments: Readonly<Record<string, SegmentValue>> | null;
}

export type LabelChange =
  | { kind: 'outcome'; episode: number; from: Outcome; to: Outcome }
  | { kind: 'task'; episode: number; from: string; to: string }
  | { kind: 'notes'; episode: number; from: string; to: string }
  | { kind: 'tags'; episode: number; add: readonly string[]; remove: readonly string[] }
  | { kind: 'segment'; episode: number; key: string; from: SegmentValue | null; to: SegmentValue | null }
  | { kind: 'deleteRequest'; episode: number; from: boolean; to: boolean };

export interface LabelEdit {
  /** Shown in the undo/redo buttons' tooltips, e.g. "outcome → success on 3 episodes". */
  description: string;
  changes: readonly LabelChange[];
}

export function invertChange(change: LabelChange): LabelChange {
  switch (change.kind) {
    case 'tags':
      return { ...change, add: change.remove, remove: change.add };
    default:
      return { ...change, from: change.to, to: change.from } as LabelChange;
  }
}

export function invertEdit(edit: LabelEdit): LabelEdit {
  return { description: edit.description, changes: [...edit.changes].reverse().map(invertChange) };
}

/** A change that does nothing is dropped, so no-op edits never enter the history. */
export function isNoop(change: LabelChange): boolean {
  switch (change.kind) {
    case 'tags':
      return change.add.length === 0 && change.remove.length === 0;
    case 'segment':
      return JSON.stringify(change.from) === JSON.stringify(change.to);
    default:
      return change.from === change.to;
  }
}

export function applyChange(labels: EpisodeLabels, change: LabelChange): EpisodeLabels {
  switch (change.kind) {
    case 'outcome':
      return { ...labels, outcome: change.to };
    case 'task':
      return { ...labels, task: change.to };
    case 'notes':
      return { ...labels, notes: change.to };
    case 'tags': {
      const tags = labels.tags.filter((tag) => !change.remove.includes(tag));
      for (const tag of change.add) if (!tags.includes(tag)) tags.push(tag);
      return { ...labels, tags: tags.sort() };
    }
    case 'segment': {
      const segments = { ...(labels.segments ?? {}) };
      if (change.to === null) delete segments[change.key];
      else segments[change.key] = change.to;
      return { ...labels, segments };
    }
    case 'deleteRequest':
      return { ...labels, delete_requested: change.to };
  }
}

// ---- history ---------------------------------------------------------------------------------------

export interface LabelHistory {
  past: readonly LabelEdit[];
  future: readonly LabelEdit[];
}

export const EMPTY_HISTORY: LabelHistory = { past: [], future: [] };
const MAX_UNDO = 200;

export type HistoryAction = { type: 'record'; edit: LabelEdit } | { type: 'undo' } | { type: 'redo' } | { type: 'clear' };

/** Recording a new edit drops the redo branch, as every editor does. */
export function historyReducer(history: LabelHistory, action: HistoryAction): LabelHistory {
  switch (action.type) {
    case 'record':
      return { past: [...history.past, action.edit].slice(-MAX_UNDO), future: [] };
    case 'undo': {
      const edit = history.past.at(-1);
      if (edit === undefined) return history;
      return { past: history.past.slice(0, -1), future: [edit, ...history.future] };
    }
    case 'redo': {
      const edit = history.future[0];
      if (edit === undefined) return history;
      return { past: [...history.past, edit], future: history.future.slice(1) };
    }
    case 'clear':
      return EMPTY_HISTORY;
  }
}

/** The changes an undo must apply (the inverse of the last edit), or undefined at the start. */
export function undoChanges(history: LabelHistory): LabelEdit | undefined {
  const edit = history.past.at(-1);
  return edit === undefined ? undefined : invertEdit(edit);
}

export function redoChanges(history: LabelHistory): LabelEdit | undefined {
  return history.future[0];
}

// ---- edit builders (what the UI asks for → reversible changes) -------------------------------------

export function setOutcome(labels: ReadonlyMap<number, EpisodeLabels>, episodes: readonly number[], outcome: Outcome): LabelEdit {
  const changes = episodes.flatMap((episode): LabelChange[] => {
    const current = labels.get(episode);
    return current === undefined ? [] : [{ kind: 'outcome', episode, from: current.outcome, to: outcome }];
  });
  return { description: `outcome → ${outcome}${plural(episodes)}`, changes: changes.filter((c) => !isNoop(c)) };
}

export function setText(
  labels: ReadonlyMap<number, EpisodeLabels>,
  episodes: readonly number[],
  field: 'task' | 'notes',
  text: string,
): LabelEdit {
  const changes = episodes.flatMap((episode): LabelChange[] => {
    const current = labels.get(episode);
    if (current === undefined) return [];
    const from = field === 'task' ? current.task : (current.notes ?? '');
    return [{ kind: field, episode, from, to: text }];
  });
  return {
    description: `${field === 'task' ? 'task text' : 'notes'} edited${plural(episodes)}`,
    changes: changes.filter((c) => !isNoop(c)),
  };
}

export function editTags(
  labels: ReadonlyMap<number, EpisodeLabels>,
  episodes: readonly number[],
  add: readonly string[],
  remove: readonly string[],
): LabelEdit {
  // Only what really changes per episode, so undo never removes a tag the episode already had.
  const changes = episodes.flatMap((episode): LabelChange[] => {
    const current = labels.get(episode);
    if (current === undefined) return [];
    return [
      { kind: 'tags', episode, add: add.filter((t) => !current.tags.includes(t)), remove: remove.filter((t) => current.tags.includes(t)) },
    ];
  });
  const verb = add.length > 0 ? `tag +${add.join(', +')}` : `tag −${remove.join(', −')}`;
  return { description: `${verb}${plural(episodes)}`, changes: changes.filter((c) => !isNoop(c)) };
}

export function putSegment(
  labels: EpisodeLabels,
  episode: number,
  key: string,
  value: SegmentValue | null,
  description: string,
): LabelEdit {
  const from = labels.segments?.[key] ?? null;
  const change: LabelChange = { kind: 'segment', episode, key, from, to: value };
  return { description, changes: isNoop(change) ? [] : [change] };
}

export function requestDelete(labels: ReadonlyMap<number, EpisodeLabels>, episodes: readonly number[], requested: boolean): LabelEdit {
  const changes = episodes.flatMap((episode): LabelChange[] => {
    const current = labels.get(episode);
    return current === undefined ? [] : [{ kind: 'deleteRequest', episode, from: current.delete_requested, to: requested }];
  });
  return {
    description: `${requested ? 'marked for deletion' : 'deletion cancelled'}${plural(episodes)}`,
    changes: changes.filter((c) => !isNoop(c)),
  };
}

function plural(episodes: readonly number[]): string {
  return episodes.length === 1 ? '' : ` on ${episodes.length} episodes`;
}

export function labelsFromSummary(summary: EpisodeSummary): EpisodeLabels {
  return {
    outcome: summary.outcome,
    task: summary.task,
    tags: [...summary.tags].sort(),
    delete_requested: summary.delete_requested,
    notes: null,
    segments: null,
  };
}
