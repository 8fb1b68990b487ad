import { z } from 'zod';
import { FRANKA_COMMAND_LIMITS as DEFAULT_ARM_LIMITS } from '../../../shared/robot/commandLimits';
import { FRANKA_HAND_LIMITS } from '../../../shared/robot/frankaLimits';
import { DEOXYS_DEFAULT_PORT_BASE } from './ports';

const vec3 = z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]);

/** Connection settings shared by the arm and the Franka Hand (deoxys YAML: `NUC.IP`, ports). */
const linkOptions = {
  /** `NUC.IP`: the real-time PC running franka-interface / gripper-interface. */
  nuc_ip: z.string().min(1).default('172.16.0.3'),
  /**
   * Where this machine binds its command PUB sockets (`*` = every interface, as deoxys does). The
   * NUC connects to its `PC.IP`, which must be an address of this machine.
   */
  bind_ip: z.string().min(1).default('*'),
  /** `NUC.SUB_PORT`; the other three ports follow it (see ports.ts). */
  port_base: z.number().int().min(1).max(65532).default(DEOXYS_DEFAULT_PORT_BASE),
  connect_timeout_ms: z.number().positive().max(60_000).default(3000),
};

export const deoxysArmOptionsSchema = z.object({
  ...linkOptions,
  /** deoxys `CONTROL.POLICY_RATE`: keep-alive and NO_CONTROL burst rate. */
  policy_rate_hz: z.number().positive().max(1000).default(20),
  /** No robot state for this long is a device error (teleop stops). */
  state_timeout_ms: z.number().positive().max(10_000).default(200),
  /** deoxys `CONTROL.STATE_PUBLISHER_RATE` on the NUC: how often robot state arrives. */
  state_hz: z.number().positive().max(1000).default(100),
  /** NO_CONTROL messages sent before a new controller starts (Python's `preprocess()` sends 20). */
  controller_switch_messages: z.number().int().min(1).max(200).default(20),
  /** Send `termination` on disconnect, as deoxys's examples do (the NUC's shell loop restarts the node). */
  terminate_on_disconnect: z.boolean().default(true),
  limits: z
    .object({
      max_translation_per_command_m: z.number().positive().max(0.1).default(DEFAULT_ARM_LIMITS.max_translation_per_command_m),
      max_rotation_per_command_rad: z.number().positive().max(1).default(DEFAULT_ARM_LIMITS.max_rotation_per_command_rad),
      workspace_min_m: vec3.optional(),
      workspace_max_m: vec3.optional(),
      joint_limit_margin_rad: z.number().min(0).max(0.5).default(DEFAULT_ARM_LIMITS.joint_limit_margin_rad),
      max_joint_step_rad: z.number().positive().max(1).default(DEFAULT_ARM_LIMITS.max_joint_step_rad),
    })
    .prefault({}),
});
export type DeoxysArmOptions = z.output<typeof deoxysArmOptionsSchema>;

export const frankaHandOptionsSchema = z.object({
  ...linkOptions,
  /** Gripper state arrives at 40 Hz; silence this long is a device error. */
  state_timeout_ms: z.number().positive().max(10_000).default(500),
  /** deoxys `GRIPPER.PUB_RATE` on the NUC: how often gripper state arrives. */
  state_hz: z.number().positive().max(1000).default(40),
  /**
   * deoxys's gripper node matches a Stop message where it means Homing (spec §1.6), so on stock deoxys
   * `stop` homes the hand and a real Homing message is ignored. `stop-message` sends what works there;
   * `homing-message` is for a NUC with that bug fixed.
   */
  homing_via: z.enum(['stop-message', 'homing-message']).default('stop-message'),
  /** Termination restarts the gripper node, which homes the hand on start; off by default. */
  terminate_on_disconnect: z.boolean().default(false),
  max_speed_m_s: z.number().positive().max(0.2).default(FRANKA_HAND_LIMITS.max_speed_m_s),
  max_force_n: z.number().positive().max(140).default(FRANKA_HAND_LIMITS.max_force_n),
});
export type FrankaHandOptions = z.output<typeof frankaHandOptionsSchema>;
