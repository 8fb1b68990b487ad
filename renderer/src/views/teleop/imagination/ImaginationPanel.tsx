import { useState } from 'react';
import { useAction } from '../../../app/actions';
import { Kbd } from '../../../ui/states';
import { percent } from './CandidateGrid';
import type { CandidateSource, Imagination, Provider } from './useImagination';

const PICKS = [
  'foresight.pick1',
  'foresight.pick2',
  'foresight.pick3',
  'foresight.pick4',
  'foresight.pick5',
  'foresight.pick6',
  'foresight.pick7',
  'foresight.pick8',
] as const;

function providerNote(info: {
  provider: { provider: string; skipped: { provider: string; reason: string }[]; intra_op_threads: number };
}): string {
  const skipped = info.provider.skipped.map((s) => `${s.provider}: ${s.reason}`).join('\n');
  return `${info.provider.intra_op_threads} threads${skipped.length > 0 ? `\nSkipped:\n${skipped}` : ''}`;
}

/**
 * Imagination, in the Teleop view's side column: the world-model pack, a preview request (P), the K
 * candidates with their calibrated success estimates (and the pack's test AUROC as the caveat), and the
 * decision — Enter approves the selected candidate (it runs on the arm under every safety limit),
 * Shift+Enter runs the best predicted, X rejects them all, 1–8 or the arrows select. The e-stop is
 * untouched: Esc, Pause and STOP work at every moment, including while a chunk runs.
 */
