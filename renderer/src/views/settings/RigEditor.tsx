import { useEffect, useState } from 'react';
import type { RigSnapshot, RigValidation } from '../../../../shared/api/contract';
import { useStudio } from '../../app/studioContext';

/**
 * The rig config as JSON, validated by the core as you type (the same checks `--rig` runs), with each
 * problem named by its path. Applying saves it as DATA_DIR/rig.json and restarts the rig with it
 * (an invalid config changes nothing); downloading gives a file for `--rig`.
 */
export function RigEditor({ snapshot }: { snapshot: RigSnapshot }) {
  const studio = useStudio();
  const original = JSON.stringify(snapshot.config, null, 2);
  const [text, setText] = useState(original);
  const [result, setResult] = useState<RigValidation | { error: string } | null>(null);
  const [applying, setApplying] = useState<'idle' | 'busy' | { error: string; fix?: string | undefined }>('idle');

  const apply = () => {
    setApplying('busy');
    studio.api.rig.apply({ text }).then(
      // Every view reads the rig once per connection: reloading shows the new one everywhere.
      () => window.location.reload(),
      (error: { message: string; fix?: string }) => setApplying({ error: error.message, fix: error.fix }),
    );
  };

  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      studio.api.rig.validate({ text }).then(
        (validation) => live && setResult(validation),
        (error: Error) => live && setResult({ error: error.message }),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [studio, text]);

  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = 'rig.json';
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <section className="panel rig-editor" aria-labelledby="rig-editor-title">
      <div className="panel-head">
        <h2 id="rig-editor-title">Rig config</h2>
        <span className="muted mono">{snapshot.source}</span>
      </div>
      <textarea
        className="code-editor"
        spellCheck={false}
        aria-label="Rig config JSON"
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
      />
      <div className="validation" aria-live="polite" data-testid="rig-validation">
        {result === null ? (
          <span className="muted">Checking…</span>
        ) : 'error' in result ? (
          <span className="bad">Could not validate: {result.error}</span>
        ) : result.ok ? (
          <span className="ok">✓ Valid rig config{text === original ? ' (the one in use)' : ''}</span>
        ) : (
          <ul className="issues">
            {result.issues.map((issue, i) => (
              <li key={i}>
                <span className="mono">{issue.path || '(root)'}</span>: {issue.message}
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="row-buttons">
        <button
          type="button"
          className="primary"
          onClick={apply}
          disabled={applying === 'busy' || text === original || result === null || 'error' in result || !result.ok}
          data-testid="rig-apply"
        >
          {applying === 'busy' ? 'Applying…' : 'Apply and restart the rig'}
        </button>
        <button type="button" onClick={download} disabled={result === null || 'error' in result || !result.ok}>
          Download rig.json
        </button>
        <button type="button" onClick={() => setText(original)} disabled={text === original}>
          Revert
        </button>
        <span className="muted">
          Applying saves it as <code>rig.json</code> in the data directory (used whenever the studio starts without <code>--rig</code>).
        </span>
      </div>
      {typeof applying === 'object' && (
        <div className="inline-error" role="alert">
          {applying.error}
          {applying.fix !== undefined && <div className="fix">{applying.fix}</div>}
        </div>
      )}
    </section>
  );
}
