import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import type { ExportJob, ExportRequest } from '../../../../shared/api/contract';
import { exportFormats } from '../../../../shared/api/contract';
import { useStudio } from '../../app/studioContext';
import { EmptyState, ErrorState } from '../../ui/states';
import './export.css';

type Outcome = 'success' | 'failure' | 'unknown';
const FORMAT_LABELS: Record<(typeof exportFormats)[number], string> = {
  lerobot: 'LeRobot v3.0',
  'lerobot-v2.1': 'LeRobot v2.1',
  robomimic: 'robomimic HDF5',
  gwm: 'GWM sequences',
};

interface FormState {
  format: (typeof exportFormats)[number];
  out: string;
  outcomes: Outcome[];
  tags: string;
  task: string;
  cameras: string;
  fps: string;
  valid_fraction: string;
  test_fraction: string;
  vcodec: 'libsvtav1' | 'h264';
  depth: boolean;
  /** LeRobot's repo id for loading the local copy; the files do not hold it (LeRobot takes it with `root`). */
  repo_id: string;
}

const list = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

/** The form as a StudioApi request; empty fields mean "everything". */
export function exportRequestOf(form: FormState, dryRun: boolean): ExportRequest {
  const tags = list(form.tags);
  const cameras = list(form.cameras);
  const selection = {
    ...(form.outcomes.length > 0 && form.outcomes.length < 3 ? { outcomes: form.outcomes } : {}),
    ...(tags.length > 0 ? { tags } : {}),
    ...(form.task.trim() !== '' ? { tasks: [form.task.trim()] } : {}),
  };
  return {
    format: form.format,
    out: form.out.trim(),
    ...(Object.keys(selection).length > 0 ? { selection } : {}),
    ...(cameras.length > 0 ? { cameras } : {}),
    ...(form.fps.trim() !== '' ? { fps: Number(form.fps) } : {}),
    ...(form.valid_fraction.trim() !== '' ? { valid_fraction: Number(form.valid_fraction) } : {}),
    ...(form.test_fraction.trim() !== '' ? { test_fraction: Number(form.test_fraction) } : {}),
    ...(form.format === 'lerobot' || form.format === 'lerobot-v2.1' ? { vcodec: form.vcodec } : {}),
    ...(form.depth ? { depth: true } : {}),
    ...(dryRun ? { dry_run: true } : {}),
  };
}

function formatEta(seconds: number | null): string {
  if (seconds === null) return 'estimating…';
  if (seconds < 60) return `${Math.ceil(seconds)} s left`;
  return `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s left`;
}

/** "3 success, 1 failure": what a selection takes, so failures in a training set are never a surprise. */
export function outcomeCounts(episodes: readonly { outcome: string }[]): string {
  const counts = new Map<string, number>();
  for (const e of episodes) counts.set(e.outcome, (counts.get(e.outcome) ?? 0) + 1);
  return ['success', 'failure', 'unknown']
    .filter((outcome) => counts.has(outcome))
    .map((outcome) => `${counts.get(outcome)} ${outcome}`)
    .join(', ');
}

/** A LeRobot repo id from the output directory's name when the user gave none (`local/<name>`). */
export function repoIdFor(out: string, given: string): string {
  if (given.trim() !== '') return given.trim();
  const name =
    out
      .trim()
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  return `local/${name === '' ? 'dataset' : name}`;
}

/** The Python that loads the written dataset, for the formats with a loader to name. */
function loadSnippet(format: ExportJob['format'], out: string, repoId: string): string | null {
  if (format === 'lerobot' || format === 'lerobot-v2.1') return `LeRobotDataset(${JSON.stringify(repoId)}, root=${JSON.stringify(out)})`;
  if (format === 'robomimic') return `robomimic.utils.dataset.SequenceDataset(hdf5_path=${JSON.stringify(out)}, ...)`;
  return null;
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  // The clipboard needs a secure context (Electron, or web mode on 127.0.0.1); elsewhere the text stays selectable.
  const canCopy = typeof navigator.clipboard?.writeText === 'function';
  if (!canCopy) return null;
  return (
    <button
      type="button"
      onClick={() =>
        void navigator.clipboard.writeText(text).then(
          () => setCopied(true),
          () => setCopied(false),
        )
      }
    >
      {copied ? 'Copied' : label}
    </button>
  );
}

