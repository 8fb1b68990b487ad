import { StudioError, type StudioErrorCode } from '../../../shared/api/errors';
import type { Issue } from '../../../shared/validation';

/**
 * Every way a remote policy can fail, each one StudioError with a message naming the server and what
 * went wrong and a fix. Whatever the failure, the caller gets no actions: the arm never moves on it.
 */
export type RemotePolicyFailure =
  /** No websocket at the URL: refused, no route, HTTP instead of a websocket upgrade. */
  | 'unreachable'
  /** Connected, but no metadata or reply within the timeout. */
  | 'timeout'
  /** The server closed the connection before replying. */
  | 'closed'
  /** A frame that is not msgpack-numpy (truncated, garbage, an array that does not fill its shape). */
  | 'malformed'
  /** The server's policy raised: openpi sends the traceback as a text frame, then closes (1011). */
  | 'server_error'
  /** A well-formed reply that is not an action chunk the studio can use (no `actions`, not 2-D, wrong width, NaN). */
  | 'bad_reply'
  /** The remote-policy configuration or the observation does not fit (missing camera, bad URL). */
  | 'config';

const codeOf: Record<RemotePolicyFailure, StudioErrorCode> = {
  unreachable: 'unavailable',
  timeout: 'unavailable',
  closed: 'unavailable',
  server_error: 'unavailable',
  malformed: 'failed_precondition',
  bad_reply: 'failed_precondition',
  config: 'invalid_params',
};

export class RemotePolicyError extends StudioError {
  readonly failure: RemotePolicyFailure;
  /** The server's whole traceback, for `server_error`. */
  readonly server_traceback: string | undefined;

  constructor(failure: RemotePolicyFailure, message: string, fix: string, detail: { server_traceback?: string; issues?: Issue[] } = {}) {
    super({ code: codeOf[failure], message, fix, ...(detail.issues !== undefined ? { issues: detail.issues } : {}) });
    this.name = 'RemotePolicyError';
    this.failure = failure;
    this.server_traceback = detail.server_traceback;
  }
}
