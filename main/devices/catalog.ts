import { realsenseCameraFactory } from './camera/realsenseCamera';
import { uvcCameraFactory } from './camera/uvcCamera';
import { deoxysArmFactory } from './deoxys/deoxysArm';
import { frankaHandFactory } from './deoxys/frankaHand';
import { gamepadFactory } from './gamepad/gamepadTeleop';
import { gelloFactory } from './gello/gelloFactory';
import { keyboardFactory } from './keyboard/keyboardTeleop';
import { DeviceRegistry } from './registry';
import { robotiqFactory } from './robotiq/robotiqFactory';
import { registerSimDevices } from './sim/register';
import { spacemouseFactory } from './spacemouse/spacemouse';

/** Every device type the studio knows, real and simulated, in one registry. */
export function createDeviceRegistry(): DeviceRegistry {
  const registry = new DeviceRegistry();
  registerSimDevices(registry);
  registry.register(deoxysArmFactory);
  registry.register(frankaHandFactory);
  registry.register(robotiqFactory);
  registry.register(gelloFactory);
  registry.register(spacemouseFactory);
  registry.register(keyboardFactory);
  registry.register(gamepadFactory);
  registry.register(uvcCameraFactory);
  registry.register(realsenseCameraFactory);
  return registry;
}
