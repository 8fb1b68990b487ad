import { useState } from 'react';
import { editTags, putSegment, setOutcome, setText, type EpisodeLabels, type Outcome } from '../../labels/labelModel';
import type { LabelSnapshot, LabelStore } from '../../labels/labelStore';
import { secondsFrom } from './episodeData';

const OUTCOMES: { value: Outcome; label: string; key: string }[] = [
  { value: 'success', label: 'Success', key: 'G' },
  { value: 'failure', label: 'Failure', key: 'B' },
  { value: 'unknown', label: 'Unknown', key: 'U' },
];

function OutcomeButtons({ current, onPick }: { current: Outcome | null; onPick: (outcome: Outcome) => void }) {
  return (
    <div className="segmented outcome-buttons" role="group" aria-label="Outcome">
      {OUTCOMES.map((o) => (
        <button
          key={o.value}
          type="button"
          className={`outcome-${o.value}`}
          aria-pressed={current === o.value}
          onClick={() => onPick(o.value)}
          title={`${o.label} (${o.key})`}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

function TagEditor({
  tags,
  onAdd,
  onRemove,
  inputId,
}: {
  tags: readonly string[];
  onAdd: (tag: string) => void;
  onRemove: (tag: string) => void;
  inputId: string;
}) {
  const [draft, setDraft] = useState('');
  const add = () => {
    const tag = draft.trim();
    if (tag !== '') onAdd(tag);
    setDraft('');
  };
  return (
    <div className="tag-editor">
      {tags.map((tag) => (
        <span key={tag} className="chip chip-removable">
          {tag}
          <button type="button" aria-label={`Remove tag ${tag}`} onClick={() => onRemove(tag)}>
            ×
          </button>
        </span>
      ))}
      <input
        id={inputId}
        className="tag-input"
        aria-label="Add a tag"
        placeholder="add tag, Enter"
        value={draft}
        maxLength={100}
        onChange={(event) => setDraft(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter') add();
          if (event.key === 'Escape') event.currentTarget.blur();
        }}
      />
    </div>
  );
}

/** A text field that commits once, on blur or Enter, so typing is not one undo step per key. */
function CommitField({
  label,
  value,
  onCommit,
  multiline = false,
}: {
  label: string;
  value: string;
  onCommit: (text: string) => void;
  multiline?: boolean;
}) {
  const [draft, setDraft] = useState<string | null>(null);
  const commit = () => {
    if (draft !== null && draft !== value) onCommit(draft);
    setDraft(null);
  };
  const common = {
    'aria-label': label,
    value: draft ?? value,
    onChange: (event: { currentTarget: { value: string } }) => setDraft(event.currentTarget.value),
    onBlur: commit,
  };
  return multiline ? (
    <textarea
      {...common}
      rows={3}
      placeholder="Notes for this episode"
      onKeyDown={(event) => event.key === 'Escape' && event.currentTarget.blur()}
    />
  ) : (
    <input {...common} onKeyDown={(event) => (event.key === 'Enter' || event.key === 'Escape') && event.currentTarget.blur()} />
  );
}

export interface LabelPanelProps {
  store: LabelStore;
  snapshot: LabelSnapshot;
  /** The episodes the edits apply to: one (the player's) or a bulk selection. */
  targets: readonly number[];
  t0_ns: bigint | null;
  onSeek(t_s: number): void;
  onDelete(): void;
  onTrim(): void;
  trimLabel: string | null;
}

export function LabelPanel({ store, snapshot, targets, t0_ns, onSeek, onDelete, onTrim, trimLabel }: LabelPanelProps) {
  const { labels, history, pending, error } = snapshot;
  const single = targets.length === 1 ? labels.get(targets[0]!) : undefined;
  const chosen = targets.map((id) => labels.get(id)).filter((l): l is EpisodeLabels => l !== undefined);
  const sameOutcome = chosen.length > 0 && chosen.every((l) => l.outcome === chosen[0]!.outcome) ? chosen[0]!.outcome : null;
  const commonTags = chosen.length === 0 ? [] : chosen[0]!.tags.filter((tag) => chosen.every((l) => l.tags.includes(tag)));
  const lastUndo = history.past.at(-1);
  const nextRedo = history.future[0];

  return (
    <section className="panel label-panel" aria-labelledby="labels-title">
      <div className="panel-head">
        <h2 id="labels-title">{targets.length > 1 ? `Labels · ${targets.length} episodes selected` : 'Labels'}</h2>
        <span className="save-state muted" aria-live="polite" data-testid="label-save-state">
          {pending > 0 ? 'saving…' : 'saved'}
        </span>
        <button
          type="button"
          disabled={lastUndo === undefined}
          onClick={() => store.undo()}
          title={lastUndo === undefined ? 'Nothing to undo' : `Undo ${lastUndo.description} (Ctrl+Z)`}
        >
          Undo
        </button>
        <button
          type="button"
          disabled={nextRedo === undefined}
          onClick={() => store.redo()}
          title={nextRedo === undefined ? 'Nothing to redo' : `Redo ${nextRedo.description} (Ctrl+Shift+Z)`}
        >
          Redo
        </button>
      </div>
      {error !== null && (
        <div className="inline-error" role="alert">
          {error}{' '}
          <button type="button" onClick={() => store.clearError()}>
            Dismiss
          </button>
        </div>
      )}
      <div className="label-grid">
        <label>Outcome</label>
        <OutcomeButtons current={sameOutcome} onPick={(outcome) => store.apply(setOutcome(labels, targets, outcome))} />

        <label>Task</label>
        <CommitField
          key={`task-${targets.join(',')}`}
          label="Task instruction"
          value={single?.task ?? (chosen.every((l) => l.task === chosen[0]?.task) ? (chosen[0]?.task ?? '') : '')}
          onCommit={(text) => store.apply(setText(labels, targets, 'task', text))}
        />

        <label htmlFor="tag-input">Tags</label>
        <TagEditor
          inputId="tag-input"
          tags={commonTags}
          onAdd={(tag) => store.apply(editTags(labels, targets, [tag], []))}
          onRemove={(tag) => store.apply(editTags(labels, targets, [], [tag]))}
        />

        {single !== undefined && (
          <>
            <label>Notes</label>
            <CommitField
              key={`notes-${targets[0]}`}
              label="Notes"
              multiline
              value={single.notes ?? ''}
              onCommit={(text) => store.apply(setText(labels, targets, 'notes', text))}
            />

            <label>Segments</label>
            <ul className="segment-list" aria-label="Segments">
              {Object.keys(single.segments ?? {}).length === 0 && (
                <li className="muted">None yet. Press M at a segment's start and again at its end, or use “Add segment”.</li>
              )}
              {Object.entries(single.segments ?? {})
                .sort(([, a], [, b]) => (BigInt(a.start_ns) < BigInt(b.start_ns) ? -1 : 1))
                .map(([key, segment]) => {
                  const start = t0_ns === null ? 0 : secondsFrom(t0_ns, segment.start_ns);
                  const end = t0_ns === null ? 0 : secondsFrom(t0_ns, segment.end_ns);
                  return (
                    <li key={key} className="segment-item">
                      <CommitField
                        label={`Segment name ${segment.label}`}
                        value={segment.label}
                        onCommit={(text) =>
                          text.trim() !== '' &&
                          store.apply(
                            putSegment(single, targets[0]!, key, { ...segment, label: text.trim() }, `rename segment to "${text.trim()}"`),
                          )
                        }
                      />
                      <button type="button" className="link" onClick={() => onSeek(start)}>
                        {start.toFixed(2)}–{end.toFixed(2)} s
                      </button>
                      <button
                        type="button"
                        aria-label={`Delete segment ${segment.label}`}
                        onClick={() => store.apply(putSegment(single, targets[0]!, key, null, `delete segment "${segment.label}"`))}
                      >
                        ×
                      </button>
                    </li>
                  );
                })}
            </ul>

            <label>Edit</label>
            <div className="row-buttons">
              <button type="button" onClick={onTrim} title="Keep only the marked window (asks first)">
                {trimLabel ?? 'Trim…'}
              </button>
              <button type="button" className="danger" onClick={onDelete} title="Delete this episode (Delete; asks first)">
                Delete episode…
              </button>
            </div>
          </>
        )}
      </div>
    </section>
  );
}
