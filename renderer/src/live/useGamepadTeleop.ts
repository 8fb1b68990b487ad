import { useEffect, useRef, useState } from 'react';
import { useStudio } from '../app/studioContext';
import { readGamepads, standardGamepad } from './gamepadPresence';

const POLL_MS = 33;

/**
 * Reads the first standard-layout gamepad through the browser's Gamepad API and sends every poll to
 * `teleop.gamepad` (the core maps axes and buttons; the contract asks for ≥ 20 Hz while one is
 * connected, so a frozen UI makes the input go stale and the arm stop). Returns the pad's name.
 */
export function useGamepadTeleop(enabled: boolean, onError: (message: string) => void): string | null {
  const studio = useStudio();
  const [name, setName] = useState<string | null>(null);
  const onErrorRef = useRef(onError);
  useEffect(() => {
    onErrorRef.current = onError;
  });

  useEffect(() => {
    if (!enabled) return;
    let reported = false;
    let shown: string | null = null;
    const timer = setInterval(() => {
      const pad = standardGamepad(readGamepads());
      const id = pad?.id ?? null;
      if (id !== shown) {
        shown = id;
        setName(id);
      }
      if (pad === null || document.hidden) return;
      const axes = pad.axes.slice(0, 16).map((v) => Math.max(-1, Math.min(1, v)));
      const buttons = pad.buttons.slice(0, 32).map((b) => Math.max(0, Math.min(1, b.value)));
      studio.api.teleop.gamepad({ axes, buttons }).then(
        () => (reported = false),
        (error: Error) => {
          // One message per failure streak, not 30 a second.
          if (!reported) onErrorRef.current(`Gamepad teleop: ${error.message}`);
          reported = true;
        },
      );
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [studio, enabled]);
  return name;
}
