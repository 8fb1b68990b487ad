import type { RigConfig } from '../../shared/rig/rigConfig';
import type { DeviceContext, DeviceRegistry } from './registry';
import type { AnyDevice, Arm, Camera, Clock, Gripper, Teleop } from './types';

/** The devices of one rig, created through the registry; `connect()`/`disconnect()` handle all of them. */
export interface RigDevices {
  arm: Arm;
  gripper: Gripper | undefined;
  cameras: Camera[];
  teleop: Teleop[];
  all(): AnyDevice[];
  /**
   * Connects every device. The arm and gripper must connect; a camera or teleop device that cannot
   * is reported (`connectError`) and the rig runs without it.
   */
  connect(): Promise<void>;
  connectError(device: AnyDevice): { message: string; fix?: string } | undefined;
  disconnect(): Promise<void>;
}

/** Creates a rig's devices in dependency order (arm first: sim devices attach to the sim-arm). */
export function createRigDevices(rig: RigConfig, registry: DeviceRegistry, clock: Clock): RigDevices {
  const created: AnyDevice[] = [];
  const context = (name: string): DeviceContext => ({ clock, name, resolve: (kind) => created.find((device) => device.kind === kind) });
  const arm = registry.create('arm', rig.arm, 'arm', context('arm')) as Arm;
  created.push(arm);
  const gripper = rig.gripper === undefined ? undefined : (registry.create('gripper', rig.gripper, 'gripper', context('gripper')) as Gripper);
  if (gripper !== undefined) created.push(gripper);
  const cameras = rig.cameras.map((entry, i) => registry.create('camera', entry, `cameras[${i}]`, context(entry.name)) as Camera);
  created.push(...cameras);
  const connectErrors = new Map<AnyDevice, { message: string; fix?: string }>();
  const teleop = rig.teleop.map((entry, i) => registry.create('teleop', entry, `teleop[${i}]`, context(typeof entry.name === 'string' ? entry.name : entry.type)) as Teleop);
  created.push(...teleop);
  return {
    arm,
    gripper,
    cameras,
    teleop,
    all: () => [...created],
    async connect() {
      // the arm first: it starts the simulation the others attach to
      for (const device of created) {
        try {
          await device.connect();
          connectErrors.delete(device);
        } catch (error) {
          if (device.kind === 'arm' || device.kind === 'gripper') throw error;
          const fix = (error as { fix?: unknown }).fix;
          connectErrors.set(device, { message: (error as Error).message, ...(typeof fix === 'string' ? { fix } : {}) });
        }
      }
    },
    connectError: (device) => connectErrors.get(device),
    async disconnect() {
      for (const device of [...created].reverse()) await device.disconnect().catch(() => undefined);
    },
  };
}
