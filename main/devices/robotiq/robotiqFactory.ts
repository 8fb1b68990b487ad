import { z } from 'zod';
import type { DeviceFactory } from '../registry';
import { RobotiqGripper, robotiqDefaults } from './robotiqGripper';

export const robotiqOptionsSchema = z
  .object({
    port: z.string().min(1).describe('serial device, e.g. /dev/serial/by-id/usb-FTDI_..., or /dev/ttyUSB0'),
    model: z.enum(['2f-85', 'hand-e']).default('2f-85'),
    slave_id: z.number().int().min(1).max(247).default(robotiqDefaults.slave_id),
    baud: z.number().int().positive().default(robotiqDefaults.baud),
    timeout_ms: z.number().int().positive().max(5000).default(robotiqDefaults.timeout_ms),
    poll_hz: z.number().positive().max(500).default(robotiqDefaults.poll_hz),
    activate_on_connect: z.boolean().default(robotiqDefaults.activate_on_connect),
    activation_timeout_s: z.number().positive().default(robotiqDefaults.activation_timeout_s),
    reconnect_interval_ms: z.number().int().min(0).default(robotiqDefaults.reconnect_interval_ms),
    read_function: z.enum(['fc03', 'fc04']).default(robotiqDefaults.read_function),
    move_force_n: z.number().positive().default(robotiqDefaults.move_force_n),
    open_count: z.number().int().min(0).max(255).default(robotiqDefaults.open_count),
    closed_count: z.number().int().min(0).max(255).default(robotiqDefaults.closed_count),
  })
  .strict()
  .refine((options) => options.open_count < options.closed_count, {
    message: 'open_count must be below closed_count',
    path: ['open_count'],
  });

export const robotiqFactory: DeviceFactory<typeof robotiqOptionsSchema> = {
  kind: 'gripper',
  type: 'robotiq',
  summary: 'Robotiq 2F-85 or Hand-E gripper over Modbus RTU (RS-485 USB adapter)',
  options: robotiqOptionsSchema,
  create: (options, context) => new RobotiqGripper(context.name, options, context.clock),
};
