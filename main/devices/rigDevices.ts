import type { RigConfig } from '../../shared/rig/rigConfig';
import type { DeviceContext, DeviceRegistry } from './registry';
import type { SimSession } from './sim/simSession';
import type { AnyDevice, Arm, Camera, Clock, Gripper, Teleop } from './types';

/** Devices created together; `connect()`/`disconnect()` handle all of them, in creation order. */
export interface DeviceSet {
  all(): AnyDevice[];
  /**
   * Connects every device. The arm and gripper must connect; a camera or teleop device that cannot
   * is reported (`connectError`) and the rig runs without it.
   */
  connect(): Promise<void>;
  connectError(device: AnyDevice): { message: string; fix?: string } | undefined;
  disconnect(): Promise<void>;
}

/** The devices of one rig, created through the registry. */
export interface RigDevices extends DeviceSet {
  arm: Arm;
  gripper: Gripper | undefined;
  cameras: Camera[];
  teleop: Teleop[];
}

export interface RigDeviceOptions {
  /** A simulation the runtime already started, for sim devices to attach to (see `DeviceContext.sim`). */
  sim?: SimSession;
}

function contextFor(created: readonly AnyDevice[], clock: Clock, options: RigDeviceOptions): (name: string) => DeviceContext {
  return (name) => ({
    clock,
    name,
    resolve: (kind) => created.find((device) => device.kind === kind),
    ...(options.sim !== undefined ? { sim: options.sim } : {}),
  });
}

function deviceSet(created: readonly AnyDevice[]): DeviceSet {
  const connectErrors = new Map<AnyDevice, { message: string; fix?: string }>();
  return {
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

/** Creates a rig's devices in dependency order (arm first: sim devices attach to the sim-arm). */
export function createRigDevices(rig: RigConfig, registry: DeviceRegistry, clock: Clock, options: RigDeviceOptions = {}): RigDevices {
  const created: AnyDevice[] = [];
  const context = contextFor(created, clock, options);
  const arm = registry.create('arm', rig.arm, 'arm', context('arm')) as Arm;
  created.push(arm);
  const gripper =
    rig.gripper === undefined ? undefined : (registry.create('gripper', rig.gripper, 'gripper', context('gripper')) as Gripper);
  if (gripper !== undefined) created.push(gripper);
  const cameras = rig.cameras.map((entry, i) => registry.create('camera', entry, `cameras[${i}]`, context(entry.name)) as Camera);
  created.push(...cameras);
  const teleop = rig.teleop.map(
    (entry, i) =>
      registry.create('teleop', entry, `teleop[${i}]`, context(typeof entry.name === 'string' ? entry.name : entry.type)) as Teleop,
  );
  created.push(...teleop);
  return { arm, gripper, cameras, teleop, ...deviceSet(created) };
}

/**
 * The rig's cameras alone, for the thread that records and previews them while the control worker
 * owns the arm, gripper and teleop devices. Sim cameras need `options.sim`.
 */
export function createRigCameras(
  rig: RigConfig,
  registry: DeviceRegistry,
  clock: Clock,
  options: RigDeviceOptions = {},
): DeviceSet & { cameras: Camera[] } {
  const created: AnyDevice[] = [];
  const context = contextFor(created, clock, options);
  const cameras = rig.cameras.map((entry, i) => registry.create('camera', entry, `cameras[${i}]`, context(entry.name)) as Camera);
  created.push(...cameras);
  return { cameras, ...deviceSet(created) };
}