export function ImaginationPanel({ imagination, estopped }: { imagination: Imagination; estopped: boolean }) {
  const { pack, packs, preview, phase, selected, outcome, problem, settings } = imagination;
  const [dir, setDir] = useState<string>('');
  const [provider, setProvider] = useState<Provider>('auto');
  const deciding = phase === 'pending' && preview !== null;

  useAction('foresight.preview', imagination.imagine);
  useAction('foresight.approve', () => imagination.approve(selected), deciding);
  useAction('foresight.auto', () => imagination.approve('auto'), deciding);
  useAction('foresight.reject', imagination.reject, deciding);
  useAction(
    'foresight.next',
    () => imagination.select((selected + 1) % (preview?.candidates.length ?? 1)),
    deciding || phase === 'watching',
  );
  useAction(
    'foresight.previous',
    () => imagination.select((selected - 1 + (preview?.candidates.length ?? 1)) % (preview?.candidates.length ?? 1)),
    deciding || phase === 'watching',
  );
  // While a chunk executes, Enter and X mean nothing (not "start a take"): a double press is not a second command.
  useAction('foresight.approve', () => undefined, phase === 'executing');
  useAction('foresight.reject', () => undefined, phase === 'executing');
  for (const [n, id] of PICKS.entries()) {
    // eslint-disable-next-line react-hooks/rules-of-hooks -- a fixed list: the same hooks every render
    useAction(id, () => imagination.select(n), (deciding || phase === 'watching') && n < (preview?.candidates.length ?? 0));
  }

  const info = pack.state === 'open' ? pack.info : null;
  const candidate = preview?.candidates[selected];
  return (
    <section className={`panel imagination-panel phase-${phase}`} aria-labelledby="imagination-title" data-testid="imagination-panel">
      <div className="panel-head">
        <h2 id="imagination-title">Imagination</h2>
        <span className={`pill${phase === 'pending' ? ' pill-warn' : ''}`} data-testid="imagination-phase">
          {phase === 'pending' ? 'awaiting decision' : phase}
        </span>
      </div>

      {pack.state === 'loading' && <p className="muted">Looking for the world model…</p>}
      {info === null && pack.state !== 'loading' && (
        <div className="pack-open">
          <label className="field-label" htmlFor="pack-select">
            World-model pack
          </label>
          <select id="pack-select" value={dir} onChange={(e) => setDir(e.currentTarget.value)}>
            <option value="">the shipped reference pack</option>
            {packs.map((p) => (
              <option key={p.dir} value={p.dir} disabled={p.problem !== null} title={p.problem ?? p.dir}>
                {p.model_name} {p.model_version}
                {p.problem !== null ? ' (unusable)' : ''}
              </option>
            ))}
          </select>
          <select aria-label="Execution provider" value={provider} onChange={(e) => setProvider(e.currentTarget.value as Provider)}>
            <option value="auto">auto (CUDA → WebGPU → CPU)</option>
            <option value="cpu">CPU</option>
            <option value="webgpu">WebGPU</option>
            <option value="cuda">CUDA</option>
          </select>
          <button
            type="button"
            className="primary"
            onClick={() => imagination.openPack(dir === '' ? undefined : dir, provider)}
            disabled={pack.state === 'opening'}
            data-testid="pack-load"
          >
            {pack.state === 'opening' ? 'Loading…' : 'Load pack'}
          </button>
          {pack.state === 'error' && (
            <div className="inline-error" role="alert">
              {pack.problem.message}
              {pack.problem.fix !== undefined && <div className="fix">{pack.problem.fix}</div>}
            </div>
          )}
        </div>
      )}
      {info !== null && (
        <p className="pack-info" data-testid="pack-info">
          <b>{info.model_name}</b> {info.model_version} ·{' '}
          <span title={providerNote(info)} data-testid="pack-provider">
            {info.provider.provider}
            {info.provider.skipped.length > 0 && (
              <span className="muted"> ({info.provider.skipped.map((s) => `${s.provider} skipped`).join(', ')})</span>
            )}
          </span>
          <br />
          <span className="muted">
            {info.chunk_length} steps/chunk at {info.control_hz} Hz · up to {info.max_horizon} chunks ahead · cameras{' '}
            {info.cameras.join(', ')}
          </span>
        </p>
      )}

      <div className="imagine-controls">
        <label>
          K
          <input
            type="number"
            min={1}
            max={32}
            value={settings.K}
            onChange={(e) => imagination.setSettings({ K: Math.max(1, Math.min(32, Number(e.currentTarget.value) || 1)) })}
            aria-label="Candidates (K)"
          />
        </label>
        <label>
          H
          <input
            type="number"
            min={1}
            max={info?.max_horizon ?? 16}
            value={settings.H}
            onChange={(e) =>
              imagination.setSettings({ H: Math.max(1, Math.min(info?.max_horizon ?? 16, Number(e.currentTarget.value) || 1)) })
            }
            aria-label="Horizon in chunks (H)"
          />
        </label>
        <select
          aria-label="Candidate source"
          value={settings.source}
          onChange={(e) => imagination.setSettings({ source: e.currentTarget.value as CandidateSource })}
        >
          <option value="policy">policy samples</option>
          <option value="teleop">my motion, held</option>
          <option value="perturb">perturbed policy chunk</option>
        </select>
        <button
          type="button"
          className="primary"
          onClick={imagination.imagine}
          disabled={info === null || phase === 'imagining' || phase === 'executing'}
          data-testid="imagine"
        >
          {phase === 'imagining' ? 'Imagining…' : 'Imagine'} <Kbd>P</Kbd>
        </button>
      </div>

      {problem !== null && (
        <div className="inline-error" role="alert" data-testid="imagination-error">
          {problem.message}
          {problem.fix !== undefined && <div className="fix">{problem.fix}</div>}
        </div>
      )}

      {preview !== null && (
        <>
          <p
            className="preview-stats muted"
            data-testid="preview-stats"
            title={Object.entries(preview.timings_ms)
              .map(([k, v]) => `${k}: ${v.toFixed(0)} ms`)
              .join('\n')}
          >
            {preview.K} candidates × {preview.H} chunks on <b data-testid="preview-provider">{preview.provider}</b> in{' '}
            <b data-testid="preview-latency">{preview.latency_ms.toFixed(0)} ms</b>
          </p>
          <ol className="candidate-list" data-testid="candidate-list">
            {preview.candidates.map((c, i) => (
              <li key={c.index}>
                <button
                  type="button"
                  className={`candidate-row${i === selected ? ' candidate-row-selected' : ''}`}
                  onClick={() => imagination.select(i)}
                  aria-pressed={i === selected}
                  data-testid={`candidate-${i + 1}`}
                  data-success={c.success_prob}
                >
                  <kbd>{i + 1}</kbd>
                  <span className="candidate-source" title={c.source}>
                    {c.source.replace(/^policy:/, '')}
                  </span>
                  <span className="success-bar" aria-hidden="true">
                    <span className="success-fill" style={{ width: percent(c.success_prob) }} />
                  </span>
                  <span className="mono">{percent(c.success_prob)}</span>
                  {i === preview.best ? <span title="Best predicted">★</span> : <span />}
                </button>
              </li>
            ))}
          </ol>
          <p className="caveat muted" data-testid="auroc-caveat">
            Predicted success is the pack&apos;s calibrated estimate, not a guarantee: on its test episodes it told success from failure
            with AUROC <b>{preview.test_auroc === null ? 'unknown' : preview.test_auroc.toFixed(2)}</b>. Check it on your rig in Calibration
            (<Kbd>5</Kbd>).
          </p>
          <div className="decision-buttons">
            <button
              type="button"
              className="primary"
              onClick={() => imagination.approve(selected)}
              disabled={!deciding || estopped}
              data-testid="approve"
            >
              Approve #{selected + 1} <Kbd>Enter</Kbd>
            </button>
            <button type="button" onClick={() => imagination.approve('auto')} disabled={!deciding || estopped} data-testid="approve-auto">
              Auto (best) <Kbd>Shift + Enter</Kbd>
            </button>
            <button type="button" className="bad-button" onClick={imagination.reject} disabled={!deciding} data-testid="reject">
              Reject <Kbd>X</Kbd>
            </button>
          </div>
          {estopped && deciding && <p className="warn">E-stop is latched: release it before approving.</p>}
          {phase === 'executing' && (
            <p className="executing" role="status" data-testid="imagination-executing">
              Running candidate {selected + 1} on the arm… <b>STOP</b> / <Kbd>Esc</Kbd> stops it.
            </p>
          )}
          {outcome !== null && (
            <p
              className={`decision-outcome${outcome.kind === 'approved' && outcome.estopped ? ' warn' : ''}`}
              role="status"
              data-testid="imagination-outcome"
            >
              {outcome.kind === 'rejected'
                ? `Rejected all ${preview.K} candidates (run ${outcome.run_id}).`
                : `${outcome.auto ? 'Auto-picked' : 'Approved'} candidate ${(preview.candidates.findIndex((c) => c.index === outcome.candidate) + 1).toString()}: ${outcome.estopped ? 'cut short by the e-stop after' : 'played'} ${outcome.played} steps${outcome.clipped > 0 ? `, ${outcome.clipped} clipped by the safety limits` : ''} (run ${outcome.run_id}).`}
            </p>
          )}
          {candidate !== undefined && phase !== 'decided' && (
            <p className="muted candidate-detail">
              Selected: {candidate.source}, progress {candidate.progress.map((p) => p.toFixed(2)).join(' → ')}
            </p>
          )}
        </>
      )}
    </section>
  );
}
