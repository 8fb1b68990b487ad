import { useEffect, useRef } from 'react';
import { isTypingTarget } from '../app/shortcuts';
import { useStudio } from '../app/studioContext';

/** The keys the keyboard teleop device reads (main/devices/keyboard/keyboardTeleop.ts). */
export const TELEOP_CODES = new Set([
  'KeyW',
  'KeyS',
  'KeyA',
  'KeyD',
  'KeyR',
  'KeyF',
  'KeyQ',
  'KeyE',
  'KeyI',
  'KeyK',
  'KeyJ',
  'KeyL',
  'Space',
  'ShiftLeft',
  'ShiftRight',
]);

/**
 * Resend period while keys are held. The core treats teleop input older than the rig's
 * `teleop_timeout_ms` (100 ms by default) as stale and stops the arm, so a held key must be refreshed
 * well inside that — which also means a frozen or closed UI stops the arm by itself.
 */
const HEARTBEAT_MS = 40;

/**
 * Sends the set of held teleop keys to the core on every change, and as a heartbeat while any is held (it works the same on X11, Wayland,
 * macOS and Windows, because the browser reports the keys). Losing focus releases everything: a key
 * held while the window loses focus would otherwise never see its keyup and the arm would keep moving.
 */
export function useTeleopKeys(enabled: boolean, onError: (message: string) => void): void {
  const studio = useStudio();
  const held = useRef(new Set<string>());
  const onErrorRef = useRef(onError);
  useEffect(() => {
    onErrorRef.current = onError;
  });

  useEffect(() => {
    if (!enabled) return;
    const keys = held.current;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const send = () => {
      if (keys.size > 0 && heartbeat === undefined) heartbeat = setInterval(send, HEARTBEAT_MS);
      if (keys.size === 0 && heartbeat !== undefined) {
        clearInterval(heartbeat);
        heartbeat = undefined;
      }
      const codes = [...keys].map((code) => (code.startsWith('Shift') ? 'ShiftLeft' : code));
      studio.api.teleop
        .keys({ keys: [...new Set(codes)] })
        .catch((error: Error) => onErrorRef.current(`Keyboard teleop: ${error.message}`));
    };
    const onDown = (event: KeyboardEvent) => {
      if (!TELEOP_CODES.has(event.code) || isTypingTarget(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      // Space would scroll or press the focused button; W…L would type nowhere.
      event.preventDefault();
      if (event.repeat || keys.has(event.code)) return;
      keys.add(event.code);
      send();
    };
    const onUp = (event: KeyboardEvent) => {
      if (!keys.delete(event.code)) return;
      event.preventDefault();
      send();
    };
    const releaseAll = () => {
      if (keys.size === 0) return;
      keys.clear();
      send();
    };
    const onVisibility = () => document.hidden && releaseAll();
    window.addEventListener('keydown', onDown);
    window.addEventListener('keyup', onUp);
    window.addEventListener('blur', releaseAll);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      window.removeEventListener('keydown', onDown);
      window.removeEventListener('keyup', onUp);
      window.removeEventListener('blur', releaseAll);
      document.removeEventListener('visibilitychange', onVisibility);
      releaseAll();
      if (heartbeat !== undefined) clearInterval(heartbeat);
    };
  }, [studio, enabled]);
}
