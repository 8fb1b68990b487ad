import type { MethodName } from '../../../shared/api/contract';
import type { Handler } from '../router';

/** The handlers of one namespace, e.g. `HandlerGroup<'episodes'>`; the core spreads groups into one table. */
export type HandlerGroup<N extends string> = { [M in MethodName as M extends `${N}.${string}` ? M : never]: Handler<M> };
