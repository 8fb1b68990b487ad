import { useEffect, useRef, type ReactNode } from 'react';

/** Nothing to show yet: say why, and what to do next. */
export function EmptyState({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="empty-state" data-testid={testId}>
      <h3>{title}</h3>
      {children !== undefined && <div className="muted">{children}</div>}
    </div>
  );
}

export function ErrorState({
  title = 'Something went wrong',
  message,
  fix,
  action,
}: {
  title?: string;
  message: string;
  fix?: string | undefined;
  action?: ReactNode;
}) {
  return (
    <div className="error-state" role="alert">
      <h3>{title}</h3>
      <p className="mono">{message}</p>
      {fix !== undefined && <p>{fix}</p>}
      {action}
    </div>
  );
}

/** A modal question for destructive actions; Enter confirms only when focus is on the confirm button. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    // Focus the safe choice: a stray Enter must not destroy data.
    cancelRef.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.code === 'Escape') {
        event.stopPropagation();
        onCancel();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onCancel]);
  return (
    <div className="modal-backdrop">
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
        <h2 id="confirm-title">{title}</h2>
        <div className="modal-body">{children}</div>
        <div className="modal-actions">
          <button ref={cancelRef} type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className="danger" onClick={onConfirm}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

export function Kbd({ children }: { children: ReactNode }) {
  return <kbd className="kbd">{children}</kbd>;
}
