/**
 * Errors that cross the StudioApi boundary. Every error names what went wrong and, where the user can
 * do something about it, how to fix it. Transports carry the same payload (JSON-RPC `error.data`,
 * IPC outcome envelopes), so the UI handles errors once, by code.
 */
export const studioErrorCodes = [
  'parse_error',
  'invalid_request',
  'method_not_found',
  'invalid_params',
  'unauthorized',
  'not_found',
  'failed_precondition',
  'unavailable',
  'internal',
] as const;
export type StudioErrorCode = (typeof studioErrorCodes)[number];

/** JSON-RPC 2.0 numeric codes; the named `StudioErrorCode` travels alongside in `error.data.code`. */
export const jsonRpcCodeOf: Record<StudioErrorCode, number> = {
  parse_error: -32700,
  invalid_request: -32600,
  method_not_found: -32601,
  invalid_params: -32602,
  internal: -32603,
  unauthorized: -32001,
  not_found: -32002,
  failed_precondition: -32003,
  unavailable: -32004,
};

export interface StudioErrorPayload {
  code: StudioErrorCode;
  message: string;
  /** What the user can do about it, when there is something. */
  fix?: string;
  /** Field-level problems, e.g. from schema validation: `path` is a dotted path into the payload. */
  issues?: { path: string; message: string }[];
}

export class StudioError extends Error {
  readonly code: StudioErrorCode;
  readonly fix: string | undefined;
  readonly issues: { path: string; message: string }[] | undefined;

  constructor(payload: StudioErrorPayload) {
    super(payload.message);
    this.name = 'StudioError';
    this.code = payload.code;
    this.fix = payload.fix;
    this.issues = payload.issues;
  }

  toPayload(): StudioErrorPayload {
    const payload: StudioErrorPayload = { code: this.code, message: this.message };
    if (this.fix !== undefined) payload.fix = this.fix;
    if (this.issues !== undefined) payload.issues = this.issues;
    return payload;
  }

  static fromPayload(payload: StudioErrorPayload): StudioError {
    return new StudioError(payload);
  }
}

export function isStudioErrorCode(value: unknown): value is StudioErrorCode {
  return typeof value === 'string' && (studioErrorCodes as readonly string[]).includes(value);
}
