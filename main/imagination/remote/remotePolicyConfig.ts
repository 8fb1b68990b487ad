import { z } from 'zod';
import { describeIssues, issuesOf } from '../../../shared/validation';
import { normalizePolicyUrl } from './openpiClient';
import { RemotePolicyError } from './remotePolicyError';

/**
 * How one remote policy's request and reply map onto the studio's observation and actions. openpi
 * policies name their inputs themselves (the LIBERO example: `observation/image`,
 * `observation/wrist_image`, `observation/state`, `prompt`; DROID: `observation/exterior_image_1_left`,
 * …), so the keys are configuration, never assumed.
 */

const finite = () => z.number().finite();
const key = () => z.string().min(1, { message: 'a request key is a non-empty string' });

/** What the state vector holds, in order. */
export const stateLayouts = {
  /** x y z (m), qw qx qy qz, gripper width (m): 8 values. */
  ee_position_quaternion_wxyz_gripper_width: 8,
  /** x y z (m), rotation axis-angle (rad), gripper width (m): 7 values. */
  ee_position_axis_angle_gripper_width: 7,
} as const;
export type StateLayout = keyof typeof stateLayouts;

/** What each action step holds, in order; the studio's one chunk layout (`ChunkAction`). */
export const actionLayouts = {
  /** Δx Δy Δz (m), Δrotation axis-angle (rad), gripper (open … closed): 7 values. */
  ee_delta_axis_angle_gripper: 7,
} as const;
export type ActionLayout = keyof typeof actionLayouts;

export const remotePolicyConfigSchema = z
  .strictObject({
    /** ws://HOST:PORT of the policy server (`HOST:PORT` is read as ws://); normalised when parsed. */
    url: z.string().transform((value, context) => {
      try {
        return normalizePolicyUrl(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
    /** Request key → the rig camera whose RGB image goes there (uint8 H×W×3, unresized). */
    images: z.record(key(), z.string().min(1, { message: 'a camera name is a non-empty string' })),
    /** Request key of the state vector; null sends none. */
    state_key: key().nullable().default('observation/state'),
    state_layout: z.enum(Object.keys(stateLayouts) as [StateLayout, ...StateLayout[]]).default('ee_position_quaternion_wxyz_gripper_width'),
    state_dtype: z.enum(['float32', 'float64']).default('float32'),
    /** Request key of the task instruction; null sends none. */
    prompt_key: key().nullable().default('prompt'),
    action_layout: z.enum(Object.keys(actionLayouts) as [ActionLayout, ...ActionLayout[]]).default('ee_delta_axis_angle_gripper'),
    /** Steps of the returned chunk the studio takes (the reply may carry more). */
    chunk_length: z.number().int().positive(),
    /** Metres per unit of the policy's translation (1 when it outputs metres; deoxys-style OSC policies: 0.05). */
    translation_scale_m: finite().positive().default(1),
    /** Radians per unit of the policy's rotation (1 when it outputs radians; deoxys-style OSC policies: 0.5). */
    rotation_scale_rad: finite().positive().default(1),
    /** The policy's gripper value for open and for closed (LIBERO: -1 and 1); mapped to the studio's 0 … 1. */
    gripper_open: finite().default(0),
    gripper_closed: finite().default(1),
    connect_timeout_ms: z.number().int().positive().default(10_000),
    request_timeout_ms: z.number().int().positive().default(10_000),
    /** Sent as `Authorization: Api-Key …`. */
    api_key: z.string().min(1).optional(),
  })
  .superRefine((config, context) => {
    if (config.gripper_open === config.gripper_closed)
      context.addIssue({ code: 'custom', path: ['gripper_closed'], message: 'gripper_open and gripper_closed must differ' });
    const seen = new Map<string, string>();
    const claim = (requestKey: string | null, by: string, path: (string | number)[]): void => {
      if (requestKey === null) return;
      const earlier = seen.get(requestKey);
      if (earlier !== undefined)
        context.addIssue({ code: 'custom', path, message: `request key "${requestKey}" is also used by ${earlier}` });
      else seen.set(requestKey, by);
    };
    for (const requestKey of Object.keys(config.images)) claim(requestKey, `images["${requestKey}"]`, ['images', requestKey]);
    claim(config.state_key, 'state_key', ['state_key']);
    claim(config.prompt_key, 'prompt_key', ['prompt_key']);
  });

export type RemotePolicyConfig = z.output<typeof remotePolicyConfigSchema>;
export type RemotePolicyConfigInput = z.input<typeof remotePolicyConfigSchema>;

/** Validates a remote-policy config; every problem at once, as a RemotePolicyError (`config`) with issues. */
export function parseRemotePolicyConfig(input: unknown, source = 'the remote policy config'): RemotePolicyConfig {
  const parsed = remotePolicyConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = issuesOf(parsed.error);
  throw new RemotePolicyError(
    'config',
    `${source} is invalid:\n${describeIssues(issues)}`,
    'Fix the listed fields (see docs/remote-policy.md).',
    { issues },
  );
}