function JobCard({ job, repoId, onCancel }: { job: ExportJob; repoId: string; onCancel: (id: number) => void }) {
  const progress = job.progress;
  const fraction =
    progress !== null && progress.total_frames > 0 ? progress.done_frames / progress.total_frames : job.state === 'done' ? 1 : 0;
  const summary = job.summary;
  return (
    <div className="export-job" data-testid={`export-job-${job.id}`} data-state={job.state}>
      <div className="export-job-head">
        <strong>
          {summary?.dry_run === true ? 'Plan' : 'Export'} #{job.id}
        </strong>{' '}
        · {FORMAT_LABELS[job.format]}
        <span className={`pill pill-${job.state === 'failed' ? 'bad' : job.state === 'running' ? 'recording' : 'stopped'}`}>
          {job.state}
        </span>
      </div>
      {summary?.dry_run !== true && (
        <div className="export-out-row">
          <span className="mono muted export-out" data-testid="export-path">
            {job.out}
          </span>
          {job.state === 'done' && <CopyButton text={job.out} label="Copy path" />}
        </div>
      )}
      {job.state === 'running' && (
        <>
          <progress className="export-progress" max={1} value={fraction} aria-label={`export ${job.id} progress`} />
          <div className="muted">
            {progress === null
              ? 'starting…'
              : `${progress.phase}: ${progress.done_frames} / ${progress.total_frames} frames, episode ${progress.done_episodes} / ${progress.total_episodes} · ${formatEta(progress.eta_s)}`}
          </div>
          <button type="button" className="danger" onClick={() => onCancel(job.id)}>
            Cancel
          </button>
        </>
      )}
      {job.state === 'done' && summary !== null && (
        <div className="export-summary">
          {summary.episodes.length} episodes ({outcomeCounts(summary.episodes)}) · {summary.total_frames} frames at {summary.fps} fps ·
          cameras {summary.cameras.join(', ') || 'none'}
          {summary.dry_run ? (
            <>
              {' '}
              ·{' '}
              <span data-testid="export-split">
                train {summary.episodes.filter((e) => e.split === 'train').length} / valid{' '}
                {summary.episodes.filter((e) => e.split === 'valid').length} / test{' '}
                {summary.episodes.filter((e) => e.split === 'test').length}
              </span>
            </>
          ) : (
            <>
              {' '}
              · {(summary.bytes / 1e6).toFixed(1)} MB in {summary.elapsed_s.toFixed(1)} s ({summary.real_time_factor.toFixed(1)}× real time)
            </>
          )}
          {summary.warnings.map((warning) => (
            <div key={warning} className="warn">
              {warning}
            </div>
          ))}
          {summary.validation !== null && (
            <div className={summary.validation.ok ? 'ok' : 'warn'} data-testid="export-validation" data-ok={summary.validation.ok}>
              {summary.validation.ok
                ? `Validated: ${summary.validation.episodes} episodes, ${summary.validation.frames} frames read back as its loader reads them.`
                : `Validation found ${summary.validation.problems.length} problem${summary.validation.problems.length === 1 ? '' : 's'}:`}
              {!summary.validation.ok && (
                <ul>
                  {summary.validation.problems.map((problem) => (
                    <li key={problem}>{problem}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {!summary.dry_run && loadSnippet(job.format, job.out, repoId) !== null && (
            <div className="export-load">
              <span className="muted">Load it with</span> <code data-testid="export-load">{loadSnippet(job.format, job.out, repoId)}</code>{' '}
              <CopyButton text={loadSnippet(job.format, job.out, repoId)!} label="Copy" />
            </div>
          )}
        </div>
      )}
      {job.state === 'cancelled' && <div className="muted">Cancelled: nothing was left at the output path.</div>}
      {job.state === 'failed' && job.error !== null && <ErrorState title="Export failed" message={job.error.message} fix={job.error.fix} />}
    </div>
  );
}

/**
 * The Export page: choose a format and a selection, plan it (a dry run lists what would be written),
 * then export in the background with a progress bar, ETA and cancel. Exports are atomic in the core:
 * a cancelled or failed one leaves nothing that looks complete.
 */
export function ExportView() {
  const studio = useStudio();
  const [form, setForm] = useState<FormState>({
    format: 'lerobot',
    out: '',
    outcomes: ['success', 'failure', 'unknown'],
    tags: '',
    task: '',
    cameras: '',
    fps: '',
    valid_fraction: '',
    test_fraction: '',
    vcodec: 'h264',
    depth: false,
    repo_id: '',
  });
  const [jobs, setJobs] = useState<ExportJob[]>([]);
  const [error, setError] = useState<{ message: string; fix?: string | undefined } | null>(null);

  useEffect(() => {
    void studio.api.export.list().then(
      ({ exports }) => setJobs(exports),
      () => undefined,
    );
    return studio.on('export.progress', (job) =>
      setJobs((current) => [job, ...current.filter((j) => j.id !== job.id)].sort((a, b) => b.id - a.id)),
    );
  }, [studio]);

  const submit = useCallback(
    (dryRun: boolean) => {
      setError(null);
      studio.api.export.start(exportRequestOf(form, dryRun)).then(
        (job) => setJobs((current) => [job, ...current.filter((j) => j.id !== job.id)]),
        (e: { message: string; fix?: string }) => setError({ message: e.message, fix: e.fix }),
      );
    },
    [form, studio],
  );
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit(false);
  };
  const cancel = useCallback((id: number) => void studio.api.export.cancel({ id }).catch(() => undefined), [studio]);
  const toggleOutcome = (outcome: Outcome) =>
    setForm((f) => ({ ...f, outcomes: f.outcomes.includes(outcome) ? f.outcomes.filter((o) => o !== outcome) : [...f.outcomes, outcome] }));
  const isVideo = form.format === 'lerobot' || form.format === 'lerobot-v2.1';
  const canRun = useMemo(() => form.out.trim() !== '' && form.outcomes.length > 0, [form]);

  return (
    <div className="export-view">
      <form className="panel pad export-form" onSubmit={onSubmit} aria-label="Export">
        <h2>Export a dataset</h2>
        <label>
          Format
          <select
            value={form.format}
            onChange={(e) => setForm({ ...form, format: e.target.value as FormState['format'] })}
            data-testid="export-format"
          >
            {exportFormats.map((format) => (
              <option key={format} value={format}>
                {FORMAT_LABELS[format]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Output {form.format === 'robomimic' ? 'file (.hdf5)' : 'directory'} (must not exist)
          <input
            value={form.out}
            onChange={(e) => setForm({ ...form, out: e.target.value })}
            placeholder={form.format === 'robomimic' ? '/data/exports/pick.hdf5' : '/data/exports/pick-v1'}
            data-testid="export-out"
          />
        </label>
        {isVideo && (
          <label>
            Repo id (how LeRobot names it when loading)
            <input
              value={form.repo_id}
              onChange={(e) => setForm({ ...form, repo_id: e.target.value })}
              placeholder={repoIdFor(form.out, '')}
              data-testid="export-repo-id"
            />
          </label>
        )}
        <fieldset>
          <legend>Outcomes</legend>
          {(['success', 'failure', 'unknown'] as const).map((outcome) => (
            <label key={outcome} className="inline">
              <input type="checkbox" checked={form.outcomes.includes(outcome)} onChange={() => toggleOutcome(outcome)} /> {outcome}
            </label>
          ))}
          <p className="hint" data-testid="export-outcomes-hint">
            {form.outcomes.includes('failure')
              ? 'Failures are included (as are unlabelled takes when “unknown” is ticked): untick them to train on successes only. The plan counts each.'
              : `Only ${form.outcomes.join(' and ') || 'nothing'}: failures are left out.`}
          </p>
        </fieldset>
        <label>
          Tags (any of, comma-separated)
          <input value={form.tags} onChange={(e) => setForm({ ...form, tags: e.target.value })} />
        </label>
        <label>
          Task (exact text)
          <input value={form.task} onChange={(e) => setForm({ ...form, task: e.target.value })} />
        </label>
        <label>
          Cameras (comma-separated; empty = all)
          <input value={form.cameras} onChange={(e) => setForm({ ...form, cameras: e.target.value })} placeholder="front, side" />
        </label>
        <div className="export-row">
          <label>
            fps
            <input
              value={form.fps}
              onChange={(e) => setForm({ ...form, fps: e.target.value })}
              placeholder="recording rate"
              inputMode="decimal"
              data-testid="export-fps"
            />
          </label>
          {/* Empty means none: a greyed "0.1" here read as a value that was then not used. */}
          <label>
            Validation share
            <input
              value={form.valid_fraction}
              onChange={(e) => setForm({ ...form, valid_fraction: e.target.value })}
              placeholder="none"
              inputMode="decimal"
              data-testid="export-valid"
            />
          </label>
          <label>
            Test share
            <input
              value={form.test_fraction}
              onChange={(e) => setForm({ ...form, test_fraction: e.target.value })}
              placeholder="none"
              inputMode="decimal"
              data-testid="export-test"
            />
          </label>
          {isVideo && (
            <label>
              Video
              <select value={form.vcodec} onChange={(e) => setForm({ ...form, vcodec: e.target.value as FormState['vcodec'] })}>
                <option value="h264">h264 (fast)</option>
                <option value="libsvtav1">AV1 (LeRobot default, slow)</option>
              </select>
            </label>
          )}
        </div>
        <p className="hint">
          fps: empty writes at the episodes' recording rate; the plan says when cameras ran at another rate. Shares: empty is none; a share
          above 0 takes at least one episode when there are two or more (so 0.1 of 5 is 1), and the plan shows the split.
        </p>
        {form.format === 'lerobot' && (
          <label className="inline">
            <input type="checkbox" checked={form.depth} onChange={(e) => setForm({ ...form, depth: e.target.checked })} /> also export depth
            (LeRobot ≥ 0.6)
          </label>
        )}
        <div className="row-buttons">
          <button type="button" onClick={() => submit(true)} disabled={form.outcomes.length === 0} data-testid="export-plan">
            Plan (dry run)
          </button>
          <button type="submit" className="primary" disabled={!canRun} data-testid="export-run">
            Export
          </button>
        </div>
        {error !== null && <ErrorState title="Cannot start the export" message={error.message} fix={error.fix} />}
      </form>
      <section className="panel pad export-jobs" aria-label="Exports">
        <h2>Exports</h2>
        {jobs.length === 0 ? (
          <EmptyState title="No exports yet">
            Plan one to see which episodes it takes, then export: every export is validated as its loader would read it before it is
            reported done.
          </EmptyState>
        ) : (
          jobs.map((job) => <JobCard key={job.id} job={job} repoId={repoIdFor(job.out, form.repo_id)} onCancel={cancel} />)
        )}
      </section>
    </div>
  );
}
