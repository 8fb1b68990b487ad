import { useEffect, useState } from 'react';
import type { Result } from '../../../../../shared/api/contract';
import { useAction } from '../../../app/actions';
import { useStudio } from '../../../app/studioContext';
import { DEFAULT_RANK_MARGIN } from '../../../../../shared/foresight/rankMargin';
import { Kbd } from '../../../ui/states';
import { percent } from './CandidateGrid';
import type { Imagination } from './useImagination';

type PolicyStatus = Result<'foresight.policyStatus'>;
type Mode = 'off' | 'rank' | 'gate' | 'approve';

const MODES: { id: Mode; label: string }[] = [
  { id: 'off', label: 'off — run the policy’s chunks as proposed' },
  // The rule the core applies (choose() in main/imagination/policyEpisodes.ts), not "run the best": the
  // K estimates differ by noise, so a sample must beat the policy's own chunk by the margin to replace it.
  { id: 'rank', label: `rank — the policy’s chunk unless a sample’s estimate beats it by ${DEFAULT_RANK_MARGIN}` },
  { id: 'gate', label: 'gate — run only above the threshold, else ask' },
  { id: 'approve', label: 'approve — every chunk waits for Enter / X' },
];

type Source = 'pack' | 'remote';

/** The last remote policy server used, so the operator types it once per machine. */
const REMOTE_URL_KEY = 'foresight.remotePolicyUrl';

function storedUrl(): string {
  try {
    return globalThis.localStorage?.getItem(REMOTE_URL_KEY) ?? '';
  } catch {
    return '';
  }
}

/**
 * Policy with foresight: the open pack's policy — or a policy server elsewhere (openpi's websocket
 * protocol, its chunks imagined by the open pack) — drives the arm chunk by chunk, recorded as a take
 * (foresight.policyStart/policyStop). Each chunk's preview shows in the Imagination panel, the small
 * multiples and the main scene as it runs; when the run waits for the operator (approve, or gate
 * below the threshold) Enter approves and X rejects (which stops the run). O starts and stops; the
 * e-stop stops it at once.
 */
