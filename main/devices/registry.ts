import type { z } from 'zod';
import { StudioError } from '../../shared/api/errors';
import { describeIssues, issuesOf } from '../../shared/validation';
import type { SimSession } from './sim/simSession';
import type { AnyDevice, Clock, DeviceKind } from './types';

/** What a factory gets besides its own options: shared services, never globals. */
export interface DeviceContext {
  clock: Clock;
  /** The device's name in the rig (`arm`, `front`, ...). */
  name: string;
  /** Other devices a driver may attach to (e.g. `sim-camera` renders the world of `sim-arm`). */
  resolve(kind: DeviceKind): AnyDevice | undefined;
  /**
   * The rig's simulated world, when something other than the sim-arm started it: the runtime starts
   * it before any device, so devices in different threads share one simulation.
   */
  sim?: SimSession;
}

export interface DeviceFactory<O extends z.ZodType = z.ZodType> {
  kind: DeviceKind;
  type: string;
  summary: string;
  /** Validates the device's own options in the rig config (everything besides `type`). */
  options: O;
  create(options: z.output<O>, context: DeviceContext): AnyDevice;
}

/**
 * Rig-config `type` → factory. Sim devices register exactly like real ones, so a rig switches between
 * them by editing one word.
 */
export class DeviceRegistry {
  private readonly factories = new Map<string, DeviceFactory>();

  register<O extends z.ZodType>(factory: DeviceFactory<O>): void {
    if (this.factories.has(factory.type)) throw new Error(`device type "${factory.type}" is registered twice`);
    this.factories.set(factory.type, factory as unknown as DeviceFactory);
  }

  types(kind?: DeviceKind): string[] {
    return [...this.factories.values()].filter((f) => kind === undefined || f.kind === kind).map((f) => f.type);
  }

  get(type: string): DeviceFactory | undefined {
    return this.factories.get(type);
  }

  /** Creates a device from its rig-config entry; `where` names the entry in errors (e.g. `cameras[1]`). */
  create(kind: DeviceKind, entry: { type: string } & Record<string, unknown>, where: string, context: DeviceContext): AnyDevice {
    const factory = this.factories.get(entry.type);
    if (factory === undefined || factory.kind !== kind) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `${where}: unknown ${kind} type "${entry.type}"`,
        fix: `Use one of: ${this.types(kind).join(', ') || '(none registered)'}.`,
      });
    }
    // `button_actions` on a teleop entry belongs to the runtime (buttons → studio actions), not the driver.
    const { type: _type, ...rest } = entry;
    const options: Record<string, unknown> = { ...rest };
    if (kind === 'teleop') delete options.button_actions;
    const parsed = factory.options.safeParse(options);
    if (!parsed.success) {
      const issues = issuesOf(parsed.error).map((issue) => ({ ...issue, path: `${where}.${issue.path}` }));
      throw new StudioError({
        code: 'failed_precondition',
        message: `invalid options for ${entry.type}:\n${describeIssues(issues)}`,
        issues,
      });
    }
    return factory.create(parsed.data, context);
  }
}
