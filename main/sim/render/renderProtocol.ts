import type { RpcRequest, RpcResponse } from '../../workers/rpcClient';
import type { RenderJob, SimCameraImage, SimCameraSpec } from '../cameraRig';
import type { WorkerError } from '../workerProtocol';

/**
 * Messages between the physics (simHost.ts) and the render worker (renderHost.ts). The render worker
 * loads the same model, follows the same scene resets (object colours, target), and draws snapshots
 * of the physics, so camera frames never hold up a physics step or an arm command.
 */
export interface RenderOps {
  init: { args: { xml: string; file: string; seed: number }; result: null };
  addCamera: { args: SimCameraSpec; result: null };
  removeCamera: { args: string; result: null };
  /** The scene the physics reset to: colours and the target move with it. */
  reset: { args: number; result: null };
  render: { args: RenderJob; result: SimCameraImage };
  close: { args: null; result: null };
}

export type RenderRequest = RpcRequest<RenderOps>;
export type RenderResponse = RpcResponse<WorkerError>;
