import { z } from 'zod';
import { StudioError } from '../../../shared/api/errors';
import { cameraConfigSchema } from '../../../shared/rig/rigConfig';
import type { SimCameraSpec } from '../../sim/cameraRig';
import { readSceneModel } from '../../sim/sceneXml';
import { createSimClient } from '../../sim/simClient';
import type { DeviceContext, DeviceRegistry } from '../registry';
import type { Clock } from '../types';
import { SimArm } from './simArm';
import { SimCamera } from './simCamera';
import { SimGripper } from './simGripper';
import { SimSession } from './simSession';

export const simArmOptions = z.strictObject({
  /** Rate of arm state samples and the expected command period. */
  control_hz: z.number().finite().min(1).max(1000).default(100),
  /** Scene layout seed (cube pose and colour, target position). */
  seed: z.number().int().min(0).max(0xffffffff).default(0),
  /** `realtime` paces physics to the wall clock; `manual` advances only when asked (tests). */
  pacing: z.enum(['realtime', 'manual']).default('realtime'),
  /** Real-time multiplier for `realtime` pacing. */
  speed: z.number().finite().positive().max(100).default(1),
  /** An MJCF file to load instead of the built-in scene (same body, joint and site names). */
  model: z.string().min(1).optional(),
  /** Where physics runs; `in-process` is for tests and debugging. */
  run_in: z.enum(['worker', 'in-process']).default('worker'),
});

export const simGripperOptions = z.strictObject({});

export const simCameraOptions = cameraConfigSchema.omit({ type: true }).extend({
  mode: z.enum(['exact', 'multiray']).default('exact'),
});

/** The simulation a sim device attaches to: the runtime's, or else the one the rig's sim-arm owns. */
function simulationOf(context: DeviceContext, who: string): SimSession {
  if (context.sim !== undefined) return context.sim;
  const arm = context.resolve('arm');
  if (!(arm instanceof SimArm)) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `${who} "${context.name}" needs a sim-arm in the rig (it renders and moves that arm's world)`,
      fix: 'Set the rig\'s arm to { "type": "sim-arm" }, or use a real device type here.',
    });
  }
  return arm.session;
}

/**
 * The simulation a `sim-arm` rig-config entry describes, not yet started: the sim-arm starts its own
 * unless the runtime made one first and handed it over (`DeviceContext.sim`).
 */
export function simSessionFor(entry: Readonly<Record<string, unknown>>, clock: Clock): SimSession {
  const { type: _type, ...rest } = entry;
  const parsed = simArmOptions.safeParse(rest);
  if (!parsed.success)
    throw new StudioError({ code: 'failed_precondition', message: `invalid options for sim-arm: ${parsed.error.message}` });
  const options = parsed.data;
  const model = readSceneModel(options.model);
  return new SimSession(
    {
      init: {
        xml: model.xml,
        file: model.file,
        seed: options.seed,
        control_hz: options.control_hz,
        pacing: options.pacing,
        speed: options.speed,
      },
      createClient: () => createSimClient(options.run_in),
    },
    clock,
  );
}

export function cameraSpecFrom(options: z.output<typeof simCameraOptions>): SimCameraSpec {
  const { width_px, height_px, fps_hz, name } = options;
  // pinhole with a 60° horizontal field of view when the config gives none
  const f = width_px / 2 / Math.tan(Math.PI / 6);
  const intrinsics = options.intrinsics ?? { fx_px: f, fy_px: f, cx_px: width_px / 2, cy_px: height_px / 2 };
  const mountPose = options.flange_from_camera ?? options.world_from_camera;
  if (mountPose === undefined) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `sim-camera "${name}" needs world_from_camera (fixed) or flange_from_camera (wrist)`,
    });
  }
  return {
    name,
    width_px,
    height_px,
    fps_hz,
    intrinsics,
    mount: {
      frame: options.flange_from_camera !== undefined ? 'flange' : 'world',
      translation_m: mountPose.translation_m,
      rotation_wxyz: mountPose.rotation_wxyz,
    },
    mode: options.mode,
  };
}

/** Registers `sim-arm`, `sim-gripper` and `sim-camera` exactly like real drivers. */
export function registerSimDevices(registry: DeviceRegistry): void {
  registry.register({
    kind: 'arm',
    type: 'sim-arm',
    summary: 'Simulated Franka Panda in MuJoCo (worker thread), with the table, cube and target.',
    options: simArmOptions,
    create(options, context) {
      return new SimArm(context.name, context.sim ?? simSessionFor(options, context.clock));
    },
  });
  registry.register({
    kind: 'gripper',
    type: 'sim-gripper',
    summary: 'Simulated Franka Hand (two fingers, 0–80 mm) on the sim-arm.',
    options: simGripperOptions,
    create(_options, context) {
      return new SimGripper(context.name, simulationOf(context, 'sim-gripper'));
    },
  });
  registry.register({
    kind: 'camera',
    type: 'sim-camera',
    summary: 'Simulated RGB-D camera with ground-truth segmentation, fixed or on the wrist.',
    options: simCameraOptions,
    create(options, context) {
      return new SimCamera(context.name, cameraSpecFrom(options), simulationOf(context, 'sim-camera'));
    },
  });
}
