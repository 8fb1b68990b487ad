import { describe, expect, test } from 'vitest';
import type { EpisodeSummary } from '../../shared/api/contract';
import {
  EMPTY_HISTORY,
  editTags,
  historyReducer,
  invertEdit,
  labelsFromSummary,
  setOutcome,
  type EpisodeLabels,
  type LabelEdit,
} from '../../renderer/src/labels/labelModel';
import { LabelStore, type LabelApi } from '../../renderer/src/labels/labelStore';
import { putSegment } from '../../renderer/src/labels/labelModel';

function summary(id: number, patch: Partial<EpisodeSummary> = {}): EpisodeSummary {
  return {
    id,
    session_id: 1,
    task: 'pick',
    status: 'saved',
    outcome: 'unknown',
    operator: 'op',
    started_at_unix_ms: 0,
    duration_s: 3,
    frames: 45,
    dropped: 0,
    late: 0,
    tags: [],
    delete_requested: false,
    ...patch,
  };
}

/** An in-memory core: stores what the label store writes, hands out fresh segment ids like SQLite. */
function fakeApi() {
  const stored = new Map<number, { outcome: string; task: string; notes: string; tags: Set<string>; deleteRequested: boolean }>();
  const segments = new Map<number, { episode: number; label: string; start_ns: string; end_ns: string }>();
  let nextSegment = 100;
  const row = (id: number) => {
    let r = stored.get(id);
    if (r === undefined) stored.set(id, (r = { outcome: 'unknown', task: 'pick', notes: '', tags: new Set(), deleteRequested: false }));
    return r;
  };
  const calls: string[] = [];
  const api: LabelApi = {
    label: async ({ id, outcome, task, notes, add_tags, remove_tags }) => {
      calls.push(`label ${id}`);
      const r = row(id);
      if (outcome !== undefined) r.outcome = outcome;
      if (task !== undefined) r.task = task;
      if (notes !== undefined) r.notes = notes;
      add_tags?.forEach((t) => r.tags.add(t));
      remove_tags?.forEach((t) => r.tags.delete(t));
      return { episode: summary(id, { outcome: r.outcome as EpisodeSummary['outcome'], tags: [...r.tags] }) };
    },
    putSegment: async ({ id, segment }) => {
      calls.push(`putSegment ${id} ${segment.id ?? 'new'}`);
      const segmentId = segment.id ?? nextSegment++;
      if (segment.id !== undefined && !segments.has(segment.id)) throw new Error(`no segment ${segment.id}`);
      segments.set(segmentId, { episode: id, label: segment.label, start_ns: segment.start_ns, end_ns: segment.end_ns });
      return { segment_id: segmentId };
    },
    deleteSegment: async ({ segment_id }) => {
      calls.push(`deleteSegment ${segment_id}`);
      if (!segments.delete(segment_id)) throw new Error(`no segment ${segment_id}`);
      return {};
    },
    edit: async (edit) => {
      calls.push(`edit ${edit.action}`);
      row(edit.id).deleteRequested = edit.action === 'requestDelete';
      return { episode_id: edit.id };
    },
  };
  return { api, stored, segments, calls };
}

describe('label history (plain reducer)', () => {
  const labels = new Map<number, EpisodeLabels>([
    [1, labelsFromSummary(summary(1))],
    [2, labelsFromSummary(summary(2, { outcome: 'failure', tags: ['a'] }))],
  ]);

  test('undo moves the last edit to the redo stack; a new edit drops the redo branch', () => {
    const a: LabelEdit = setOutcome(labels, [1], 'success');
    const b: LabelEdit = editTags(labels, [1], ['x'], []);
    let h = historyReducer(EMPTY_HISTORY, { type: 'record', edit: a });
    h = historyReducer(h, { type: 'record', edit: b });
    h = historyReducer(h, { type: 'undo' });
    expect(h.past).toEqual([a]);
    expect(h.future).toEqual([b]);
    h = historyReducer(h, { type: 'redo' });
    expect(h.past).toEqual([a, b]);
    h = historyReducer(historyReducer(h, { type: 'undo' }), { type: 'record', edit: a });
    expect(h.future).toEqual([]);
    // Undo past the start is a no-op, not an error.
    expect(historyReducer(EMPTY_HISTORY, { type: 'undo' })).toBe(EMPTY_HISTORY);
  });

  test('bulk edits keep each episode\'s own "before", and skip episodes that would not change', () => {
    const edit = setOutcome(labels, [1, 2], 'failure');
    expect(edit.changes).toEqual([{ kind: 'outcome', episode: 1, from: 'unknown', to: 'failure' }]);
    const tags = editTags(labels, [1, 2], ['a'], []);
    // Episode 2 already had "a": undoing must not remove it.
    expect(tags.changes).toEqual([{ kind: 'tags', episode: 1, add: ['a'], remove: [] }]);
    expect(invertEdit(tags).changes).toEqual([{ kind: 'tags', episode: 1, add: [], remove: ['a'] }]);
  });
});

