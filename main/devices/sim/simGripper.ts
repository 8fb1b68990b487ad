import type { DeviceStatus, Features, Gripper, GripperCommand, GripperState, SentAction } from '../types';
import { simErrorStatus } from './deviceStatus';
import type { SimSession } from './simSession';

/** `sim-gripper`: the simulated Franka Hand, attached to the sim-arm's session. */
export class SimGripper implements Gripper {
  readonly kind = 'gripper';
  readonly type = 'sim-gripper';

  get state_hz(): number | undefined {
    return this.session.started?.state_hz;
  }
  private connected = false;
  private lastError: Error | undefined;

  constructor(
    readonly name: string,
    private readonly session: SimSession,
  ) {}

  async connect(): Promise<void> {
    if (this.connected) return;
    try {
      await this.session.acquire();
      this.lastError = undefined;
      this.connected = true;
    } catch (error) {
      this.lastError = error as Error;
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.session.release();
  }

  status(): DeviceStatus {
    const error = this.lastError ?? this.session.error;
    return error === undefined ? { connected: this.connected } : { connected: false, error: simErrorStatus(error) };
  }

  features(): Features {
    return {
      'observation.state.gripper_width_m': { dtype: 'float32', shape: [1], names: ['width'], unit: 'm' },
      'observation.state.gripper_is_grasped': { dtype: 'bool', shape: [1], names: ['is_grasped'] },
      'action.gripper_width_m': { dtype: 'float32', shape: [1], names: ['width'], unit: 'm' },
    };
  }

  latest(): GripperState | undefined {
    const reading = this.session.latestGripper;
    if (reading === undefined || !this.connected) return undefined;
    return {
      capture_ns: this.session.capture_ns(reading.sim_time_s),
      width_m: reading.width_m,
      max_width_m: reading.max_width_m,
      is_grasped: reading.is_grasped,
      detail: { mode: reading.mode },
    };
  }

  onState(listener: (state: GripperState) => void): () => void {
    return this.session.onState(() => {
      const state = this.latest();
      if (state !== undefined) listener(state);
    });
  }

  sendAction(command: GripperCommand): Promise<SentAction<GripperCommand>> {
    if (!this.connected) return Promise.reject(new Error(`${this.name} (sim-gripper) is not connected`));
    return this.session.request('gripper', command);
  }
}
