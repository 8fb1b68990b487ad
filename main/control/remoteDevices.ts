import { StudioError } from '../../shared/api/errors';
import { Emitter } from '../../shared/base/emitter';
import type {
  Arm,
  ArmCommand,
  ArmState,
  DeviceStatus,
  Features,
  Gripper,
  GripperCommand,
  GripperState,
  SentAction,
} from '../devices/types';
import type { ControlDeviceInfo } from './controlProtocol';

/**
 * The control worker's arm and gripper as seen from the core: their latest state and every state as
 * it arrives, their features and status, for the recorder and the UI. Commands go through the control
 * loop in the worker, never through these.
 */
abstract class RemoteDevice<S extends { capture_ns: bigint }> {
  private last: S | undefined;
  private deviceStatus: DeviceStatus = { connected: true };
  private readonly states = new Emitter<S>();

  constructor(protected readonly info: ControlDeviceInfo) {}

  get name(): string {
    return this.info.name;
  }

  get type(): string {
    return this.info.type;
  }

  get state_hz(): number | undefined {
    return this.info.state_hz;
  }

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  status(): DeviceStatus {
    return this.deviceStatus;
  }

  features(): Features {
    return this.info.features;
  }

  latest(): S | undefined {
    return this.last;
  }

  onState(listener: (state: S) => void): () => void {
    return this.states.event(listener);
  }

  /** A state from the worker. */
  receive(state: S): void {
    this.last = state;
    this.states.fire(state);
  }

  setStatus(status: DeviceStatus): void {
    this.deviceStatus = status;
  }

  protected refuse(): Promise<never> {
    return Promise.reject(
      new StudioError({
        code: 'failed_precondition',
        message: `${this.name} is driven by the control loop in its worker`,
        fix: 'Send commands through the control loop (teleop, e-stop), not to the device.',
      }),
    );
  }
}

export class RemoteArm extends RemoteDevice<ArmState> implements Arm {
  readonly kind = 'arm' as const;
  readonly dof: number = this.info.features['observation.state.q_rad']?.shape[0] ?? 7;

  sendAction(_command: ArmCommand): Promise<SentAction<ArmCommand>> {
    return this.refuse();
  }
}

export class RemoteGripper extends RemoteDevice<GripperState> implements Gripper {
  readonly kind = 'gripper' as const;

  sendAction(_command: GripperCommand): Promise<SentAction<GripperCommand>> {
    return this.refuse();
  }
}