describe('LabelStore: optimistic labels persisted through StudioApi, with undo/redo', () => {
  test('outcome, tags and notes: apply, undo, redo all reach the core', async () => {
    const core = fakeApi();
    const store = new LabelStore(core.api);
    store.seedSummaries([summary(1), summary(2)]);
    const labels = () => store.getSnapshot().labels;
    store.apply(setOutcome(labels(), [1, 2], 'success'));
    store.apply(editTags(labels(), [1], ['grasp-slip'], []));
    expect(labels().get(1)?.tags).toEqual(['grasp-slip']);
    await store.flush();
    expect(core.stored.get(2)?.outcome).toBe('success');
    expect([...core.stored.get(1)!.tags]).toEqual(['grasp-slip']);

    expect(store.undo()).toBe(true);
    await store.flush();
    expect([...core.stored.get(1)!.tags]).toEqual([]);
    expect(store.undo()).toBe(true);
    await store.flush();
    expect(core.stored.get(1)?.outcome).toBe('unknown');
    expect(core.stored.get(2)?.outcome).toBe('unknown');
    expect(store.undo()).toBe(false);

    expect(store.redo()).toBe(true);
    expect(store.redo()).toBe(true);
    await store.flush();
    expect(core.stored.get(1)?.outcome).toBe('success');
    expect([...core.stored.get(1)!.tags]).toEqual(['grasp-slip']);
    expect(store.getSnapshot().pending).toBe(0);
    expect(store.getSnapshot().error).toBeNull();
  });

  test('segments: create, rename, delete; undoing the delete re-creates it and later steps follow the new id', async () => {
    const core = fakeApi();
    const store = new LabelStore(core.api);
    store.seedDetail({ episode: summary(1), notes: '', streams: [], segments: [] });
    const ep = () => store.getSnapshot().labels.get(1)!;
    const key = store.newSegmentKey();
    store.apply(putSegment(ep(), 1, key, { label: 'reach', start_ns: '0', end_ns: '100' }, 'add segment'));
    store.apply(putSegment(ep(), 1, key, { label: 'reach', start_ns: '0', end_ns: '200' }, 'resize segment'));
    store.apply(putSegment(ep(), 1, key, { label: 'approach', start_ns: '0', end_ns: '200' }, 'rename segment'));
    store.apply(putSegment(ep(), 1, key, null, 'delete segment'));
    await store.flush();
    expect(core.segments.size).toBe(0);

    store.undo(); // re-creates it (new id 101)
    await store.flush();
    expect([...core.segments.entries()]).toEqual([[101, { episode: 1, label: 'approach', start_ns: '0', end_ns: '200' }]]);
    store.undo(); // rename back, on the re-created row
    await store.flush();
    expect(core.segments.get(101)?.label).toBe('reach');
    store.redo();
    store.redo(); // delete again: must delete 101, not the long-gone 100
    await store.flush();
    expect(core.segments.size).toBe(0);
    expect(store.getSnapshot().error).toBeNull();
    expect(ep().segments).toEqual({});
  });

  test('a failed write is reported with what to do, and the queue keeps going', async () => {
    const core = fakeApi();
    const store = new LabelStore({ ...core.api, label: async () => Promise.reject(new Error('database is locked')) });
    store.seedSummaries([summary(1)]);
    store.apply(setOutcome(store.getSnapshot().labels, [1], 'failure'));
    store.apply({ description: 'delete', changes: [{ kind: 'deleteRequest', episode: 1, from: false, to: true }] });
    await store.flush();
    expect(store.getSnapshot().error).toMatch(/database is locked.*Reload/);
    expect(core.stored.get(1)?.deleteRequested).toBe(true);
  });
});
