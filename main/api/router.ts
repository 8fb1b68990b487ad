import { isMethodName, studioMethods, type MethodName, type Params, type Result } from '../../shared/api/contract';
import { StudioError } from '../../shared/api/errors';
import type { RpcOutcome } from '../../shared/api/transport';
import { describeIssues, issuesOf } from '../../shared/validation';
import type { Logger } from '../core/logger';

/** Who is calling: lets stream subscriptions and logs attach to one connection. */
export interface CallContext {
  transport: 'ipc' | 'ws' | 'in-process';
  connectionId: string;
}

export type Handler<M extends MethodName> = (params: Params<M>, context: CallContext) => Promise<Result<M>> | Result<M>;
export type Handlers = { [M in MethodName]: Handler<M> };

/**
 * The one place a StudioApi call enters the core, whatever the transport: the method must exist, the
 * params must match the contract, and the handler's errors are turned into payloads here, once.
 * Results are checked against the contract as well, so a handler cannot leak a shape the UI
 * does not expect.
 */
export class StudioRouter {
  constructor(
    private readonly handlers: Handlers,
    private readonly log: Logger,
  ) {}

  handles(method: string): boolean {
    return isMethodName(method) && typeof this.handlers[method] === 'function';
  }

  async dispatch(method: unknown, rawParams: unknown, context: CallContext): Promise<RpcOutcome> {
    if (!isMethodName(method)) {
      return {
        ok: false,
        error: {
          code: 'method_not_found',
          message: `StudioApi has no method ${JSON.stringify(method)}`,
          fix: 'Check the method name against shared/api/contract.ts; the UI and core may be from different builds.',
        },
      };
    }
    const contract = studioMethods[method];
    const parsed = contract.params.safeParse(rawParams ?? {});
    if (!parsed.success) {
      const issues = issuesOf(parsed.error);
      return { ok: false, error: { code: 'invalid_params', message: `invalid params for ${method}:\n${describeIssues(issues)}`, issues } };
    }
    try {
      const handler = this.handlers[method] as Handler<MethodName>;
      const result = await handler(parsed.data as Params<MethodName>, context);
      const checked = contract.result.safeParse(result);
      if (!checked.success) {
        throw new Error(`handler for ${method} returned a result that breaks the contract:\n${describeIssues(issuesOf(checked.error))}`);
      }
      return { ok: true, result: checked.data };
    } catch (error) {
      if (error instanceof StudioError) return { ok: false, error: error.toPayload() };
      this.log.error(`${method} failed`, error);
      return { ok: false, error: { code: 'internal', message: `${method} failed: ${(error as Error)?.message ?? String(error)}` } };
    }
  }
}
