import { useEffect, useState } from 'react';

/**
 * Whether this browser sees a gamepad. The core cannot know: a gamepad teleop device in the rig config
 * is fed by the UI (`teleop.gamepad`), so the core reports it "connected" whenever the rig runs, pad or
 * no pad. That was the "gamepad connected with none plugged in" of issue 15: the truth is here, in
 * `navigator.getGamepads()`, whose entries are `null` for empty slots and may be kept with
 * `connected: false` after a pad is unplugged — neither is a gamepad.
 */
export type GamepadPresence =
  | { state: 'none' }
  /** A pad the studio can drive with (W3C "standard" mapping). */
  | { state: 'standard'; id: string }
  /** Plugged in, but the browser does not map it to the standard layout, so its axes mean nothing to the core. */
  | { state: 'unmapped'; id: string };

/** The first connected standard-layout pad, else the first connected pad of any layout. */
export function gamepadPresence(pads: readonly (Gamepad | null)[]): GamepadPresence {
  const connected = pads.filter((pad): pad is Gamepad => pad !== null && pad.connected);
  const standard = connected.find((pad) => pad.mapping === 'standard');
  if (standard !== undefined) return { state: 'standard', id: standard.id };
  const other = connected[0];
  return other === undefined ? { state: 'none' } : { state: 'unmapped', id: other.id };
}

/** The first connected standard-layout pad: the one teleop reads. */
export function standardGamepad(pads: readonly (Gamepad | null)[]): Gamepad | null {
  return pads.find((pad): pad is Gamepad => pad !== null && pad.connected && pad.mapping === 'standard') ?? null;
}

export function readGamepads(): readonly (Gamepad | null)[] {
  return typeof navigator.getGamepads === 'function' ? navigator.getGamepads() : [];
}

const same = (a: GamepadPresence, b: GamepadPresence) => a.state === b.state && (a.state === 'none' || a.id === (b as { id: string }).id);

/**
 * Follows what the browser sees: the connect/disconnect events, plus a slow poll because Chromium only
 * exposes a pad after its first button press and fires no event when it starts doing so.
 */
export function useGamepadPresence(): GamepadPresence {
  const [presence, setPresence] = useState<GamepadPresence>(() => gamepadPresence(readGamepads()));
  useEffect(() => {
    const update = () => {
      const next = gamepadPresence(readGamepads());
      setPresence((previous) => (same(previous, next) ? previous : next));
    };
    update();
    window.addEventListener('gamepadconnected', update);
    window.addEventListener('gamepaddisconnected', update);
    const timer = setInterval(update, 500);
    return () => {
      window.removeEventListener('gamepadconnected', update);
      window.removeEventListener('gamepaddisconnected', update);
      clearInterval(timer);
    };
  }, []);
  return presence;
}

/** How a rig device's state reads in the UI: the core's report, except a UI-fed gamepad, which is what the browser sees. */
export interface DeviceStateText {
  tone: 'ok' | 'warn' | 'muted';
  text: string;
}

export function gamepadStateText(presence: GamepadPresence): DeviceStateText {
  switch (presence.state) {
    case 'none':
      return { tone: 'muted', text: 'no gamepad plugged in (this browser sees none)' };
    case 'unmapped':
      return { tone: 'warn', text: `${presence.id}: not a standard-layout pad, so it cannot drive the arm` };
    case 'standard':
      return { tone: 'ok', text: `connected · ${presence.id}` };
  }
}
