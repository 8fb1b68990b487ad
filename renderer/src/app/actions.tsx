import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { chordOf, findShortcuts, isTypingTarget, type ActionId, type Scope } from './shortcuts';

type Handler = () => void;

interface ActionRegistry {
  /** Registers a handler; the latest registration of an id wins while it is mounted. */
  register(id: ActionId, handler: Handler): () => void;
  /** Runs an action by id (keyboard, buttons, SpaceMouse). Returns false when nothing handles it now. */
  run(id: ActionId): boolean;
  has(id: ActionId): boolean;
}

const ActionContext = createContext<ActionRegistry | null>(null);

function createRegistry(): ActionRegistry {
  const handlers = new Map<ActionId, Handler[]>();
  return {
    register(id, handler) {
      const list = handlers.get(id) ?? [];
      list.push(handler);
      handlers.set(id, list);
      return () => {
        const at = list.indexOf(handler);
        if (at >= 0) list.splice(at, 1);
      };
    },
    has(id) {
      return (handlers.get(id)?.length ?? 0) > 0;
    },
    run(id) {
      const handler = handlers.get(id)?.at(-1);
      if (handler === undefined) return false;
      handler();
      return true;
    },
  };
}

/**
 * One keydown listener for the whole app: it maps a chord to an action id in the current view's scope
 * and runs whichever component registered that id. Views register their actions with `useAction`.
 */
export function ActionProvider({ scope, children }: { scope: Scope; children: ReactNode }) {
  const [registry] = useState(createRegistry);
  const scopeRef = useRef(scope);
  useEffect(() => {
    scopeRef.current = scope;
  }, [scope]);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      const chord = chordOf(event);
      const typing = isTypingTarget(event.target);
      // Keys that never type still work from a text field: Esc (the e-stop: safety beats typing),
      // Pause and the function keys (F1 help).
      if (typing && !/^(Escape|Pause|F\d{1,2})$/.test(event.code)) return;
      // Overlay scopes (a pending imagination decision) win while they have a handler mounted.
      const matches = findShortcuts(chord, scopeRef.current);
      const shortcut = matches.find((s) => registry.has(s.id as ActionId)) ?? matches[0];
      if (shortcut === undefined) return;
      if (event.repeat && shortcut.repeat !== true) {
        event.preventDefault();
        return;
      }
      if (registry.run(shortcut.id as ActionId)) event.preventDefault();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [registry]);

  return <ActionContext.Provider value={registry}>{children}</ActionContext.Provider>;
}

export function useActions(): ActionRegistry {
  const registry = useContext(ActionContext);
  if (registry === null) throw new Error('useActions() outside <ActionProvider>');
  return registry;
}

/** Binds `handler` to an action for as long as the component is mounted (and `enabled`). */
export function useAction(id: ActionId, handler: Handler, enabled = true): void {
  const registry = useActions();
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => {
    if (!enabled) return;
    return registry.register(id, () => latest.current());
  }, [registry, id, enabled]);
}
