import type { DeviceStatus, Features, Teleop, TeleopState } from '../devices/types';

const idle = (state: TeleopState) => state.translation.every((v) => v === 0) && state.rotation.every((v) => v === 0);

/**
 * Several teleop devices (keyboard, SpaceMouse, gamepad) driving one arm: the one the operator moved
 * most recently wins. An idle device never takes over from a moving one.
 */
export class TeleopMux implements Teleop {
  readonly kind = 'teleop' as const;
  readonly type = 'mux';
  readonly name = 'teleop';

  constructor(private readonly devices: readonly Teleop[]) {}

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  status(): DeviceStatus {
    return { connected: this.devices.some((device) => device.status().connected) };
  }

  features(): Features {
    return this.devices[0]?.features() ?? {};
  }

  /** Reports of every device (the loop reacts to any of them; `latest()` still decides who drives). */
  onState(listener: (state: TeleopState) => void): () => void {
    const offs = this.devices.map((device) => device.onState?.(listener));
    return () => offs.forEach((off) => off?.());
  }

  latest(): TeleopState | undefined {
    let best: TeleopState | undefined;
    for (const device of this.devices) {
      const state = device.latest();
      if (state === undefined) continue;
      if (best === undefined) best = state;
      else if (idle(best) && !idle(state)) best = state;
      else if (idle(best) === idle(state) && state.capture_ns > best.capture_ns) best = state;
    }
    return best;
  }
}
