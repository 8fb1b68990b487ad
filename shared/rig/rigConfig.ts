import { z } from 'zod';

/**
 * The rig config: one JSON file describing the arm, gripper, teleop devices, cameras, safety limits and
 * recording defaults. Units are in the field names (`_m`, `_rad`, `_hz`, `_px`); frames are the robot
 * base frame; transforms are named `a_from_b`. Device `type`s are resolved by the device registry,
 * which validates each device's own options; this schema checks the shape common to all rigs.
 */

const finite = () => z.number().finite();
const positive = () => z.number().finite().positive();
const vec3 = z.tuple([finite(), finite(), finite()]);
const quaternionWxyz = z
  .tuple([finite(), finite(), finite(), finite()])
  .refine((q) => Math.abs(Math.hypot(...q) - 1) < 1e-3, { message: 'quaternion must have unit norm (w, x, y, z)' });

export const poseSchema = z.object({
  translation_m: vec3,
  rotation_wxyz: quaternionWxyz,
});
export type Pose = z.infer<typeof poseSchema>;

const deviceType = z.string().regex(/^[a-z][a-z0-9-]*$/, { message: 'device type is lower-case words joined by dashes, e.g. "sim-arm"' });

/** A device entry: its registry `type` plus options the registered driver validates itself. */
export const deviceConfigSchema = z.looseObject({
  type: deviceType,
});
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;

export const intrinsicsSchema = z.object({
  fx_px: positive(),
  fy_px: positive(),
  cx_px: finite(),
  cy_px: finite(),
});
export type Intrinsics = z.infer<typeof intrinsicsSchema>;

/** What a teleop device's buttons can do besides driving the arm (rig config `teleop[i].button_actions`). */
export const buttonActions = ['estop', 'release_estop', 'toggle_recording', 'save_success', 'save_failure', 'discard', 'rerecord'] as const;
export const buttonActionsSchema = z.record(z.string(), z.enum(buttonActions));

export const cameraConfigSchema = z.looseObject({
  type: deviceType,
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'camera name is snake_case, e.g. "front" or "wrist"' }),
  width_px: z.number().int().positive().max(8192),
  height_px: z.number().int().positive().max(8192),
  fps_hz: positive().max(1000),
  depth: z.boolean().default(false),
  /** Pinhole intrinsics in pixels. Required for depth cameras so points can be lifted to 3D. */
  intrinsics: intrinsicsSchema.optional(),
  /** Where the camera is, in the robot base ("world") frame; omit for a camera mounted on the hand. */
  world_from_camera: poseSchema.optional(),
  /** For a wrist camera: the pose relative to the end-effector flange. */
  flange_from_camera: poseSchema.optional(),
  /**
   * What a dataset may use the camera for: `train` (default) or `eval`, a held-out view (e.g. novel-view
   * evaluation of a world model) that trainers must not learn from. Exports declare it per camera.
   */
  role: z.enum(['train', 'eval']).optional(),
});
export type CameraConfig = z.infer<typeof cameraConfigSchema>;

export const safetyConfigSchema = z.object({
  workspace_min_m: vec3,
  workspace_max_m: vec3,
  max_linear_speed_m_s: positive().max(2),
  max_angular_speed_rad_s: positive().max(6),
  max_gripper_force_n: positive().max(300),
  joint_limit_margin_rad: z.number().finite().min(0).max(0.5),
  /** Teleop input older than this produces zero motion. */
  teleop_timeout_ms: positive().max(1000),
});
export type SafetyConfig = z.infer<typeof safetyConfigSchema>;

export const recordingConfigSchema = z.object({
  fps_hz: positive().max(1000),
  max_episode_s: positive(),
  reset_s: z.number().finite().min(0),
  task: z.string().default(''),
});
export type RecordingConfig = z.infer<typeof recordingConfigSchema>;

export const rigConfigSchema = z
  .object({
    schema_version: z.literal(1),
    name: z.string().min(1),
    description: z.string().optional(),
    arm: deviceConfigSchema,
    gripper: deviceConfigSchema.optional(),
    teleop: z.array(deviceConfigSchema.extend({ button_actions: buttonActionsSchema.optional() })),
    cameras: z.array(cameraConfigSchema),
    safety: safetyConfigSchema,
    recording: recordingConfigSchema,
  })
  .superRefine((rig, ctx) => {
    rig.safety.workspace_min_m.forEach((min, axis) => {
      const max = rig.safety.workspace_max_m[axis] ?? Number.NaN;
      if (!(min < max)) {
        ctx.addIssue({
          code: 'custom',
          path: ['safety', 'workspace_max_m', axis],
          message: `workspace max (${max} m) must be greater than min (${min} m) on axis ${'xyz'[axis]}`,
        });
      }
    });
    const seen = new Set<string>();
    rig.cameras.forEach((camera, index) => {
      if (seen.has(camera.name)) {
        ctx.addIssue({ code: 'custom', path: ['cameras', index, 'name'], message: `camera name "${camera.name}" is used twice` });
      }
      seen.add(camera.name);
      if (camera.depth && camera.intrinsics === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['cameras', index, 'intrinsics'],
          message: 'a depth camera needs intrinsics (fx_px, fy_px, cx_px, cy_px) so depth can be lifted to 3D',
        });
      }
      if (camera.world_from_camera !== undefined && camera.flange_from_camera !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['cameras', index],
          message: 'give either world_from_camera (fixed camera) or flange_from_camera (wrist camera), not both',
        });
      }
    });
  });
export type RigConfig = z.infer<typeof rigConfigSchema>;
