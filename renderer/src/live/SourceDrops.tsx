import type { SourceHealth } from './streamHealth';

/** Sources that lost or delayed data, each with its counts and likely cause (Record panel and player). */
export function SourceDropList({ sources, testId }: { sources: readonly SourceHealth[]; testId?: string }) {
  return (
    <ul className="take-drops" data-testid={testId} aria-label="Dropped and late samples by source">
      {sources.map((source) => (
        <li key={source.key} data-source={source.key} data-dropped={source.dropped} data-late={source.late}>
          <b>{source.label}</b>:{' '}
          {[source.dropped > 0 ? `${source.dropped} dropped` : null, source.late > 0 ? `${source.late} late` : null]
            .filter((part) => part !== null)
            .join(', ')}{' '}
          — {source.cause}
        </li>
      ))}
    </ul>
  );
}
