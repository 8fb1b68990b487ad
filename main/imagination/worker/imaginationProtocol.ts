import type { RpcRequest, RpcResponse } from '../../workers/rpcClient';
import type { CandidateSpec, Imagined, ObservedState, PackInfo } from '../imaginationService';
import type { Observation } from '../observation';
import type { ProviderOptions } from '../providers';

/**
 * Messages between the studio (imaginationClient.ts) and the imagination worker (imaginationHost.ts),
 * which owns one opened pack: lifting, encoding and every graph run there, never on the main thread.
 */
export interface ImagineArgs {
  K: number;
  H: number;
  seed: number;
  decode: boolean;
  candidates: CandidateSpec;
}

export interface ImaginationOps {
  open: { args: { dir: string; provider: ProviderOptions }; result: PackInfo };
  observe: { args: Observation; result: ObservedState };
  /** A newer `imagine` cancels an older one still running (it fails with `cancelled: true`). */
  imagine: { args: ImagineArgs; result: Imagined };
  /** The pack policy's K chunks (raw K·L·A) from the newest observation. */
  propose: { args: { K: number; seed: number; temperature?: number }; result: Float32Array };
  /** Lifts an observation (N·14 Gaussians and the mask) without making it the newest. */
  lift: { args: Observation; result: { gaussians: Float32Array; mask: Float32Array } };
  /** Imagined latents (B·M·D) → Gaussians (B·N·14), decoded from an observation's latent and Gaussians. */
  decode: { args: { now: Float32Array; latents: Float32Array; observed: Float32Array }; result: Float32Array };
  reset: { args: null; result: null };
  close: { args: null; result: null };
}

export type ToImagination = RpcRequest<ImaginationOps>;

export interface ImaginationErrorDetail {
  message: string;
  code?: string;
  fix?: string;
  /** Superseded by a newer request, not a failure. */
  cancelled?: boolean;
}

export type FromImagination = RpcResponse<ImaginationErrorDetail>;
