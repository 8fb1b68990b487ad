import type { DeviceStatus, Features, Teleop, TeleopState } from './types';

/**
 * What the teleop devices fed by the studio UI (keyboard, gamepad) share: they are "connected" while
 * the rig runs, describe the same features, keep the latest state and report each new one. Subclasses
 * turn their raw input into a `TeleopState` and `publish` it.
 */
export abstract class UiTeleop implements Teleop {
  readonly kind = 'teleop' as const;
  abstract readonly type: string;
  private state: TeleopState | undefined;
  private readonly stateListeners = new Set<(state: TeleopState) => void>();
  private connected = false;

  constructor(readonly name: string) {}

  async connect(): Promise<void> {
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    this.state = undefined;
    this.reset();
  }

  status(): DeviceStatus {
    return { connected: this.connected };
  }

  features(): Features {
    return {
      translation: { dtype: 'float64', shape: [3], names: ['x', 'y', 'z'] },
      rotation: { dtype: 'float64', shape: [3], names: ['roll', 'pitch', 'yaw'] },
      gripper: { dtype: 'float64', shape: [1] },
    };
  }

  latest(): TeleopState | undefined {
    return this.state;
  }

  onState(listener: (state: TeleopState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  protected publish(state: TeleopState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  /** Forget device-specific input state on disconnect (held keys...). */
  protected reset(): void {}
}
