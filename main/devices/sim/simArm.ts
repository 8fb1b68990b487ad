import type { PrivilegedState } from '../../sim/simTypes';
import { ARM_DOF, FRANKA } from '../../sim/franka';
import type { Arm, ArmCommand, ArmState, DeviceStatus, Features, SentAction } from '../types';
import { simErrorStatus } from './deviceStatus';
import type { SimSession } from './simSession';

const JOINTS = FRANKA.joint_names;

/** `sim-arm`: the simulated Franka Panda. It owns the rig's simulation session. */
export class SimArm implements Arm {
  readonly kind = 'arm';
  readonly type = 'sim-arm';
  readonly dof = ARM_DOF;

  get state_hz(): number | undefined {
    return this.session.started?.state_hz;
  }
  private connected = false;
  private lastError: Error | undefined;

  constructor(
    readonly name: string,
    readonly session: SimSession,
  ) {
    session.onFailure((error) => {
      this.lastError = error;
    });
  }

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
      'observation.state.q_rad': { dtype: 'float32', shape: [ARM_DOF], names: JOINTS, unit: 'rad' },
      'observation.state.dq_rad_s': { dtype: 'float32', shape: [ARM_DOF], names: JOINTS, unit: 'rad/s' },
      'observation.state.tau_nm': { dtype: 'float32', shape: [ARM_DOF], names: JOINTS, unit: 'N·m' },
      'observation.state.ee_position_m': { dtype: 'float32', shape: [3], names: ['x', 'y', 'z'], unit: 'm' },
      'observation.state.ee_quaternion_wxyz': { dtype: 'float32', shape: [4], names: ['w', 'x', 'y', 'z'] },
      'action.ee_delta': {
        dtype: 'float32',
        shape: [6],
        names: ['dx', 'dy', 'dz', 'rx', 'ry', 'rz'],
        unit: 'm, rad (axis-angle, base frame)',
      },
    };
  }

  latest(): ArmState | undefined {
    const reading = this.session.latestArm;
    if (reading === undefined || !this.connected) return undefined;
    return {
      capture_ns: this.session.capture_ns(reading.sim_time_s),
      q_rad: reading.q_rad,
      dq_rad_s: reading.dq_rad_s,
      tau_nm: reading.tau_nm,
      base_from_ee: reading.base_from_ee,
      ee_position_m: reading.ee_position_m,
      ee_quaternion_wxyz: reading.ee_quaternion_wxyz,
    };
  }

  onState(listener: (state: ArmState) => void): () => void {
    return this.session.onState(() => {
      const state = this.latest();
      if (state !== undefined) listener(state);
    });
  }

  /** Ground truth for recording: object poses, contacts, success (the sim knows; real arms do not). */
  privileged(): PrivilegedState | undefined {
    return this.connected ? this.session.latestPrivileged : undefined;
  }

  sendAction(command: ArmCommand): Promise<SentAction<ArmCommand>> {
    if (!this.connected) return Promise.reject(new Error(`${this.name} (sim-arm) is not connected`));
    return this.session.request('arm', command);
  }
}