export function PolicyPanel({ imagination, estopped }: { imagination: Imagination; estopped: boolean }) {
  const studio = useStudio();
  const [status, setStatus] = useState<PolicyStatus | null>(null);
  const [mode, setMode] = useState<Mode>('rank');
  const [source, setSource] = useState<Source>('pack');
  const [url, setUrl] = useState(storedUrl);
  const [K, setK] = useState(8);
  // Null until the operator picks one: the open pack's success horizon, the look-ahead its success head was
  // trained on (a shorter one makes every estimate read low: the scene looks held still after H chunks).
  const [pickedH, setH] = useState<number | null>(null);
  const H = pickedH ?? (imagination.pack.state === 'open' ? imagination.pack.info.success_horizon : 4);
  const [threshold, setThreshold] = useState(0.5);
  const [maxDuration, setMaxDuration] = useState(60);
  const [problem, setProblem] = useState<{ message: string; fix?: string | undefined } | null>(null);
  const [busy, setBusy] = useState(false);
  const { showPolicyPreview } = imagination;

  useEffect(() => {
    let live = true;
    studio.api.foresight.policyStatus().then(
      (s) => live && setStatus(s),
      () => undefined,
    );
    const off = studio.on('foresight.policy', (s) => setStatus(s));
    return () => {
      live = false;
      off();
    };
  }, [studio]);

  useEffect(() => {
    if (status?.running === true && status.last_preview !== null) showPolicyPreview(status.last_preview, status.waiting_for_approval);
  }, [status, showPolicyPreview]);

  const running = status?.running === true;
  const packOpen = imagination.pack.state === 'open';
  const toggle = () => {
    if (busy) return;
    setBusy(true);
    setProblem(null);
    if (!running && source === 'remote') {
      if (url.trim() === '') {
        setProblem({ message: 'No policy server given.', fix: 'Type its address, ws://HOST:PORT (openpi serves on port 8000).' });
        setBusy(false);
        return;
      }
      try {
        globalThis.localStorage?.setItem(REMOTE_URL_KEY, url.trim());
      } catch {
        // Storage can be unavailable (private mode); the address is only a convenience.
      }
    }
    const remote = source === 'remote' ? { remote: { url: url.trim() } } : {};
    const call = running
      ? studio.api.foresight.policyStop()
      : studio.api.foresight.policyStart({ mode, K, H, threshold, max_duration_s: maxDuration, ...remote });
    call.then(
      (s) => {
        setStatus(s);
        setBusy(false);
      },
      (error: unknown) => {
        const { message, fix } = error as { message?: string; fix?: string };
        setProblem({ message: message ?? String(error), fix });
        setBusy(false);
      },
    );
  };
  useAction('foresight.policy', toggle, packOpen && (running || !estopped));

  const preview = status?.last_preview ?? null;
  return (
    <section className="panel policy-panel" aria-labelledby="policy-title" data-testid="policy-panel">
      <div className="panel-head">
        <h2 id="policy-title">Policy with foresight</h2>
        <span className={`pill${running ? ' pill-recording' : ''}`} data-testid="policy-state">
          {running ? (status?.waiting_for_approval === true ? 'waiting for you' : `running ${status?.mode ?? ''}`) : 'stopped'}
        </span>
      </div>
      <div className="policy-controls">
        <select
          aria-label="Policy source"
          value={source}
          onChange={(e) => setSource(e.currentTarget.value as Source)}
          disabled={running}
          data-testid="policy-source"
        >
          <option value="pack">
            the pack’s policy{imagination.pack.state === 'open' && !imagination.pack.info.has_policy ? ' (this pack has none)' : ''}
          </option>
          <option value="remote">a remote policy server (openpi)</option>
        </select>
        {source === 'remote' && (
          <input
            type="text"
            className="policy-url"
            placeholder="ws://gpu-box:8000"
            value={url}
            disabled={running}
            onChange={(e) => setUrl(e.currentTarget.value)}
            aria-label="Policy server URL"
            data-testid="policy-url"
            spellCheck={false}
          />
        )}
        <select
          aria-label="Policy mode"
          value={mode}
          onChange={(e) => setMode(e.currentTarget.value as Mode)}
          disabled={running}
          data-testid="policy-mode"
        >
          {MODES.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label}
            </option>
          ))}
        </select>
        <label>
          K{' '}
          <input
            type="number"
            min={1}
            max={32}
            value={K}
            disabled={running}
            onChange={(e) => setK(Math.max(1, Math.min(32, Number(e.currentTarget.value) || 1)))}
            aria-label="Policy candidates (K)"
          />
        </label>
        <label>
          H{' '}
          <input
            type="number"
            min={1}
            max={16}
            value={H}
            disabled={running}
            onChange={(e) => setH(Math.max(1, Math.min(16, Number(e.currentTarget.value) || 1)))}
            aria-label="Policy horizon (H)"
          />
        </label>
        {mode === 'gate' && (
          <label>
            threshold{' '}
            <input
              type="number"
              min={0}
              max={1}
              step={0.05}
              value={threshold}
              disabled={running}
              onChange={(e) => setThreshold(Math.max(0, Math.min(1, Number(e.currentTarget.value))))}
              aria-label="Gate threshold"
            />
          </label>
        )}
        <label>
          max s{' '}
          <input
            type="number"
            min={1}
            max={3600}
            value={maxDuration}
            disabled={running}
            onChange={(e) => setMaxDuration(Math.max(1, Math.min(3600, Number(e.currentTarget.value) || 60)))}
            aria-label="Maximum duration (s)"
          />
        </label>
        <button
          type="button"
          className={running ? '' : 'primary'}
          onClick={toggle}
          disabled={busy || !packOpen || (!running && estopped)}
          data-testid="policy-toggle"
        >
          {busy ? (running ? 'Stopping…' : 'Starting…') : running ? 'Stop policy' : 'Start policy'} <Kbd>O</Kbd>
        </button>
      </div>
      {!packOpen && <p className="muted">Load a world-model pack (Imagination) to run its policy.</p>}
      {problem !== null && (
        <div className="inline-error" role="alert" data-testid="policy-error">
          {problem.message}
          {problem.fix !== undefined && <div className="fix">{problem.fix}</div>}
        </div>
      )}
      {status !== null && (status.running || status.stopped_reason !== null) && (
        <p
          className="policy-status"
          role="status"
          data-testid="policy-status"
          data-chunks={status.chunks}
          data-stopped-reason={status.stopped_reason ?? ''}
        >
          {status.running ? 'Running' : 'Stopped'}
          {status.policy !== null && (
            <>
              {' '}
              <span data-testid="policy-driver">{status.policy}</span>
            </>
          )}{' '}
          · {status.chunks} chunks{status.episode_id !== null ? ` · episode ${status.episode_id}` : ''}
          {preview !== null &&
            ` · last: best ${percent(preview.candidates[preview.best]?.success_prob ?? 0)} of ${preview.K} in ${preview.latency_ms.toFixed(0)} ms`}
          {!status.running && status.stopped_reason !== null && (
            <>
              {' '}
              · stopped: <b>{status.stopped_reason}</b>
            </>
          )}
        </p>
      )}
      {running && status?.waiting_for_approval === true && (
        <p className="warn" data-testid="policy-waiting">
          The run waits for you: <Kbd>Enter</Kbd> runs the selected candidate, <Kbd>X</Kbd> rejects and stops the run.
        </p>
      )}
    </section>
  );
}
