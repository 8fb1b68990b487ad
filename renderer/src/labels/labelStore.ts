import type { StudioCalls } from '../../../shared/api/client';
import type { EpisodeDetail, EpisodeSummary } from '../../../shared/api/contract';
import {
  applyChange,
  EMPTY_HISTORY,
  historyReducer,
  labelsFromSummary,
  redoChanges,
  undoChanges,
  type EpisodeLabels,
  type LabelChange,
  type LabelEdit,
  type LabelHistory,
} from './labelModel';

export type LabelApi = Pick<StudioCalls['episodes'], 'label' | 'putSegment' | 'deleteSegment' | 'edit'>;

export interface LabelSnapshot {
  labels: ReadonlyMap<number, EpisodeLabels>;
  history: LabelHistory;
  /** Writes not yet acknowledged by the core. */
  pending: number;
  /** The last write that failed, with what to do about it. */
  error: string | null;
}

/**
 * The labels the UI shows, edited optimistically and persisted through StudioApi in order (one write
 * at a time, so a rename never overtakes the create it renames). Undo and redo apply inverse changes
 * through the same path, so everything the user sees is stored.
 *
 * Segments are addressed by a client key: an undone delete re-creates the segment under a new server
 * id, and the key → id map keeps later redo/undo steps pointing at the right row.
 */
export class LabelStore {
  private snapshot: LabelSnapshot = { labels: new Map(), history: EMPTY_HISTORY, pending: 0, error: null };
  private readonly segmentIds = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private queue: Promise<void> = Promise.resolve();
  private nextKey = 1;

  constructor(private readonly api: LabelApi) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): LabelSnapshot => this.snapshot;

  /** Takes the list's view of each episode, keeping notes and segments already loaded. */
  seedSummaries(summaries: readonly EpisodeSummary[]): void {
    const labels = new Map(this.snapshot.labels);
    for (const summary of summaries) {
      const known = labels.get(summary.id);
      labels.set(summary.id, { ...labelsFromSummary(summary), notes: known?.notes ?? null, segments: known?.segments ?? null });
    }
    this.set({ labels });
  }

  seedDetail(detail: EpisodeDetail): void {
    const segments: Record<string, { label: string; start_ns: string; end_ns: string }> = {};
    for (const segment of detail.segments) {
      const key = `s${segment.id}`;
      this.segmentIds.set(key, segment.id);
      segments[key] = { label: segment.label, start_ns: segment.start_ns, end_ns: segment.end_ns };
    }
    const labels = new Map(this.snapshot.labels);
    labels.set(detail.episode.id, { ...labelsFromSummary(detail.episode), notes: detail.notes, segments });
    this.set({ labels });
  }

  /** A key for a segment the user is about to create. */
  newSegmentKey(): string {
    return `n${this.nextKey++}`;
  }

  apply(edit: LabelEdit): void {
    if (edit.changes.length === 0) return;
    this.set({ history: historyReducer(this.snapshot.history, { type: 'record', edit }) });
    this.run(edit.changes);
  }

  undo(): boolean {
    const inverse = undoChanges(this.snapshot.history);
    if (inverse === undefined) return false;
    this.set({ history: historyReducer(this.snapshot.history, { type: 'undo' }) });
    this.run(inverse.changes);
    return true;
  }

  redo(): boolean {
    const edit = redoChanges(this.snapshot.history);
    if (edit === undefined) return false;
    this.set({ history: historyReducer(this.snapshot.history, { type: 'redo' }) });
    this.run(edit.changes);
    return true;
  }

  /** Resolves when every write so far has reached the core. */
  flush(): Promise<void> {
    return this.queue;
  }

  clearError(): void {
    this.set({ error: null });
  }

  private run(changes: readonly LabelChange[]): void {
    const labels = new Map(this.snapshot.labels);
    for (const change of changes) {
      const current = labels.get(change.episode);
      if (current !== undefined) labels.set(change.episode, applyChange(current, change));
    }
    this.set({ labels, pending: this.snapshot.pending + changes.length });
    for (const change of changes) {
      this.queue = this.queue.then(async () => {
        try {
          await this.persist(change);
        } catch (error) {
          const message = (error as { message?: string }).message ?? String(error);
          this.set({
            error: `Saving a label of episode ${change.episode} failed: ${message}. Reload the episode list to see what is stored.`,
          });
        } finally {
          this.set({ pending: this.snapshot.pending - 1 });
        }
      });
    }
  }

  private async persist(change: LabelChange): Promise<void> {
    const id = change.episode;
    switch (change.kind) {
      case 'outcome':
        await this.api.label({ id, outcome: change.to });
        return;
      case 'task':
        await this.api.label({ id, task: change.to });
        return;
      case 'notes':
        await this.api.label({ id, notes: change.to });
        return;
      case 'tags':
        await this.api.label({ id, add_tags: [...change.add], remove_tags: [...change.remove] });
        return;
      case 'deleteRequest':
        await this.api.edit({ id, action: change.to ? 'requestDelete' : 'cancelDelete' });
        return;
      case 'segment': {
        const existing = this.segmentIds.get(change.key);
        if (change.to === null) {
          if (existing !== undefined) await this.api.deleteSegment({ id, segment_id: existing });
          this.segmentIds.delete(change.key);
          return;
        }
        const { segment_id } = await this.api.putSegment({
          id,
          segment: { ...(existing !== undefined ? { id: existing } : {}), ...change.to },
        });
        this.segmentIds.set(change.key, segment_id);
        return;
      }
    }
  }

  private set(patch: Partial<LabelSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }
}
