import { z } from 'zod';
import type { DeviceFactory } from '../registry';
import { GelloLeader } from './gelloLeader';

const servoId = z.number().int().min(0).max(252);

export const gelloOptionsSchema = z
  .object({
    port: z.string().min(1).describe('e.g. /dev/serial/by-id/usb-FTDI_... (U2D2) or usb-ROBOTIS_OpenRB-150_...'),
    baud: z.number().int().positive().default(57600),
    joint_ids: z.array(servoId).min(1).default([1, 2, 3, 4, 5, 6, 7]),
    /** From GELLO's `gello_get_offset.py` (multiples of π/2) or the ROS 2 `assembly_offsets`. */
    joint_offsets_rad: z.array(z.number()).min(1),
    joint_signs: z.array(z.union([z.literal(1), z.literal(-1)])).min(1),
    start_joints_rad: z.array(z.number()).optional(),
    gripper_id: servoId.nullable().default(8),
    gripper_open_rad: z.number().default(2.0),
    gripper_closed_rad: z.number().default(3.22),
    poll_hz: z.number().positive().max(1000).default(100),
    timeout_ms: z.number().int().positive().max(2000).default(50),
    reconnect_interval_ms: z.number().int().min(0).default(500),
  })
  .strict()
  .refine((options) => options.gripper_open_rad !== options.gripper_closed_rad, {
    message: 'gripper_open_rad and gripper_closed_rad must differ',
    path: ['gripper_closed_rad'],
  })
  .refine((options) => options.gripper_id === null || !options.joint_ids.includes(options.gripper_id), {
    message: 'gripper_id is also a joint id',
    path: ['gripper_id'],
  });

export const gelloFactory: DeviceFactory<typeof gelloOptionsSchema> = {
  kind: 'teleop',
  type: 'gello',
  summary: 'GELLO leader arm (Dynamixel Protocol 2.0 servos on a U2D2 or OpenRB-150)',
  options: gelloOptionsSchema,
  create: (options, context) => new GelloLeader(context.name, options, context.clock),
};
